"""Reactors whose side effect leaves the system (AI reviews, and later emails and payouts)."""
