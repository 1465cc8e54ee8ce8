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
    "relationship_ended": (
        "{% if audience == 'recruiter' %}{% if pair == 'company' %}{{ company_name }}{% else %}{{ candidate_name }}"
        "{% endif %}{% else %}{{ recruiter_name }}{% endif %} ended your relationship on Splits",
        "{% if audience == 'recruiter' %}{% if pair == 'company' %}{{ company_name }} ended your work with them"
        "{% else %}{{ candidate_name }} ended your representation{% endif %}{% elif audience == 'candidate' %}"
        "{{ recruiter_name }} no longer represents you{% else %}{{ recruiter_name }} no longer works with your company"
        "{% endif %}.\nReason: {{ reason }}",
        "<p>{% if audience == 'recruiter' %}{% if pair == 'company' %}<strong>{{ company_name }}</strong> ended your"
        " work with them{% else %}<strong>{{ candidate_name }}</strong> ended your representation{% endif %}"
        "{% elif audience == 'candidate' %}<strong>{{ recruiter_name }}</strong> no longer represents you{% else %}"
        "<strong>{{ recruiter_name }}</strong> no longer works with your company{% endif %}.</p>"
        "<p>Reason: {{ reason }}</p>",
    ),
    "relationship_ending_decided": (
        "What changes now that {% if pair == 'company' %}the work with {{ company_name }}{% else %}the"
        " representation{% endif %} ended",
        "{% if withdrawn %}Applications withdrawn: {{ withdrawn | join(', ') }}.\n{% endif %}"
        "{% if paused %}Jobs paused: {{ paused | join(', ') }}.\n{% endif %}"
        "{% if closed %}Jobs closed: {{ closed | join(', ') }}.\n{% endif %}Everything else stays as it is.",
        "{% if withdrawn %}<p>Applications withdrawn: {{ withdrawn | join(', ') }}.</p>{% endif %}"
        "{% if paused %}<p>Jobs paused: {{ paused | join(', ') }}.</p>{% endif %}"
        "{% if closed %}<p>Jobs closed: {{ closed | join(', ') }}.</p>{% endif %}<p>Everything else stays as it is.</p>",
    ),
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
    "referral_redeemed": (
        "{{ user_name }} signed up with your referral code",
        "{{ user_name }} registered on Splits with your code {{ code }}. What they bring to Splits (their candidate"
        " profile, or the company they set up) is sourced by you for {{ protection_days }} days.",
        "<p><strong>{{ user_name }}</strong> registered on Splits with your code <strong>{{ code }}</strong>.</p>"
        "<p>What they bring to Splits (their candidate profile, or the company they set up) is sourced by you for"
        " {{ protection_days }} days.</p>",
    ),
    "company_platform_invitation": (
        "{{ recruiter_name }} invites {{ company_name }} to Splits",
        "{{ recruiter_name }} invites {{ company_name }} to hire through Splits (invite code {{ invite_code }})."
        "{% if message %}\n{{ message }}{% endif %}\nThe invitation is open until {{ expires_on }}: {{ action_url }}",
        "<p><strong>{{ recruiter_name }}</strong> invites {{ company_name }} to hire through Splits (invite code"
        " <strong>{{ invite_code }}</strong>).</p>{% if message %}<blockquote>{{ message }}</blockquote>{% endif %}"
        "<p>The invitation is open until {{ expires_on }}.</p>",
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
    "expiry_warning": (
        "Expiring on {{ expires_on }}: {{ candidate_name }} · {{ job_title }}",
        "{% if audience == 'candidate' %}Your application for {{ job_title }}{% else %}{{ candidate_name }}'s "
        "application for {{ job_title }}{% endif %} has been at {{ stage_label }} without a move and expires on "
        "{{ expires_on }}. {% if audience == responsible_party %}It is waiting on you.{% else %}It is waiting on "
        "the {{ responsible_party }}.{% endif %}",
        "<p>{% if audience == 'candidate' %}Your application for <strong>{{ job_title }}</strong>{% else %}"
        "<strong>{{ candidate_name }}</strong>'s application for <strong>{{ job_title }}</strong>{% endif %} has been"
        " at {{ stage_label }} without a move and expires on <strong>{{ expires_on }}</strong>.</p>"
        "<p>{% if audience == responsible_party %}It is waiting on you.{% else %}It is waiting on the"
        " {{ responsible_party }}.{% endif %}</p>",
    ),
    "offer_accepted": (
        "Offer accepted: {{ candidate_name }} · {{ job_title }}",
        "{{ candidate_name }} accepted the offer for {{ job_title }}.",
        "<p><strong>{{ candidate_name }}</strong> accepted the offer for <strong>{{ job_title }}</strong>.</p>",
    ),
    "prescreen_requested": (
        "Pre-screen requested: {{ candidate_name }} · {{ job_title }}",
        "You are asked to pre-screen {{ candidate_name }} for {{ job_title }}.{% if message %}\n{{ message }}"
        "{% endif %}",
        "<p>You are asked to pre-screen <strong>{{ candidate_name }}</strong> for <strong>{{ job_title }}</strong>."
        "</p>{% if message %}<blockquote>{{ message }}</blockquote>{% endif %}",
    ),
    "note_added": (
        "New note: {{ candidate_name }} · {{ job_title }}",
        "{% if audience == 'candidate' %}There is a new note on your application for {{ job_title }}.{% else %}"
        "There is a new note on {{ candidate_name }}'s application for {{ job_title }}.{% endif %}",
        "<p>{% if audience == 'candidate' %}There is a new note on your application for <strong>{{ job_title }}"
        "</strong>.{% else %}There is a new note on <strong>{{ candidate_name }}</strong>'s application for "
        "<strong>{{ job_title }}</strong>.{% endif %}</p>",
    ),
    "placement_state": (
        "Placement {{ to_state }}: {{ candidate_name }} · {{ job_title }}",
        "The placement of {{ candidate_name }} for {{ job_title }} is now {{ to_state }}."
        "{% if reason %}\nReason: {{ reason }}{% endif %}",
        "<p>The placement of <strong>{{ candidate_name }}</strong> for <strong>{{ job_title }}</strong> is now "
        "<strong>{{ to_state }}</strong>.</p>{% if reason %}<p>Reason: {{ reason }}</p>{% endif %}",
    ),
    "payout_failed": (
        "A payout could not be made",
        "A payout for placement {{ placement_id }} failed: {{ reason }}. Check your Stripe account.",
        "<p>A payout for placement {{ placement_id }} failed: {{ reason }}.</p><p>Check your Stripe account.</p>",
    ),
    "connect_account": (
        "{% if enabled %}Payouts are enabled{% else %}Payouts are paused{% endif %} for your Stripe account",
        "{% if enabled %}Your Stripe account can receive payouts.{% else %}Your Stripe account cannot receive "
        "payouts{% if reason %} ({{ reason }}){% endif %}. Payouts wait until it is fixed.{% endif %}",
        "<p>{% if enabled %}Your Stripe account can receive payouts.{% else %}Your Stripe account cannot receive "
        "payouts{% if reason %} ({{ reason }}){% endif %}. Payouts wait until it is fixed.{% endif %}</p>",
    ),
    "subscription_canceled": (
        "Your subscription is cancelled",
        "Your Splits subscription is cancelled{% if ends_on %} and ends on {{ ends_on }}{% endif %}.",
        "<p>Your Splits subscription is cancelled{% if ends_on %} and ends on <strong>{{ ends_on }}</strong>"
        "{% endif %}.</p>",
    ),
    "consent_declined": (
        "{{ candidate_name }} declined your representation",
        "{{ candidate_name }} declined to be represented by you.{% if reason %}\nReason: {{ reason }}{% endif %}",
        "<p><strong>{{ candidate_name }}</strong> declined to be represented by you.</p>"
        "{% if reason %}<p>Reason: {{ reason }}</p>{% endif %}",
    ),
    "representation_invitation_cancelled": (
        "{{ recruiter_name }} withdrew their invitation",
        "{{ recruiter_name }} withdrew the invitation to represent you. Nothing else changes.",
        "<p><strong>{{ recruiter_name }}</strong> withdrew the invitation to represent you.</p>",
    ),
    "recruiter_company": (
        "{% if step == 'invited' %}{{ company_name }} invites you to recruit for it{% elif step == 'requested' %}"
        "{{ recruiter_name }} asks to work with {{ company_name }}{% else %}"
        "Working together: {% if audience == 'company' %}{{ recruiter_name }}{% else %}{{ company_name }}{% endif %}"
        " {{ step }}{% endif %}",
        "{% if step == 'invited' %}{{ company_name }} invites you to recruit for it.{% elif step == 'requested' %}"
        "{{ recruiter_name }} asks to work with {{ company_name }}.{% else %}{% if audience == 'company' %}"
        "{{ recruiter_name }}{% else %}{{ company_name }}{% endif %} {{ step }} the request to work together."
        "{% endif %}{% if message %}\n{{ message }}{% endif %}{% if reason %}\nReason: {{ reason }}{% endif %}",
        "<p>{% if step == 'invited' %}<strong>{{ company_name }}</strong> invites you to recruit for it."
        "{% elif step == 'requested' %}<strong>{{ recruiter_name }}</strong> asks to work with <strong>"
        "{{ company_name }}</strong>.{% else %}<strong>{% if audience == 'company' %}{{ recruiter_name }}{% else %}"
        "{{ company_name }}{% endif %}</strong> {{ step }} the request to work together.{% endif %}</p>"
        "{% if message %}<blockquote>{{ message }}</blockquote>{% endif %}{% if reason %}<p>Reason: {{ reason }}"
        "</p>{% endif %}",
    ),
    "job_status": (
        "{{ job_title }} is now {{ to_status }}",
        "The job {{ job_title }} moved from {{ from_status }} to {{ to_status }}.{% if reason %}\nReason: {{ reason }}"
        "{% endif %}",
        "<p>The job <strong>{{ job_title }}</strong> moved from {{ from_status }} to <strong>{{ to_status }}</strong>."
        "</p>{% if reason %}<p>Reason: {{ reason }}</p>{% endif %}",
    ),
    "member_joined": (
        "{{ member_name }} joined {{ group_name }}",
        "{{ member_name }} accepted the invitation and joined {{ group_name }} as {{ role }}.",
        "<p><strong>{{ member_name }}</strong> accepted the invitation and joined <strong>{{ group_name }}</strong>"
        " as {{ role }}.</p>",
    ),
}

ACTION_LABELS = {
    "candidate_invitation": "Review the invitation", "organization_invitation": "Accept the invitation",
    "firm_invitation": "Accept the invitation", "connect_required": "Set up payouts",
    "company_platform_invitation": "Accept the invitation", "referral_redeemed": "See your referrals",
    "fraud_alert": "Review the signal", "payout_failed": "Check your account", "connect_account": "Open payouts",
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
