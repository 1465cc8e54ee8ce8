"""The operator console under /console: server-rendered pages over the event store, the consumers, the dead
letters, the replays and a placement's money, for platform admins (api/operations/console.py)."""
