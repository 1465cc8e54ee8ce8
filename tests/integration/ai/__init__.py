"""Integration tests of ai."""
