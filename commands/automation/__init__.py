"""The automation context: recruiter and company reputation, fraud signals (domain §3.5, §6.5, §14)."""
