"""Integration tests of documents."""
