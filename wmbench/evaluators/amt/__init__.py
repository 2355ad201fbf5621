"""AMT-S frame interpolation (VBench's motion smoothness network), our own implementation."""

from wmbench.evaluators.amt.network import AMTS

__all__ = ["AMTS"]
