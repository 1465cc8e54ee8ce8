"""Rebuilding the network read schema (`splits replay network`) gives what the live projector built:
every table, row for row, whatever path each recruiter, relationship and firm took."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from psycopg import sql

from commands.network import firm as firms
from commands.network import recruiter as recruiters
from commands.network import recruiter_candidate as rtr
from commands.network import recruiter_company as rco
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import EventStore, handle
from projections.network import network
from projections.registry import all_projections
from tests.api import SEEDER
from tests.helpers import NOW, feed_settled

TABLES = ("recruiters", "recruiter_candidates", "recruiter_companies", "firms", "firm_members", "firm_invitations")


async def schema_rows(store: EventStore, schema: str) -> dict[str, list]:
    rows = {}
    async with store.pool.connection() as conn:
        for table in TABLES:
            query = sql.SQL("SELECT to_jsonb(t) FROM {}.{} t ORDER BY to_jsonb(t)::text").format(
                sql.Identifier(schema), sql.Identifier(table))
            rows[table] = [r[0] for r in await (await conn.execute(query)).fetchall()]
    return rows


async def run(store: EventStore, decider, entity_id: UUID, *commands) -> None:
    for command in commands:
        await handle(store, decider, entity_id, command, SEEDER)


def at(days: float):
    return NOW + timedelta(days=days)


async def recruiter_paths(store: EventStore) -> list[UUID]:
    ids = []
    for i in range(4):
        user_id = uuid4()
        rid = recruiters.recruiter_id_for(user_id)
        ids.append(rid)
        await run(store, recruiters.recruiter, rid,
                  recruiters.CreateRecruiter(user_id=user_id, slug=f"r-{i}", industries=["fintech"], bio="Bio",
                                             marketplace_enabled=bool(i % 2), by="u", at=at(0)),
                  recruiters.UpdateRecruiterProfile(recruiter_id=rid, by_user_id=user_id, bio=None, tagline=f"T{i}",
                                                    specialties=["sales", "ops"], years_experience=i, by="u", at=at(1)))
        if i == 3:
            await run(store, recruiters.recruiter, rid, recruiters.ChangeRecruiterStatus(
                recruiter_id=rid, status="suspended", reason="review", is_platform_admin=True, by="a", at=at(2)))
    return ids


async def candidate_paths(store: EventStore, recruiter_id: UUID) -> None:
    def token(n: int) -> str:
        return f"{n:064x}"

    for path in range(6):
        candidate_id = uuid4()
        invite = rtr.InviteCandidate(recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(),
                                     token=token(path * 10), by="r", at=at(0))
        rid = invite.relationship_id
        await run(store, rtr.recruiter_candidate, rid, invite)
        consent = rtr.GiveConsent(relationship_id=rid, token=token(path * 10), user_id=uuid4(), ip_address="10.0.0.1",
                                  user_agent="ua", by="c", at=at(1))
        steps = {
            0: [consent],
            1: [consent, rtr.TerminateRecruiterCandidate(relationship_id=rid, side="candidate", party_id=candidate_id,
                                                          reason="done", by="c", at=at(2))],
            2: [rtr.DeclineConsent(relationship_id=rid, token=token(path * 10), reason="no", by="c", at=at(1))],
            3: [rtr.CancelCandidateInvitation(relationship_id=rid, by_recruiter_id=recruiter_id, by="r", at=at(1)),
                rtr.InviteCandidate(recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(),
                                    token=token(31), by="r", at=at(2))],
            4: [rtr.ExpireCandidateInvitation(relationship_id=rid, by="s", at=at(8)),
                rtr.ResendCandidateInvitation(relationship_id=rid, by_recruiter_id=recruiter_id, invitation_id=uuid4(),
                                              token=token(41), by="r", at=at(9))],
            5: [consent, rtr.ExpireRecruiterCandidate(relationship_id=rid, by="s", at=at(400))],
        }[path]
        await run(store, rtr.recruiter_candidate, rid, *steps)


async def company_paths(store: EventStore, recruiter_ids: list[UUID]) -> None:
    company = uuid4()
    first, second, third = recruiter_ids[:3]
    a = rco.InviteRecruiterToCompany(recruiter_id=first, company_id=company, permissions=frozenset({"can_create_jobs"}),
                                     message="join", by="c", at=at(0))
    await run(store, rco.recruiter_company, a.relationship_id, a,
              rco.AcceptRecruiterCompany(relationship_id=a.relationship_id, side="recruiter", party_id=first,
                                         terms_acknowledged=True, by="r", at=at(1)),
              rco.ChangeRecruiterCompanyPermissions(relationship_id=a.relationship_id, by_company_id=company,
                                                    permissions=frozenset({"can_view_jobs", "can_edit_jobs"}),
                                                    by="c", at=at(2)))
    b = rco.RequestCompanyConnection(recruiter_id=second, company_id=company, terms_acknowledged=True, by="r", at=at(0))
    await run(store, rco.recruiter_company, b.relationship_id, b,
              rco.AcceptRecruiterCompany(relationship_id=b.relationship_id, side="company", party_id=company,
                                         by="c", at=at(1)),
              rco.TerminateRecruiterCompany(relationship_id=b.relationship_id, side="company", party_id=company,
                                            reason="freeze", by="c", at=at(2)),
              rco.InviteRecruiterToCompany(recruiter_id=second, company_id=company, relationship_type="sourcer",
                                           by="c", at=at(3)))
    c = rco.RequestCompanyConnection(recruiter_id=third, company_id=company, terms_acknowledged=True, by="r", at=at(0))
    await run(store, rco.recruiter_company, c.relationship_id, c,
              rco.DeclineRecruiterCompany(relationship_id=c.relationship_id, side="company", party_id=company,
                                          reason="no", by="c", at=at(1)))


async def firm_paths(store: EventStore) -> None:
    firm_id, owner, admin, member = uuid4(), uuid4(), uuid4(), uuid4()
    invitations = {email: uuid4() for email in ("adm@x.io", "mem@x.io", "gone@x.io", "late@x.io")}

    def invite(email: str, role: str = "member") -> firms.InviteToFirm:
        return firms.InviteToFirm(firm_id=firm_id, invitation_id=invitations[email], email=email, role=role,
                                  by_user_id=owner, by="o", at=at(0))

    def accept(email: str, user_id: UUID) -> firms.AcceptFirmInvitation:
        return firms.AcceptFirmInvitation(firm_id=firm_id, invitation_id=invitations[email], user_id=user_id,
                                          user_email=email, by="m", at=at(1))

    acting = {"by_user_id": owner, "by": "o"}
    await run(store, firms.firm, firm_id,
              firms.CreateFirm(firm_id=firm_id, name="F", slug="f", by_user_id=owner, may_create_firms=True,
                               admin_take_rate_bps=1000, by="o", at=at(0)),
              invite("adm@x.io", "admin"), invite("mem@x.io"), invite("gone@x.io"), invite("late@x.io"),
              accept("adm@x.io", admin), accept("mem@x.io", member),
              firms.RevokeFirmInvitation(firm_id=firm_id, invitation_id=invitations["gone@x.io"], at=at(2), **acting),
              firms.ExpireFirmInvitation(firm_id=firm_id, invitation_id=invitations["late@x.io"], by="s", at=at(8)),
              firms.SetFirmAdminTakeRate(firm_id=firm_id, admin_take_rate_bps=1250, at=at(3), **acting),
              firms.ChangeFirmMemberRole(firm_id=firm_id, user_id=member, role="admin", at=at(3), **acting),
              firms.TransferFirmOwnership(firm_id=firm_id, to_user_id=member, target_may_create_firms=True,
                                          at=at(4), **acting),
              firms.RemoveFirmMember(firm_id=firm_id, user_id=admin, by_user_id=admin, by="a", at=at(5)),
              firms.SuspendFirm(firm_id=firm_id, reason="plan", is_platform_admin=True, by="p", at=at(6)),
              firms.ReactivateFirm(firm_id=firm_id, is_platform_admin=True, by="p", at=at(7)),
              firms.SuspendFirm(firm_id=firm_id, reason="again", is_platform_admin=True, by="p", at=at(9)))


async def test_a_rebuild_of_the_network_schema_equals_the_live_one(fresh_store: EventStore) -> None:
    store = fresh_store
    assert all_projections()["network"] is network  # what `splits replay network` rebuilds
    recruiter_ids = await recruiter_paths(store)
    await candidate_paths(store, recruiter_ids[0])
    await company_paths(store, recruiter_ids)
    await firm_paths(store)
    await feed_settled(store)
    live = Projector(store.pool, network, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    built = await schema_rows(store, "network")
    assert {table: len(rows) for table, rows in built.items()} == {
        "recruiters": 4, "recruiter_candidates": 6, "recruiter_companies": 3, "firms": 1, "firm_members": 2,
        "firm_invitations": 4}

    # What the live schema holds, in short: each path left its row where the events say.
    assert sorted(r["status"] for r in built["recruiter_candidates"]) == [
        "active", "declined", "expired", "pending", "pending", "terminated"]
    assert sorted((r["status"], r["relationship_type"], tuple(r["permissions"]), r["declined_by"] or "")
                  for r in built["recruiter_companies"]) == [
        ("active", "recruiter", ("can_view_jobs", "can_edit_jobs"), ""), ("declined", "recruiter", (), "company"),
        ("pending", "sourcer", (), "")]
    assert [(f["status"], f["admin_take_rate_bps"]) for f in built["firms"]] == [("suspended", 1250)]
    assert sorted(m["role"] for m in built["firm_members"]) == ["admin", "owner"]
    assert sorted(i["status"] for i in built["firm_invitations"]) == ["accepted", "accepted", "expired", "revoked"]
    assert sorted(r["status"] for r in built["recruiters"]) == ["active", "active", "active", "suspended"]
    assert all(r["bio"] is None and r["specialties"] == ["sales", "ops"] for r in built["recruiters"])

    reference = Projector(store.pool, network, store.registry, schema="network_reference",
                          checkpoint="projection:network_reference")
    await reference.ensure_schema()
    await reference.catch_up()
    assert await schema_rows(store, "network_reference") == built

    async with store.pool.connection() as conn:  # drift, as a buggy handler would leave it
        await conn.execute("UPDATE network.recruiters SET status = 'drifted'")
        await conn.execute("DELETE FROM network.firm_members")
    result = await replay(store.pool, network, store.registry, batch_size=7)
    assert result.projection == "network" and result.events > 0
    assert await schema_rows(store, "network") == built
