"""The automation context's consumers: fraud signals and reputation tiers."""
