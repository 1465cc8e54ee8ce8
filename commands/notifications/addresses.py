"""An email address as the notifications context keys it: normalized, and its id.

Decided where the issue is silent: an address is normalized by taking the bare address out of a display form
(`Ann <Ann@Example.com>`), trimming it and lower-casing it whole. Providers treat the local part as case
sensitive in theory; in practice every mailbox we send to does not, and a suppression that a change of case
could step around would not be one.
"""

from __future__ import annotations

from email.utils import parseaddr
from uuid import NAMESPACE_URL, UUID, uuid5


def normalized_address(address: str) -> str:
    return (parseaddr(address)[1] or address).strip().lower()


def address_id_for(address: str) -> UUID:
    """The id of the address (the same for every spelling of it): its suppression stream and data subject."""
    return uuid5(NAMESPACE_URL, f"splits:emailaddress:{normalized_address(address)}")
