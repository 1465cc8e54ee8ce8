"""Integration tests of platform."""
