"""Keeping the cached access contexts true to the network schema: the users whose access a committed
batch of network events changed, evicted after the network projector commits it (see `AccessCache`).

The access context takes three things from the network schema (`projections.identity.access`): the
recruiter, the active firms the user is a member of, and the permissions of the recruiter's active
company relationships.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from projections.identity.access import AccessCache

# Network events that change someone's access context, and what in them says whose.
_NETWORK_BY_USER = frozenset({"RecruiterCreated", "FirmMemberAdded", "FirmMemberRemoved"})
_NETWORK_BY_RECRUITER = frozenset({"RecruiterStatusChanged", "RecruiterCompanyAccepted", "RecruiterCompanyTerminated",
                                   "RecruiterCompanyPermissionsChanged"})
_NETWORK_BY_FIRM = frozenset({"FirmSuspended", "FirmReactivated"})

_USERS_OF = """
SELECT user_id FROM network.recruiters WHERE id = ANY(%(recruiters)s)
UNION SELECT user_id FROM identity.user_roles WHERE role = 'recruiter' AND role_entity_id = ANY(%(recruiters)s)
UNION SELECT user_id FROM network.firm_members WHERE firm_id = ANY(%(firms)s)
"""


class NetworkAccessInvalidation:
    """After the network projection commits a batch, evicts the cached access of the users it touched.

    Firm membership events name the user; recruiter and relationship events name the recruiter, whose
    user is looked up (in the rows just committed); a firm's suspension reaches all its members.
    """

    def __init__(self, cache: AccessCache, pool: AsyncConnectionPool) -> None:
        self.cache = cache
        self.pool = pool

    async def __call__(self, events: Iterable[Any]) -> None:
        users: set[UUID] = set()
        recruiters: set[UUID] = set()
        firms: set[UUID] = set()
        for event in events:
            if event.type in _NETWORK_BY_USER:
                users.add(UUID(str(event.data["user_id"])))
            elif event.type in _NETWORK_BY_RECRUITER:
                recruiters.add(UUID(str(event.data["recruiter_id"])))
            elif event.type in _NETWORK_BY_FIRM:
                firms.add(UUID(str(event.data["firm_id"])))
        if recruiters or firms:
            async with self.pool.connection() as conn:
                cur = await conn.execute(_USERS_OF, {"recruiters": list(recruiters), "firms": list(firms)})
                users.update(row[0] for row in await cur.fetchall())
        await self.cache.evict(users)
