"""Benchmark data: suite files, the SANA-WM-Bench reader, video I/O and the data fetcher."""
