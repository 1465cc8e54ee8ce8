"""Integration tests of automation."""
