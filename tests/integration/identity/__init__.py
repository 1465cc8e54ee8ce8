"""Integration tests of identity."""
