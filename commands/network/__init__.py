"""The network context: recruiters, their relationships with candidates and companies, and firms."""
