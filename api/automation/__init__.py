"""Automation routes: reputation, fraud signals and marketplace metrics (domain §7.6, §14)."""
