"""Contracts and plumbing every layer uses: typed records, errors, registries, weights, paths."""
