"""The caller's access context: who they are on the platform and what they may see and change.

Resolved per request from the identity read schema (domain §2.2) in one query. The network context
(recruiter firms) and the ats context add their parts as they are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import psycopg

_RESOLVE = """
SELECT u.id,
       coalesce(array_agg(DISTINCT r.role) FILTER (WHERE r.role IS NOT NULL), '{}')
         || coalesce(array_agg(DISTINCT m.role) FILTER (WHERE m.role IS NOT NULL), '{}') AS roles,
       coalesce(array_agg(DISTINCT m.organization_id) FILTER (WHERE m.organization_id IS NOT NULL), '{}') AS orgs,
       coalesce(array_agg(DISTINCT m.organization_id) FILTER (WHERE m.organization_id IS NOT NULL
                                                              AND m.company_id IS NULL), '{}') AS org_wide,
       coalesce(array_agg(DISTINCT m.company_id) FILTER (WHERE m.company_id IS NOT NULL), '{}') AS scoped,
       coalesce(array_agg(DISTINCT o.company_id) FILTER (WHERE o.company_id IS NOT NULL
                                                         AND m.company_id IS NULL), '{}') AS org_companies,
       max(r.role_entity_id::text) FILTER (WHERE r.role = 'recruiter') AS recruiter_id,
       max(r.role_entity_id::text) FILTER (WHERE r.role = 'candidate') AS candidate_id
  FROM identity.users u
  LEFT JOIN identity.user_roles r ON r.user_id = u.id
  LEFT JOIN identity.memberships m ON m.user_id = u.id
  LEFT JOIN identity.organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
 WHERE u.clerk_user_id = %s AND u.deleted_at IS NULL
 GROUP BY u.id
"""


@dataclass(frozen=True)
class Access:
    """What the caller is. `company_ids` are the companies whose data they may see as company staff:
    the company of every organization they belong to organization-wide, plus company-scoped ones."""

    user_id: UUID | None = None
    clerk_user_id: str | None = None
    roles: frozenset[str] = frozenset()
    organization_ids: frozenset[UUID] = frozenset()
    org_wide_organization_ids: frozenset[UUID] = frozenset()
    scoped_company_ids: frozenset[UUID] = frozenset()
    company_ids: frozenset[UUID] = frozenset()
    recruiter_id: UUID | None = None
    candidate_id: UUID | None = None
    firm_ids: frozenset[UUID] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    @property
    def is_company_user(self) -> bool:
        return bool(self.roles & {"company_admin", "hiring_manager"})

    def is_company_admin_of(self, company_id: UUID | None) -> bool:
        return company_id is not None and "company_admin" in self.roles and company_id in self.company_ids


ANONYMOUS = Access()


async def resolve_access(conn: psycopg.AsyncConnection, clerk_user_id: str) -> Access | None:
    """The access context of a Clerk user, or None when the user is unknown here (not synced yet, or deleted)."""
    cur = await conn.execute(_RESOLVE, (clerk_user_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    user_id, roles, orgs, org_wide, scoped, org_companies, recruiter_id, candidate_id = row
    return Access(
        user_id=user_id,
        clerk_user_id=clerk_user_id,
        roles=frozenset(roles),
        organization_ids=frozenset(orgs),
        org_wide_organization_ids=frozenset(org_wide),
        scoped_company_ids=frozenset(scoped),
        company_ids=frozenset(scoped) | frozenset(org_companies),
        recruiter_id=UUID(recruiter_id) if recruiter_id else None,
        candidate_id=UUID(candidate_id) if candidate_id else None,
    )
