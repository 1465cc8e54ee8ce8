"""The floor: every way out of the process but the event store — settings, the clock, Stripe, Resend, document
storage, Redis, Clerk's backend, tracing, logs, Sentry, the signing keys — each behind a small interface. Nothing
here imports a layer above it; `infra/bootstrap.py` chooses and wires them (ARCHITECTURE.md)."""
