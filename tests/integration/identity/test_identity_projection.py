"""The identity read schema built from identity events through the command loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from psycopg.rows import dict_row

from commands.identity import invitation, organization, user
from consumers.runtime.projector import Projector
from eventstore import handle
from projections.identity import identity
from tests.helpers import feed_settled

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def test_users_roles_organizations_memberships_and_invitations_are_projected(fresh_store) -> None:
    store = fresh_store
    clerk_id = "user_2abc"
    user_id = user.user_id_for(clerk_id)
    await handle(store, user.user, user_id, user.RegisterUser(
        user_id=user_id, clerk_user_id=clerk_id, email="Ada@Example.com", name="Ada", source="portal", by="clerk", at=AT))
    await handle(store, user.user, user_id, user.GrantRole(user_id=user_id, role="recruiter", role_entity_id=uuid4(), by="admin", at=AT))
    await handle(store, user.user, user_id, user.GrantRole(user_id=user_id, role="platform_admin", by="admin", at=AT))
    await handle(store, user.user, user_id, user.RevokeRole(user_id=user_id, role="platform_admin", by="admin", at=AT))
    org_id, company_id = uuid4(), uuid4()
    await handle(store, organization.organization, org_id, organization.CreateOrganization(
        organization_id=org_id, name="Acme", slug="acme", company_id=company_id, by="clerk", at=AT))
    await handle(store, organization.organization, org_id, organization.AddMember(
        organization_id=org_id, user_id=user_id, role="company_admin", by="clerk", at=AT))
    invitation_id = uuid4()
    await handle(store, invitation.invitation, invitation_id, invitation.CreateInvitation(
        invitation_id=invitation_id, email="grace@example.com", organization_id=org_id, role="hiring_manager",
        by=str(user_id), at=AT))

    projector = Projector(store.pool, identity, store.registry)
    await projector.ensure_schema()
    await feed_settled(store)  # the feed holds back events behind other runs' open transactions
    assert await projector.catch_up() >= 7

    async with store.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT email, name, source FROM identity.users WHERE id = %s", (user_id,))
        assert await cur.fetchone() == {"email": "ada@example.com", "name": "Ada", "source": "portal"}
        await cur.execute("SELECT role FROM identity.user_roles WHERE user_id = %s", (user_id,))
        assert [r["role"] for r in await cur.fetchall()] == ["recruiter"]
        await cur.execute("SELECT organization_id, company_id, role FROM identity.memberships WHERE user_id = %s", (user_id,))
        assert await cur.fetchall() == [{"organization_id": org_id, "company_id": None, "role": "company_admin"}]
        await cur.execute("SELECT company_id FROM identity.organizations WHERE id = %s", (org_id,))
        assert (await cur.fetchone())["company_id"] == company_id
        await cur.execute("SELECT status, expires_at FROM identity.invitations WHERE id = %s", (invitation_id,))
        assert await cur.fetchone() == {"status": "pending", "expires_at": AT + timedelta(days=7)}


async def test_access_context_combines_roles_organizations_and_companies(fresh_store) -> None:
    from projections.identity.access import resolve_access

    store = fresh_store
    admin_clerk, manager_clerk, recruiter_clerk = "user_admin", "user_manager", "user_recruiter"
    ids = {c: user.user_id_for(c) for c in (admin_clerk, manager_clerk, recruiter_clerk)}
    for clerk_id, user_id in ids.items():
        await handle(store, user.user, user_id, user.RegisterUser(
            user_id=user_id, clerk_user_id=clerk_id, email=f"{clerk_id}@example.com", source="portal", by="clerk", at=AT))
    recruiter_entity = uuid4()
    await handle(store, user.user, ids[recruiter_clerk], user.GrantRole(
        user_id=ids[recruiter_clerk], role="recruiter", role_entity_id=recruiter_entity, by="admin", at=AT))
    org_id, company_id, other_company = uuid4(), uuid4(), uuid4()
    await handle(store, organization.organization, org_id, organization.CreateOrganization(
        organization_id=org_id, name="Acme", slug="acme", company_id=company_id, by="clerk", at=AT))
    await handle(store, organization.organization, org_id, organization.AddMember(
        organization_id=org_id, user_id=ids[admin_clerk], role="company_admin", by="clerk", at=AT))
    await handle(store, organization.organization, org_id, organization.AddMember(
        organization_id=org_id, user_id=ids[manager_clerk], company_id=other_company, role="hiring_manager", by="clerk", at=AT))
    projector = Projector(store.pool, identity, store.registry)
    await feed_settled(store)  # every event written above, not only those no other run's transaction holds back
    await projector.catch_up()

    async with store.pool.connection() as conn:
        admin = await resolve_access(conn, admin_clerk)
        manager = await resolve_access(conn, manager_clerk)
        recruiter = await resolve_access(conn, recruiter_clerk)
        stranger = await resolve_access(conn, "user_nobody")
    assert admin.roles == {"company_admin"} and admin.company_ids == {company_id}
    assert admin.org_wide_organization_ids == {org_id} and admin.is_company_admin_of(company_id)
    assert manager.company_ids == {other_company} and manager.scoped_company_ids == {other_company}
    assert manager.org_wide_organization_ids == frozenset() and not manager.is_company_admin_of(other_company)
    assert recruiter.roles == {"recruiter"} and recruiter.recruiter_id == recruiter_entity
    assert recruiter.company_ids == frozenset() and not recruiter.is_company_user
    assert stranger is None
