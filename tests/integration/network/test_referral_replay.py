"""Rebuilding the network read schema gives the same referral codes, referrals and company platform invitations
as the live projector built, redemption counts included (a re-applied redemption does not count twice)."""

from __future__ import annotations

from uuid import uuid4

from psycopg import sql

from commands.network import company_invitation as ci
from commands.network import recruiter as recruiters
from commands.network import recruiter_code as codes
from commands.network import referral as referrals
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import EventStore
from projections.network import network
from tests.helpers import feed_settled
from tests.integration.network.test_network_replay import at, run

TABLES = ("recruiter_codes", "referrals", "company_invitations")


async def schema_rows(store: EventStore, schema: str) -> dict[str, list]:
    rows = {}
    async with store.pool.connection() as conn:
        for table in TABLES:
            query = sql.SQL("SELECT to_jsonb(t) FROM {}.{} t ORDER BY to_jsonb(t)::text").format(
                sql.Identifier(schema), sql.Identifier(table))
            rows[table] = [r[0] for r in await (await conn.execute(query)).fetchall()]
    return rows


async def test_a_rebuild_of_the_referral_tables_equals_the_live_ones(fresh_store: EventStore) -> None:
    store = fresh_store
    recruiter = recruiters.recruiter_id_for(uuid4())
    first, second = uuid4(), uuid4()
    await run(store, codes.recruiter_codes, recruiter,
              codes.EnsureDefaultRecruiterCode(recruiter_id=recruiter, code_id=first, code="ABCDEFGH", by="r",
                                               at=at(0)),
              codes.CreateRecruiterCode(recruiter_id=recruiter, code_id=second, code="HJKMNPQR", label="Ads",
                                        max_active=None, by="r", at=at(1)),
              codes.DeactivateRecruiterCode(recruiter_id=recruiter, code_id=second, by="r", at=at(2)))
    for n in range(3):
        user = uuid4()
        await run(store, referrals.referral, user, referrals.RedeemRecruiterCode(
            user_id=user, recruiter_id=recruiter, code_id=first if n else second, code="ABCDEFGH" if n else "HJKMNPQR",
            by="u", at=at(1 + n)))
    for path in range(3):
        invitation = uuid4()
        token = f"{path:064x}"
        steps: list = [ci.InviteCompanyToPlatform(
            invitation_id=invitation, recruiter_id=recruiter, invite_code="SPLITS-ABC234", token=token,
            invited_email=f"boss{path}@example.com", company_name_hint="Acme" if path else None, by="r", at=at(0))]
        if path == 1:
            steps.append(ci.RevokeCompanyInvitation(invitation_id=invitation, by_recruiter_id=recruiter, by="r",
                                                    at=at(1)))
        if path == 2:
            steps.append(ci.AcceptCompanyInvitation(invitation_id=invitation, token=token, user_id=uuid4(),
                                                    organization_id=uuid4(), company_id=uuid4(), by="u", at=at(2)))
        await run(store, ci.company_invitation, invitation, *steps)
    await feed_settled(store)
    live = Projector(store.pool, network, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    built = await schema_rows(store, "network")
    assert sorted((c["code"], c["status"], c["is_default"], c["redemptions"]) for c in built["recruiter_codes"]) == [
        ("ABCDEFGH", "active", True, 2), ("HJKMNPQR", "inactive", False, 1)]
    assert len(built["referrals"]) == 3
    assert sorted(i["status"] for i in built["company_invitations"]) == ["accepted", "pending", "revoked"]

    reference = Projector(store.pool, network, store.registry, schema="network_reference",
                          checkpoint="projection:network_reference")
    await reference.ensure_schema()
    await reference.catch_up()
    assert await schema_rows(store, "network_reference") == built

    async with store.pool.connection() as conn:  # drift, as a buggy handler would leave it
        await conn.execute("UPDATE network.recruiter_codes SET redemptions = 40")
        await conn.execute("DELETE FROM network.referrals")
    await replay(store.pool, network, store.registry, batch_size=4)
    assert await schema_rows(store, "network") == built
