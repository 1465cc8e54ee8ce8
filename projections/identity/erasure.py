"""What an erasure leaves of the identity read schema (see `projections.scrub`).

An erased user's row stays, emptied and marked deleted, so that the ids other records keep still lead
somewhere and their Clerk id (an opaque key, not their data) keeps a sign-in from registering them again
unnoticed; their platform roles go, as on a deletion. Their memberships stay: an organization keeps the
record of who belonged to it, shown as erased.
"""

from __future__ import annotations

from projections.identity.schema import identity
from projections.scrub import AT, ERASED, NULL, Keep, Scrub, declare_erasure

declare_erasure(identity, {
    "users": Scrub("id = ANY(%(user_ids)s)", {
        "email": ERASED, "name": NULL, "image_url": NULL,
        "deleted_at": "coalesce(deleted_at, %(at)s)", "updated_at": AT,
    }),
    "user_roles": Scrub("user_id = ANY(%(user_ids)s)", delete=True),
    "consents": Scrub("user_id = ANY(%(user_ids)s)", {"ip_address": NULL, "user_agent": NULL}),
    "invitations": Scrub("id = ANY(%(invitation_ids)s)", {"email": ERASED}),
    "organizations": Keep("an organization's name and slug are the business's"),
    "memberships": Keep("ids and roles: who belonged to an organization, shown through the erased user"),
})
