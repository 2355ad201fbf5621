"""Contact sheets: a grid of frames sampled along a trajectory, to look at a world."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from wmbench.core.types import Trajectory
from wmbench.worlds.scene import World

GAP = 4


def contact_sheet(
    world: World,
    trajectory: Trajectory,
    samples: int = 12,
    columns: int = 4,
    width: int = 384,
    height: int = 216,
) -> np.ndarray:
    """A uint8 (rows * height, columns * width, 3) grid of ``samples`` frames evenly spaced
    along ``trajectory`` (first and last included), each labelled with its frame and time."""
    cameras = trajectory.resized(width, height)
    indices = np.linspace(0, len(trajectory) - 1, samples).round().astype(int)
    rows = -(-samples // columns)
    sheet = Image.new("RGB", (columns * (width + GAP) - GAP, rows * (height + GAP) - GAP), "white")
    for slot, index in enumerate(indices):
        frame, _ = world.render(cameras.c2w[index], cameras.intrinsics[index], width, height)
        tile = Image.fromarray(frame)
        ImageDraw.Draw(tile).text(
            (4, 2),
            f"#{index} {index / trajectory.fps:.1f}s",
            fill="white",
            stroke_width=2,
            stroke_fill="black",
        )
        row, column = divmod(slot, columns)
        sheet.paste(tile, (column * (width + GAP), row * (height + GAP)))
    return np.asarray(sheet)


def save_contact_sheet(path: Path, world: World, trajectory: Trajectory, **options) -> Path:
    """Write :func:`contact_sheet` as a PNG at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(contact_sheet(world, trajectory, **options)).save(path)
    return path


def main() -> None:
    """Write ``worlds_contact_sheet_{smooth,hard}.png`` for one world into a folder."""
    from wmbench.worlds.layout import KINDS, make_world
    from wmbench.worlds.trajectories import make_trajectory

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--kind", default="room", choices=KINDS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variant-smooth", default=None)
    parser.add_argument("--variant-hard", default=None)
    args = parser.parse_args()
    world = make_world(args.seed, args.kind)
    for family, variant in (("smooth", args.variant_smooth), ("hard", args.variant_hard)):
        trajectory = make_trajectory(world, family, seed=args.seed, variant=variant)
        path = save_contact_sheet(
            args.out / f"worlds_contact_sheet_{family}.png", world, trajectory
        )
        print(f"{path}: {trajectory.source}")


if __name__ == "__main__":
    main()
