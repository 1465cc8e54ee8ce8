"""The email and in-app templates (Jinja2), one file per template beside this module: `<name>.j2` holds the
blocks `subject`, `text` and `html`, and optionally `action_label` (the button's words). The HTML block is
rendered autoescaped inside `layout.html`; the subject and the text are plain text, never escaped. Every link a
person needs is passed in as `action_url`.

Which event sends which template to whom, in which preference category, is the catalogue
(consumers/notifications/catalogue.py, published as docs/notifications.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

HERE = Path(__file__).parent

STAGE_LABELS = {
    "recruiter_request": "changes requested", "screen": "screening", "recruiter_review": "recruiter review",
    "recruiter_proposed": "proposed by your recruiter", "submitted": "submitted to the company",
    "company_review": "company review", "company_feedback": "company feedback", "interview": "interview",
    "offer": "offer", "hired": "hired", "rejected": "not selected", "withdrawn": "withdrawn", "expired": "expired",
}


def _environment(autoescape: bool) -> Environment:
    return Environment(loader=FileSystemLoader(HERE), undefined=StrictUndefined, autoescape=autoescape)


_PLAIN, _ESCAPED = _environment(False), _environment(True)


def template_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.j2"))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _block(env: Environment, template: str, block: str, values: dict[str, Any]) -> str | None:
    compiled = env.get_template(f"{template}.j2")
    render = compiled.blocks.get(block)
    return None if render is None else "".join(render(compiled.new_context(values)))


def render(template: str, context: dict[str, Any]) -> Rendered:
    values = {"action_url": None, **context}
    label = _block(_PLAIN, template, "action_label", values)
    values["action_label"] = (label or "Open Splits").strip()
    text = (_block(_PLAIN, template, "text", values) or "").strip()
    if values["action_url"] and values["action_url"] not in text:
        text += f"\n\n{values['action_url']}"
    body = Markup(_block(_ESCAPED, template, "html", values) or "")
    html = _ESCAPED.get_template("layout.html").render(values | {"body": body})
    return Rendered(subject=" ".join((_block(_PLAIN, template, "subject", values) or "").split()), text=text,
                    html=html)


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"
