"""Validation studies: does each metric measure the defect it names (injected defects)."""
