"""Figures of one case: the camera paths (requested, expressible by the model's control,
estimated) top-down and over time with the per-frame and per-window errors, and the revisit
pairs as image pairs. Read from the case folder the run wrote (``poses.npz``, ``series.npz``,
``video.mp4``); each function returns ``None`` when the case holds nothing to draw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wmbench.core.files import load_npz
from wmbench.data.video_io import open_video
from wmbench.evaluators.camera_metrics import relative_to, window_means, wmbench_errors
from wmbench.report.plots import DPI, _save

EXPRESSED = "model/control_expressed/c2w"  # the path the model's native control can express
REVISIT_PROTOCOLS = ("sanawm", "near_identity", "depth_warp")
MAX_PAIRS = 5


@dataclass(frozen=True)
class Paths:
    """Camera centres (N, 3) relative to frame 0, in the requested path's frame and units."""

    fps: float
    requested: np.ndarray
    estimated: np.ndarray  # aligned by the wmbench similarity; NaN where not estimated
    expressed: np.ndarray | None
    rot_err_deg: np.ndarray
    trans_err_m: np.ndarray
    window_s: float


def load_paths(case_dir: Path, series: dict[str, np.ndarray]) -> Paths | None:
    """The case's paths from its ``poses.npz`` (None without one)."""
    path = case_dir / "poses.npz"
    if not path.is_file():
        return None
    arrays = load_npz(path, "poses.npz")
    requested = relative_to(np.asarray(arrays["requested_c2w"], dtype=np.float64), 0)
    estimated = np.asarray(arrays["c2w"], dtype=np.float64)
    valid = np.asarray(arrays["valid"], dtype=bool)
    count = min(len(requested), len(estimated))
    requested, estimated, valid = requested[:count], estimated[:count], valid[:count]
    centres = np.full((count, 3), np.nan)
    errors_rot = errors_trans = np.full(count, np.nan)
    if valid.any():
        anchor = int(np.argmax(valid))
        relative = relative_to(estimated, anchor)
        errors, alignment = wmbench_errors(relative, relative_to(requested, anchor), valid)
        aligned = requested[anchor] @ alignment.apply_to_poses(relative)
        centres[valid] = aligned[valid, :3, 3]
        errors_rot, errors_trans = errors.rot, errors.trans
    expressed = series.get(EXPRESSED)
    if expressed is not None:
        expressed = relative_to(np.asarray(expressed, dtype=np.float64)[:count], 0)[:, :3, 3]
    return Paths(float(arrays["fps"]), requested[:, :3, 3], centres, expressed, errors_rot,
                 errors_trans, float(arrays["window_s"]))  # fmt: skip


def paths_figure(paths: Paths, out: Path, title: str) -> Path:
    """``paths.png``: top-down (x, z), the position over time, and the errors per frame and
    per window (the windows the camera evaluator scores)."""
    figure = Figure(figsize=(15.5, 4.6), layout="constrained")
    top, time, errors = figure.subplots(1, 3)
    seconds = np.arange(len(paths.requested)) / paths.fps
    lines = [("requested", paths.requested, "k", "-"), ("estimated", paths.estimated, "C0", "-")]
    if paths.expressed is not None:
        lines.insert(1, ("expressible by the control", paths.expressed, "C1", "--"))
    for label, centres, colour, style in lines:
        top.plot(centres[:, 0], centres[:, 2], style, color=colour, label=label, linewidth=1.4)
        for axis_index, name in ((0, "x"), (2, "z")):
            time.plot(seconds, centres[:, axis_index], style, color=colour, linewidth=1.2,
                      label=f"{label} {name}", alpha=1.0 if axis_index == 0 else 0.6)  # fmt: skip
    top.plot(*paths.requested[0, [0, 2]], "ko", label="start")
    _mark_worst(top, paths)
    top.set_aspect("equal", adjustable="datalim")
    top.set_xlabel("x [m]")
    top.set_ylabel("z [m]")
    top.set_title("top-down (relative to frame 0)", fontsize=10)
    top.legend(fontsize=8)
    time.set_xlabel("time [s]")
    time.set_ylabel("position [m]")
    time.set_title("position over time", fontsize=10)
    time.legend(fontsize=7, ncols=2)
    _errors_panel(errors, paths, seconds)
    figure.suptitle(title, fontsize=11)
    for axis in (top, time, errors):
        axis.grid(alpha=0.3)
    return _save(figure, out)


