"""Every projection, by name."""

from __future__ import annotations

from projections.ai import ai
from projections.ats import ats
from projections.billing import billing
from projections.conversations import conversations
from projections.documents import documents
from projections.fraud import fraud
from projections.metrics import metrics
from projections.core import Projection
from projections.identity import identity
from projections.network import network
from projections.reputation import reputation
from projections.notifications import notifications


def all_projections() -> dict[str, Projection]:
    return {p.name: p for p in (ats, identity, network, billing, notifications, documents, ai, fraud, metrics, reputation,
                                conversations)}
