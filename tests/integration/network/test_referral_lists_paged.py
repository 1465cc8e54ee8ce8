"""A recruiter's referrals and company invitations are lists that grow without bound (every user who signs up
with a code, every company invited; a platform admin sees every invitation), so each page is read as a page:
`limit` rows at `page`, and the total counted in SQL, as the jobs, candidates, activity and job notes are read.
Reading the whole list to answer one page is for the few lists small by nature (api/responses.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from projections.network.referral_queries import list_company_invitations, list_referrals
from tests.integration.ats.test_applications_api import all_projected
from tests.integration.network.test_referral_sourcing_api import (  # noqa: F401
    ClerkWorld,
    _default_code,
    clerk_world_fixture,
)


async def test_referrals_and_company_invitations_are_read_one_page_at_a_time(cworld: ClerkWorld) -> None:
    w, recruiter_id = cworld, cworld.recruiter["stranger"]
    code = await _default_code(w, "stranger")
    for name in ("ana", "ben", "cy"):
        w.newcomer(name)
        assert (await w.register(name, code)).status_code == 200
        sent = await w.post("stranger", "/v1/company-invitations", {"invited_email": f"{name}.{w.run}@example.com"})
        assert sent.status_code == 201, sent.text
    await all_projected(w.store)

    async with w.store.pool.connection() as conn:
        referrals, total = await list_referrals(conn, recruiter_id, page=2, limit=2)
        assert (len(referrals), total) == (1, 3)
        assert (await list_referrals(conn, recruiter_id, page=3, limit=2)) == ([], 3)
        invitations, total = await list_company_invitations(conn, recruiter_id, datetime.now(UTC), page=1, limit=2)
        assert (len(invitations), total) == (2, 3)
        everyone, total = await list_company_invitations(conn, None, datetime.now(UTC), page=1, limit=1)
        assert len(everyone) == 1 and total >= 3

    # The routes answer the same pages.
    page = (await w.get("stranger", "/v1/recruiter-codes/referrals", page=2, limit=2)).json()
    assert page["pagination"] == {"total": 3, "page": 2, "limit": 2, "total_pages": 2}
    assert [UUID(r["user_id"]) for r in page["data"]] == [r["user_id"] for r in referrals]
    page = (await w.get("stranger", "/v1/company-invitations", page=1, limit=2)).json()
    assert page["pagination"] == {"total": 3, "page": 1, "limit": 2, "total_pages": 2}
    assert [UUID(i["id"]) for i in page["data"]] == [i["id"] for i in invitations]