def _mark_worst(axis: Axes, paths: Paths) -> None:
    """A red cross at the frame of the largest rotation error (where it went wrong)."""
    if not np.isfinite(paths.rot_err_deg).any():
        return
    worst = int(np.nanargmax(paths.rot_err_deg))
    where = paths.estimated[worst] if np.isfinite(paths.estimated[worst]).all() else None
    if where is None:
        return
    label = f"worst frame {worst} ({paths.rot_err_deg[worst]:.2f} deg)"
    axis.plot(where[0], where[2], "x", color="C3", markersize=10, mew=2, label=label)


def _errors_panel(axis: Axes, paths: Paths, seconds: np.ndarray) -> None:
    axis.plot(seconds, paths.rot_err_deg, color="C3", linewidth=1, label="rotation [deg]")
    if len(seconds) and np.isfinite(paths.rot_err_deg).any():
        windows = window_means(np.nan_to_num(paths.rot_err_deg), paths.fps, paths.window_s)
        edges = np.arange(len(windows) + 1) * paths.window_s
        edges[-1] = min(edges[-1], len(seconds) / paths.fps)  # a last, shorter window
        axis.stairs(windows, edges, color="C3", linewidth=2.2, alpha=0.6,
                    label=f"rotation, {paths.window_s:g} s window mean")  # fmt: skip
    twin = axis.twinx()
    twin.plot(seconds, paths.trans_err_m, color="C2", linewidth=1, label="position [m]")
    twin.set_ylabel("position error [m]", color="C2")
    axis.set_xlabel("time [s]")
    axis.set_ylabel("rotation error [deg]", color="C3")
    axis.set_title("error per frame and per window (wmbench alignment)", fontsize=10)
    handles = axis.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    axis.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=7)


@dataclass(frozen=True)
class Pair:
    protocol: str
    earlier: int
    later: int
    psnr_db: float
    ssim: float


def revisit_pairs(series: dict[str, np.ndarray]) -> list[Pair]:
    """The scored revisit pairs of the case, dataset pairs (``sanawm``) first."""
    pairs = []
    for protocol in REVISIT_PROTOCOLS:
        prefix = f"revisit/{protocol}"
        if f"{prefix}/pairs" in series:
            frames = np.asarray(series[f"{prefix}/pairs"]).reshape(-1, 2)
        elif f"{prefix}/earlier_frame" in series:
            frames = np.stack([series[f"{prefix}/earlier_frame"], series[f"{prefix}/later_frame"]],
                              axis=1)  # fmt: skip
        else:
            continue
        psnr = np.asarray(series.get(f"{prefix}/psnr_db", np.full(len(frames), np.nan)))
        ssim = np.asarray(series.get(f"{prefix}/ssim", np.full(len(frames), np.nan)))
        pairs += [
            Pair(protocol, int(a), int(b), float(p), float(s))
            for (a, b), p, s in zip(frames, psnr, ssim, strict=True)
        ]
    return pairs


def pairs_figure(video_path: Path, pairs: list[Pair], out: Path, title: str) -> Path | None:
    """``revisit.png``: each pair as two frames side by side (earlier | later) with its scores;
    None when the case has no pairs or no video."""
    pairs = pairs[:MAX_PAIRS]
    if not pairs or not video_path.is_file():
        return None
    video = open_video(video_path)
    wanted = sorted({min(i, len(video) - 1) for pair in pairs for i in (pair.earlier, pair.later)})
    frames = dict(zip(wanted, video.take(wanted), strict=True))  # only the pairs' frames
    height, width = frames[wanted[0]].shape[:2]
    panel = min(6.0, 1400 / DPI / 2)
    figure = Figure(figsize=(2 * panel, len(pairs) * panel * height / width + 0.6 * len(pairs)),
                    layout="constrained")  # fmt: skip
    axes = figure.subplots(len(pairs), 2, squeeze=False)
    for (left, right), pair in zip(axes, pairs, strict=True):
        for axis, frame, side in ((left, pair.earlier, "earlier"), (right, pair.later, "later")):
            axis.imshow(frames[min(frame, len(video) - 1)])
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(f"{side}: frame {frame} ({frame / video.fps:.1f} s)",
                           fontsize=9)  # fmt: skip
        left.set_ylabel(f"{pair.protocol}\nPSNR {pair.psnr_db:.2f} dB\nSSIM {pair.ssim:.3f}",
                        fontsize=9)  # fmt: skip
    figure.suptitle(title, fontsize=11)
    return _save(figure, out)
