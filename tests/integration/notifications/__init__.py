"""Integration tests of notifications."""
