"""A limit reached is a business rule: every refusal for one answers 422 with its own code, as the saved items'
`max_saved_jobs_reached` and the referral codes' `referral_code_limit_reached` do. 409 is for a state the request
did not expect (a stale version, something already there or taken): a client that retries on it, or tells the
user "someone changed this", would get a limit wrong.
"""

from __future__ import annotations

import re

from api.problems import _status_of
from commands.core import DomainError
from infra.app import create_app

_LIMIT = re.compile(r"(^too_many_|_reached$|_limit_)")


def _every(cls: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_every(sub)]
    return found


def test_every_refusal_for_a_limit_reached_is_a_422() -> None:
    create_app(None)  # type: ignore[arg-type]  # every route, and so every refusal it raises, is imported
    limits = {cls for cls in _every(DomainError) if _LIMIT.search(getattr(cls, "code", "") or "")}
    codes = {cls.code for cls in limits}
    # The walk sees the limits of this API (a refusal renamed away from the pattern fails here, not silently).
    assert {"max_saved_jobs_reached", "referral_code_limit_reached", "too_many_skill_proposals"} <= codes, codes
    statuses = {cls.code: _status_of(cls.__new__(cls), "/v1/x") for cls in limits}
    assert {code: status for code, status in statuses.items() if status != 422} == {}
