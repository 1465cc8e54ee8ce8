"""Integration tests of ats."""
