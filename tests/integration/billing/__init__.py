"""Integration tests of billing."""
