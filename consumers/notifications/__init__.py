"""The notifications context's consumers: who is told of each event, through which channel, with which
template."""
