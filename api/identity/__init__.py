"""Identity routes: Clerk webhooks (and, later, the users, organizations and invitations API)."""
