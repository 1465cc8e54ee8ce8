"""Integration tests of audit."""
