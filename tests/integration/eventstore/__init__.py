"""Integration tests of eventstore."""
