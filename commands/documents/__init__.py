"""The documents context: files attached to candidates, jobs, applications, companies and placements."""
