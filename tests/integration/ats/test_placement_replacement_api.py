"""A failed placement linked to its replacement through HTTP (domain §4.2): `POST /v1/placements/{id}/replacement`
by the company's admins or a platform admin; the failed placement shows `replacement_placement_id`, the
replacement `replaces_placement_id` (written by the placement-replacements process). Every refusal is a 4xx
problem with a stable code, and neither placement's stream moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from commands.ats import placement as placements
from eventstore import EventStore, handle, stream_id_for
from tests.api import SEEDER
from tests.helpers import wait_until
from tests.integration.ats.ats_people import People, ats_people


@pytest.fixture
async def people(fresh_store: EventStore) -> AsyncIterator[People]:
    async with ats_people(fresh_store) as p:
        yield p


async def hire(p: People, job_id: UUID, company_id: UUID, failed: bool = False) -> UUID:
    placement_id, now = uuid4(), datetime.now(UTC)
    await handle(p.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=job_id, candidate_id=uuid4(), company_id=company_id,
        salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=now, start_date=date(2027, 1, 4),
        by="seed", at=now), SEEDER)
    if failed:
        await handle(p.store, placements.placement, placement_id, placements.FailPlacement(
            placement_id=placement_id, reason="left in week two", by="seed", at=now), SEEDER)
    return placement_id


async def versions(p: People, *placement_ids: UUID) -> list[int]:
    return [len(await p.store.read_stream(stream_id_for(placements.placement, i))) for i in placement_ids]


async def read(p: People, caller: str, placement_id: UUID, after: dict | None = None) -> dict:
    """The placement as `caller` reads it, after the write `after` answered (its consistency token), if given."""
    params = {"after": after["body"]["consistency_token"]} if after else {}
    answer = await p.client.get(f"/v1/placements/{placement_id}", params=params, headers=p.headers(caller))
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


async def link(p: People, caller: str, placement_id: UUID, replacement_id: UUID | str, **extra) -> dict:
    body = {"replacement_placement_id": str(replacement_id), **extra}
    answer = await p.client.post(f"/v1/placements/{placement_id}/replacement", json=body, headers=p.headers(caller))
    return {"status": answer.status_code, "type": answer.headers.get("content-type"), "body": answer.json()}


async def test_a_failed_placement_names_its_replacement_and_both_reads_show_it(people: People) -> None:
    p = people
    job = uuid4()
    failed = await hire(p, job, p.company_a, failed=True)
    replacement = await hire(p, job, p.company_a)

    async def visible() -> bool:
        answer = await p.client.get(f"/v1/placements/{replacement}", headers=p.headers("a_admin"))
        return answer.status_code == 200

    await wait_until(visible)
    linked = await link(p, "a_admin", failed, replacement)
    assert linked["status"] == 200, linked
    assert (await read(p, "a_admin", failed, linked))["replacement_placement_id"] == str(replacement)

    async def marked() -> bool:
        return (await read(p, "a_admin", replacement)).get("replaces_placement_id") == str(failed)

    await wait_until(marked)
    assert (await read(p, "admin", replacement))["replaces_placement_id"] == str(failed)
    assert (await read(p, "admin", failed))["replaces_placement_id"] is None
    again = await link(p, "a_admin", failed, replacement)
    assert again["status"] == 200 and again["body"]["version"] == linked["body"]["version"]  # nothing new
    assert await versions(p, failed, replacement) == [3, 2]

    # A platform admin links too; a replacement that already replaces another placement, or a failed placement
    # already replaced, is a conflict.
    second_failed, other_replacement = await hire(p, job, p.company_a, failed=True), await hire(p, job, p.company_a)
    for placement_id, replacement_id, code in ((second_failed, replacement, "replacement_already_linked"),
                                                (failed, other_replacement, "placement_already_replaced")):
        before = await versions(p, placement_id, replacement_id)
        refused = await link(p, "a_admin", placement_id, replacement_id)
        assert (refused["status"], refused["body"]["code"]) == (409, code), refused
        assert await versions(p, placement_id, replacement_id) == before
    assert (await link(p, "admin", second_failed, other_replacement))["status"] == 200


async def test_refusals_give_a_stable_code_and_write_nothing(people: People) -> None:
    p = people
    job = uuid4()
    failed = await hire(p, job, p.company_a, failed=True)
    replacement = await hire(p, job, p.company_a)
    another_job = await hire(p, uuid4(), p.company_a)
    failed_too = await hire(p, job, p.company_a, failed=True)
    elsewhere = await hire(p, job, p.company_b)
    everything = (failed, replacement, another_job, failed_too, elsewhere)
    before = await versions(p, *everything)
    cases = [
        ("a_manager", failed, replacement, 403, "forbidden"),  # sees the placement, does not change it
        ("b_admin", failed, replacement, 404, "not_found"),
        ("recruiter", failed, replacement, 404, "not_found"),
        ("a_admin", failed, another_job, 422, "replacement_not_same_job"),
        ("a_admin", failed, failed_too, 422, "replacement_failed"),
        ("a_admin", failed, failed, 422, "replacement_is_itself"),
        ("a_admin", failed, uuid4(), 404, "replacement_not_found"),
        ("a_admin", failed, elsewhere, 404, "replacement_not_found"),  # another company's: not seen
        ("admin", failed, elsewhere, 422, "replacement_not_same_job"),
        ("a_admin", another_job, replacement, 422, "placement_not_failed"),
        ("a_admin", failed, "not-an-id", 422, "invalid_request"),
    ]
    for caller, placement_id, replacement_id, status, code in cases:
        refused = await link(p, caller, placement_id, replacement_id)
        assert (refused["status"], refused["body"].get("code")) == (status, code), (caller, refused)
        assert refused["type"] == "application/problem+json"
    extra = await link(p, "a_admin", failed, replacement, by_company_id=str(p.company_a))
    assert extra["status"] == 422  # no other field
    anonymous = await link(p, "anonymous", failed, replacement)
    assert anonymous["status"] == 401
    assert await versions(p, *everything) == before


async def test_two_failed_placements_cannot_both_name_one_replacement_before_the_process_marks_it(
        people: People) -> None:
    """The replacement is reserved on its own stream when it is linked, not later by the process: a second failed
    placement naming it right after the first (before any process ran) is refused, and its stream does not move."""
    p = people
    job = uuid4()
    first, second = await hire(p, job, p.company_a, failed=True), await hire(p, job, p.company_a, failed=True)
    replacement = await hire(p, job, p.company_a)
    linked = await link(p, "admin", first, replacement)
    assert linked["status"] == 200, linked
    assert await versions(p, replacement) == [2]  # marked with the link, whatever the process does later
    before = await versions(p, second)
    refused = await link(p, "admin", second, replacement)
    assert (refused["status"], refused["body"].get("code")) == (409, "replacement_already_linked"), refused
    assert await versions(p, second) == before
