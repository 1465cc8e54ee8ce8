"""Integration tests of network."""
