"""The email and in-app templates (Jinja2): a subject, a text body and an HTML body each, rendered inside one
HTML layout. The HTML is autoescaped; every link a person needs is passed in as `action_url`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

_LAYOUT = """<!doctype html>
<html><body style="font-family: -apple-system, Segoe UI, sans-serif; color: #1f2933; max-width: 560px; margin: auto">
<p style="font-size: 13px; color: #616e7c">Splits</p>
{% block body %}{% endblock %}
{% if action_url %}<p><a href="{{ action_url }}" style="background: #2563eb; color: #fff; padding: 10px 16px;
border-radius: 6px; text-decoration: none">{{ action_label }}</a></p>
<p style="font-size: 12px; color: #616e7c">Or open {{ action_url }}</p>{% endif %}
<p style="font-size: 12px; color: #9aa5b1">You get this email because of your Splits account. Choose which emails
you get in your notification settings.</p>
</body></html>"""

STAGE_LABELS = {
    "recruiter_request": "changes requested", "screen": "screening", "recruiter_review": "recruiter review",
    "recruiter_proposed": "proposed by your recruiter", "submitted": "submitted to the company",
    "company_review": "company review", "company_feedback": "company feedback", "interview": "interview",
    "offer": "offer", "hired": "hired", "rejected": "not selected", "withdrawn": "withdrawn", "expired": "expired",
}

# name → (subject, text, html body); each sees the context passed to `render`.
_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "application_stage": (
        "{{ candidate_name }} · {{ job_title }}: {{ stage_label }}",
        "{% if audience == 'candidate' %}Your application for {{ job_title }} moved to {{ stage_label }}."
        "{% else %}{{ candidate_name }}'s application for {{ job_title }} moved to {{ stage_label }}.{% endif %}"
        "{% if reason %}\nNote: {{ reason }}{% endif %}",
        "<p>{% if audience == 'candidate' %}Your application for <strong>{{ job_title }}</strong>"
        "{% else %}<strong>{{ candidate_name }}</strong>'s application for <strong>{{ job_title }}</strong>{% endif %}"
        " moved to <strong>{{ stage_label }}</strong>.</p>{% if reason %}<p>Note: {{ reason }}</p>{% endif %}",
    ),
    "application_proposed": (
        "A recruiter proposes you for {{ job_title }}",
        "{{ recruiter_name }} proposes you for {{ job_title }}:\n{{ pitch }}\nAccept or decline it in Splits.",
        "<p><strong>{{ recruiter_name }}</strong> proposes you for <strong>{{ job_title }}</strong>.</p>"
        "<blockquote>{{ pitch }}</blockquote><p>Accept or decline it in Splits.</p>",
    ),
    "candidate_invitation": (
        "{{ recruiter_name }} would like to represent you",
        "{{ recruiter_name }} invites you to be represented on Splits. Accept before {{ expires_on }}:"
        " {{ action_url }}",
        "<p><strong>{{ recruiter_name }}</strong> invites you to be represented on Splits.</p>"
        "<p>The invitation is open until {{ expires_on }}.</p>",
    ),
    "consent_given": (
        "{{ candidate_name }} accepted your representation",
        "{{ candidate_name }} accepted to be represented by you.",
        "<p><strong>{{ candidate_name }}</strong> accepted to be represented by you.</p>",
    ),
    "organization_invitation": (
        "You are invited to join {{ organization_name }} on Splits",
        "You are invited to join {{ organization_name }} as {{ role }}. Accept before {{ expires_on }}:"
        " {{ action_url }}",
        "<p>You are invited to join <strong>{{ organization_name }}</strong> as {{ role }}.</p>"
        "<p>The invitation is open until {{ expires_on }}.</p>",
    ),
    "firm_invitation": (
        "You are invited to join {{ firm_name }} on Splits",
        "You are invited to join the firm {{ firm_name }} as {{ role }}. Accept before {{ expires_on }}:"
        " {{ action_url }}",
        "<p>You are invited to join the firm <strong>{{ firm_name }}</strong> as {{ role }}.</p>"
        "<p>The invitation is open until {{ expires_on }}.</p>",
    ),
    "placement_created": (
        "Placement: {{ candidate_name }} · {{ job_title }}",
        "{{ candidate_name }} was hired for {{ job_title }}, starting {{ start_date }}. "
        "{% if audience != 'candidate' %}Placement fee: {{ fee }}.{% endif %}",
        "<p><strong>{{ candidate_name }}</strong> was hired for <strong>{{ job_title }}</strong>, starting "
        "{{ start_date }}.</p>{% if audience != 'candidate' %}<p>Placement fee: {{ fee }}.</p>{% endif %}",
    ),
    "invoice_paid": (
        "Payment received: invoice {{ number }}",
        "We received {{ amount }} for invoice {{ number }} (placement {{ placement_id }}). Thank you.",
        "<p>We received <strong>{{ amount }}</strong> for invoice {{ number }}. Thank you.</p>",
    ),
    "payout_sent": (
        "Payout sent: {{ amount }}",
        "{{ amount }} was transferred to your Stripe account for placement {{ placement_id }}.",
        "<p><strong>{{ amount }}</strong> was transferred to your Stripe account for placement "
        "{{ placement_id }}.</p>",
    ),
    "connect_required": (
        "Set up payouts to receive {{ amount }}",
        "A payout of {{ amount }} is waiting for you. Set up your Stripe account to receive it: {{ action_url }}",
        "<p>A payout of <strong>{{ amount }}</strong> is waiting for you. Set up your Stripe account to "
        "receive it.</p>",
    ),
    "ai_review_completed": (
        "AI review: {{ job_title }} · fit {{ fit_score }}",
        "{% if audience == 'candidate' %}Your application for {{ job_title }}{% else %}{{ candidate_name }}'s "
        "application for {{ job_title }}{% endif %} was reviewed: fit {{ fit_score }}/100 ({{ recommendation }})."
        "{% if needs_improvement %} Improving the profile before submitting is recommended.{% endif %}",
        "<p>{% if audience == 'candidate' %}Your application for <strong>{{ job_title }}</strong>{% else %}"
        "<strong>{{ candidate_name }}</strong>'s application for <strong>{{ job_title }}</strong>{% endif %} was "
        "reviewed: fit <strong>{{ fit_score }}/100</strong> ({{ recommendation }}).</p>"
        "{% if needs_improvement %}<p>Improving the profile before submitting is recommended.</p>{% endif %}",
    ),
    "fraud_alert": (
        "Fraud signal ({{ severity }}): {{ signal_type }}",
        "A {{ severity }} {{ signal_type }} signal was raised (confidence {{ confidence }}%) about recruiter "
        "{{ recruiter_id }}. Review it and resolve it or mark it a false positive.",
        "<p>A <strong>{{ severity }}</strong> {{ signal_type }} signal was raised (confidence {{ confidence }}%)"
        " about recruiter {{ recruiter_id }}.</p><p>Review it and resolve it or mark it a false positive.</p>",
    ),
    "tier_changed": (
        "{% if promoted %}Promoted{% else %}Now{% endif %} to {{ to_tier }} on Splits",
        "{% if audience == 'company' %}Your company's{% else %}Your{% endif %} reputation moved from {{ from_tier }}"
        " to {{ to_tier }} (score {{ score }}).",
        "<p>{% if audience == 'company' %}Your company's{% else %}Your{% endif %} reputation moved from"
        " {{ from_tier }} to <strong>{{ to_tier }}</strong> (score {{ score }}).</p>",
    ),
}

ACTION_LABELS = {
    "candidate_invitation": "Review the invitation", "organization_invitation": "Accept the invitation",
    "firm_invitation": "Accept the invitation", "connect_required": "Set up payouts",
    "fraud_alert": "Review the signal",
}


def _environment() -> Environment:
    sources = {"layout.html": _LAYOUT}
    for name, (subject, text, html) in _TEMPLATES.items():
        sources[f"{name}.subject"] = subject
        sources[f"{name}.txt"] = text
        sources[f"{name}.html"] = '{% extends "layout.html" %}{% block body %}' + html + "{% endblock %}"
    return Environment(loader=DictLoader(sources), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False))


_ENV = _environment()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, context: dict[str, Any]) -> Rendered:
    values = {"action_url": None, "action_label": ACTION_LABELS.get(template, "Open Splits"), **context}
    text = _ENV.get_template(f"{template}.txt").render(values)
    if values["action_url"] and values["action_url"] not in text:
        text += f"\n\n{values['action_url']}"
    return Rendered(subject=" ".join(_ENV.get_template(f"{template}.subject").render(values).split()),
                    text=text, html=_ENV.get_template(f"{template}.html").render(values))


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"
