"""The billing context's consumers: its process managers, its side effects in Stripe, and its deadlines."""
