"""The ATS context's consumers: a hire becomes a placement, a signed-up candidate gets their record, and the
application and placement deadlines."""
