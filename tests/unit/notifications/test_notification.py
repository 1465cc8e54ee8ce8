"""The notification and preference deciders, and the templates."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from jinja2 import UndefinedError

from commands.core import Forbidden, NotFound
from commands.notifications import notification as n
from commands.notifications import preferences as p
from commands.notifications.events import (
    EmailFailed,
    EmailSent,
    NotificationCreated,
    NotificationDismissed,
    NotificationPreferenceSet,
    NotificationRead,
)
from consumers.notifications.templates import money, render
from tests.unit.dsl import given

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SOURCE = UUID("00000000-0000-4000-8000-00000000000e")
USER = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER = UUID("00000000-0000-4000-8000-0000000000b2")
ID = n.notification_id_for(SOURCE, str(USER), "application_stage")


def in_app() -> n.RecordInApp:
    return n.RecordInApp(notification_id=ID, user_id=USER, category="applications", template="application_stage",
                         title="T", body="B", source_event_id=SOURCE, at=AT)


def sent_cmd() -> n.RecordEmailSent:
    return n.RecordEmailSent(notification_id=ID, user_id=USER, recipient_email="a@example.com",
                             category="applications", template="application_stage", subject="S", text="t",
                             html="<p>t</p>", provider="resend", provider_message_id="m1", idempotency_key="k",
                             source_event_id=SOURCE, at=AT)


def failed_cmd() -> n.RecordEmailFailed:
    return n.RecordEmailFailed(notification_id=ID, user_id=USER, recipient_email="a@example.com",
                               template="application_stage", subject="S", reason="refused", source_event_id=SOURCE,
                               at=AT)


CREATED = NotificationCreated(**in_app().model_dump())
SENT = EmailSent(**sent_cmd().model_dump())


def test_the_id_is_one_per_event_recipient_and_template():
    assert n.notification_id_for(SOURCE, str(USER), "application_stage") == ID
    assert n.notification_id_for(SOURCE, str(OTHER), "application_stage") != ID
    assert n.notification_id_for(SOURCE, str(USER), "placement_created") != ID


def test_in_app_and_email_are_recorded_once_each():
    given(n.notification).when(in_app()).then(CREATED)
    given(n.notification, CREATED).when(in_app()).then()
    given(n.notification, CREATED).when(sent_cmd()).then(SENT)
    given(n.notification, CREATED, SENT).when(sent_cmd()).then()
    given(n.notification, SENT).when(failed_cmd()).then()  # sent already: a later failure changes nothing
    given(n.notification).when(failed_cmd()).then(EmailFailed(**failed_cmd().model_dump()))
    given(n.notification, EmailFailed(**failed_cmd().model_dump())).when(sent_cmd()).then()


def test_only_the_recipient_reads_or_dismisses_once():
    read = n.MarkRead(notification_id=ID, user_id=USER, at=AT)
    given(n.notification, CREATED).when(read).then(NotificationRead(notification_id=ID, user_id=USER, at=AT))
    given(n.notification, CREATED, NotificationRead(notification_id=ID, user_id=USER, at=AT)).when(read).then()
    given(n.notification, CREATED).when(n.MarkRead(notification_id=ID, user_id=OTHER, at=AT)).then_raises(Forbidden)
    given(n.notification, SENT).when(read).then_raises(NotFound)  # an email alone is not in the inbox
    dismiss = n.Dismiss(notification_id=ID, user_id=USER, at=AT)
    given(n.notification, CREATED).when(dismiss).then(NotificationDismissed(notification_id=ID, user_id=USER, at=AT))


def test_preferences_are_on_until_turned_off_and_a_repeat_records_nothing():
    assert p.initial_state().email("billing") and p.initial_state().in_app("billing")
    off = p.SetPreference(user_id=USER, category="billing", email_enabled=False, in_app_enabled=True, at=AT)
    given(p.preferences).when(off).then(NotificationPreferenceSet(**off.model_dump()))
    given(p.preferences, NotificationPreferenceSet(**off.model_dump())).when(off).then()
    state = given(p.preferences, NotificationPreferenceSet(**off.model_dump())).state
    assert (state.email("billing"), state.in_app("billing"), state.email("applications")) == (False, True, True)
    on = p.SetPreference(user_id=USER, category="applications", email_enabled=True, in_app_enabled=True, at=AT)
    given(p.preferences).when(on).then()


def test_templates_escape_html_and_carry_the_link():
    rendered = render("application_stage", {"audience": "candidate", "job_title": "<script>x</script>",
                                            "candidate_name": "Cami", "stage_label": "interview", "reason": None,
                                            "action_url": "https://app.example/applications/1"})
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script>" in rendered.text  # plain text is not HTML
    assert "https://app.example/applications/1" in rendered.html and rendered.text.endswith(
        "https://app.example/applications/1")
    assert rendered.subject == "Cami · <script>x</script>: interview"


def test_a_template_missing_a_value_fails_loudly():
    with pytest.raises(UndefinedError, match="job_title"):
        render("application_stage", {"audience": "candidate", "candidate_name": "C", "stage_label": "x",
                                     "reason": None})


def test_money_is_written_from_cents():
    assert (money(4_218_761), money(5), money(100_000)) == ("$42,187.61", "$0.05", "$1,000.00")
