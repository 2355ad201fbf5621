"""Adapters for published baseline world models, each driving its own inference entry point."""
