"""The privacy context's consumers: the erasure process and the retention schedules."""
