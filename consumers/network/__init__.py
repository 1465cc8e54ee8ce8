"""The network context's consumers: recruiter roles and candidate consents; invitations and relationships
expire."""
