"""The AI context's consumers: the fit-review reactor and the retry of reviews left stuck."""
