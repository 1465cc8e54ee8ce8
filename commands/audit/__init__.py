"""The audit context: exports of a placement's money trail, recorded as events."""
