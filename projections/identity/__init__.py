"""The identity read schema: users, roles, consent, organizations, memberships, invitations."""

from projections.identity import organizations as _organizations  # noqa: F401  (each module registers its tables)
from projections.identity import users as _users  # noqa: F401
from projections.identity.schema import identity

__all__ = ["identity"]
