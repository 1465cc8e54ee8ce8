"""The token secret is an adapter chosen once, by the composition root (adapters/tokens.py, infra/bootstrap.py):
the link in a candidate's invitation email is signed with the token signer of the System's adapters, whatever
the settings would give."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

from adapters.mail import Email
from adapters.settings import Settings
from adapters.tokens import DEVELOPMENT_SECRET, TokenSigner, invitation_token
from commands.ats import candidate as candidates
from commands.network import recruiter_candidate as rtr
from consumers.runtime.app import Consumers
from eventstore import EventStore, handle
from infra.bootstrap import adapters_for, system_for
from tests.api import SEEDER

SECRET = b"a-token-secret-of-this-test-alone-0123456789"


class Outbox:
    """A mailer of our own that keeps what it is given to send."""

    provider: Literal["resend", "mailbox"] = "mailbox"

    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email, key: str) -> str:
        self.sent.append(email)
        return f"outbox-{len(self.sent)}"


async def test_the_invitation_link_is_signed_with_the_systems_token_signer(store: EventStore) -> None:
    now, run = datetime.now(UTC), secrets.token_hex(4)
    candidate_id = uuid4()
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, created_by_user_id=uuid4(), full_name="Ivy Invited",
        email=f"ivy-{run}@example.com", by="t", at=now), SEEDER)
    invite = rtr.InviteCandidate(recruiter_id=uuid4(), candidate_id=candidate_id, invitation_id=uuid4(),
                                 token="0" * 64, by="recruiter", at=now)
    await handle(store, rtr.recruiter_candidate, invite.relationship_id, invite, SEEDER)
    [event] = [e for e in await store.read_stream(f"recruiter_candidate-{invite.relationship_id}")
               if e.type == "RecruiterCandidateInvited"]

    # Development settings without a secret would sign with the development secret: the System's signer wins.
    settings = Settings(database_url=store.pool.conninfo, splits_token_secret=None, resend_api_key=None,
                        candidate_app_url="https://app.example")
    outbox = Outbox()
    adapters = dataclasses.replace(adapters_for(settings), tokens=TokenSigner.of(SECRET), mailer=outbox)
    [notifier] = Consumers(system_for(settings, store, adapters), only={"notifier"}).reactors
    await notifier.react(event)

    [email] = outbox.sent
    assert email.to == f"ivy-{run}@example.com"
    assert f"https://app.example/invitations/{invitation_token(SECRET, invite.invitation_id)}" in email.text
    assert invitation_token(DEVELOPMENT_SECRET, invite.invitation_id) not in email.text
