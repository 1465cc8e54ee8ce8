"""Who follows an application live: the people who may read it now (the rule of `ApplicationVisibility`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import psycopg

from commands.ats.application_rules import COMPANY_VISIBLE

_COMPANY_STAGES = sorted(COMPANY_VISIBLE)

_FOLLOWERS = """
SELECT a.id, a.stage, a.updated_at,
       array_remove(ARRAY[c.user_id, cr.user_id, kr.user_id], NULL)
       || CASE WHEN a.company_id IS NOT NULL AND (a.stage = ANY(%(stages)s)
                    OR (a.stage = 'expired' AND a.stage_before_expiry = ANY(%(stages)s)))
          THEN coalesce((SELECT array_agg(DISTINCT m.user_id) FROM identity.memberships m
                           LEFT JOIN identity.organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
                          WHERE m.company_id = a.company_id OR (m.company_id IS NULL AND o.company_id = a.company_id)),
                        '{}')
          ELSE '{}' END AS followers
  FROM ats.applications a
  LEFT JOIN ats.candidates c ON c.id = a.candidate_id
  LEFT JOIN network.recruiters cr ON cr.id = a.candidate_recruiter_id
  LEFT JOIN network.recruiters kr ON kr.id = a.company_recruiter_id
 WHERE a.id = ANY(%(ids)s)
"""


async def application_followers(conn: psycopg.AsyncConnection, application_ids: Collection[UUID]
                                ) -> list[tuple[UUID, str, Any, set[UUID]]]:
    """(application id, stage, updated at, the users following it) of each application: its candidate's user, its
    candidate's and company's recruiters, and its company's members once the application has reached the company."""
    cur = await conn.execute(_FOLLOWERS, {"ids": list(application_ids), "stages": _COMPANY_STAGES})
    return [(row[0], row[1], row[2], set(row[3])) for row in await cur.fetchall()]
