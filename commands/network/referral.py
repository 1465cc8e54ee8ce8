"""A user's referral: the recruiter code they registered with (domain §3.3 `recruiter_codes_log`, §6
`recruiter_code.used`). One stream per user, `referral-<user_id>`.

The first code wins: the same code again records nothing, another code is refused (409 `already_referred`),
so that whoever gave the user their first code stays their sourcer. A recruiter cannot refer themself.
Whether the code exists and is active is read by the caller from the code's own stream (`recruiter_codes`)
and the command is only sent for an active one; what the referral sources is decided by the ats process
(consumers/ats/referral_process.py): the user's candidate record, or the company their organization runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import AwareDatetime

from commands.core import Command, Conflict, Decider, RuleViolation
from commands.identity.fields import Actor
from commands.network.recruiter import recruiter_id_for
from commands.network.recruiter_code import Code
from commands.network.recruiter_code_events import RecruiterCodeRedeemed


class AlreadyReferred(Conflict):
    code = "already_referred"


class SelfReferral(RuleViolation):
    code = "self_referral"


class RedeemRecruiterCode(Command):
    user_id: UUID
    recruiter_id: UUID
    code_id: UUID
    code: Code
    by: Actor
    at: AwareDatetime


@dataclass(frozen=True)
class Referral:
    exists: bool = False
    user_id: UUID | None = None
    recruiter_id: UUID | None = None
    code_id: UUID | None = None
    code: str | None = None
    redeemed_at: datetime | None = None


def initial_state() -> Referral:
    return Referral()


def evolve(s: Referral, e: RecruiterCodeRedeemed) -> Referral:
    if s.exists:
        return s  # only the first referral counts
    return Referral(True, e.user_id, e.recruiter_id, e.code_id, e.code, e.at)


def decide(cmd: RedeemRecruiterCode, s: Referral) -> list[RecruiterCodeRedeemed]:
    if not isinstance(cmd, RedeemRecruiterCode):
        raise TypeError(f"the referral decider has no case for {type(cmd).__name__}")
    if s.exists:
        if s.code_id == cmd.code_id:
            return []  # registering again with the same code records nothing
        raise AlreadyReferred(f"you registered with the code {s.code} already; the first code stays",
                              referral_code=s.code)
    if cmd.recruiter_id == recruiter_id_for(cmd.user_id):
        raise SelfReferral("a recruiter cannot register with their own referral code")
    return [RecruiterCodeRedeemed(user_id=cmd.user_id, recruiter_id=cmd.recruiter_id, code_id=cmd.code_id,
                                  code=cmd.code, by=cmd.by, at=cmd.at)]


referral: Decider[RedeemRecruiterCode, RecruiterCodeRedeemed, Referral] = Decider(
    "referral", initial_state, evolve, decide, events=(RecruiterCodeRedeemed,)
)
