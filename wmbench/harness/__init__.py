"""The evaluation loop: runner, run store, summaries and the distributed helpers."""
