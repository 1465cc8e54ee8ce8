"""The operations context: what operators do in the console (verify a chain, requeue dead letters, replay a
projection, check an audit bundle), each recorded as an event with the operator as its actor."""
