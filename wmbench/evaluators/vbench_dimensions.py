"""Canonical metric names of VBench's quality dimensions computed as VBench computes them.

VBench (Vchitect/VBench, ``vbench/__init__.py``) names its dimensions ``dynamic_degree``,
``motion_smoothness``, ...; the ``/vbench`` suffix says the protocol is VBench's own (its
network, frame sampling and formula), unlike the weight-free proxies named after theirs.
"""

DYNAMIC_DEGREE = "dynamic_degree/vbench"
MOTION_SMOOTHNESS = "motion_smoothness/vbench"
