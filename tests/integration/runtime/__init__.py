"""Integration tests of runtime."""
