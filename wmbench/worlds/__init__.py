"""Procedural worlds with exact metric ground truth, for checking metrics against known answers.

World frame: metres, y down, floor at y = 0 (see :mod:`wmbench.worlds.primitives`).

* :func:`make_world` / :func:`world_from_spec`: seeded rooms, galleries, plazas, gardens;
  :meth:`World.render` gives RGB and exact z-depth for any OpenCV camera.
* :func:`make_trajectory`: ``smooth`` / ``hard`` / ``loop`` paths inside the free space.
* :func:`perturb_trajectory`: a stated, exact camera error.
* :mod:`wmbench.models.oracle`: the ``oracle`` and ``perturbed`` model adapters.
* :func:`write_mirror`: a mini SANA-WM-Bench in the real layout.
"""

from wmbench.worlds.layout import KINDS, make_world, world_spec
from wmbench.worlds.mirror import write_mirror
from wmbench.worlds.perturb import perturb_trajectory
from wmbench.worlds.scene import FreeSpace, World, world_from_spec
from wmbench.worlds.trajectories import FAMILIES, make_trajectory

__all__ = [
    "FAMILIES",
    "KINDS",
    "FreeSpace",
    "World",
    "make_trajectory",
    "make_world",
    "perturb_trajectory",
    "world_from_spec",
    "world_spec",
    "write_mirror",
]
