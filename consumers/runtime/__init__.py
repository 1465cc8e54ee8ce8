"""The consumers' runtimes, shared by every context: the relay, the projector, the reactor runner and its
topology, the scheduler, replays, dead letters and the status reports. No context's rules live here."""
