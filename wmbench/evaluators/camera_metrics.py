"""Camera-control metrics: each protocol's formulas, written once.

Inputs are camera-to-world poses (N,4,4), OpenCV convention: ``est`` (estimated from a video)
and ``gt`` (the requested trajectory), plus ``valid`` (N,) marking the estimated frames that
exist (registered or interpolated). Three protocols, all reported because the literature's
numbers are not comparable across them (a fourth, ``sanawm``, is below):

``cami2v`` (the CamI2V reference code). Both trajectories re-expressed relative to their anchor
frame (``inv(c2w_a) @ c2w_i``); each divided by its own largest translation norm. Per frame:
rotation error ``acos((tr(R_gt^T R_est) - 1) / 2)`` in radians, translation error
``||t_gt - t_est||``, CamMC ``||[R|t]_est - [R|t]_gt||_F`` (3x4). Reported as sums over frames.

``worldscore`` (WorldScore's definitions, ``camera_error_metrics.py`` of haoyi-duan/WorldScore at
344983c). Poses relative to the anchor frame, no rotation alignment, one translation scale
``s = argmin sum_i ||t_gt,i - s t_est,i||`` (the sum of norms, as WorldScore's cvxpy problem
``cp.sum(cp.norm(gt - c * pred, axis=1))``; :func:`sum_of_norms_scale`, not least squares).
Per-frame rotation error in degrees and ``||s t_est - t_gt||`` in ground-truth units (metres),
averaged over frames. (WorldScore's clipping into a [0, 1] score is not applied.)

``wmbench`` (the default). The estimated trajectory is mapped into the ground-truth frame by one
similarity (s, R, t). R is fixed by the anchor frame (the first valid one, frame 0 whenever
placed: the conditioning image, whose camera is given): ``R = R_gt,a R_est,a^T``; s and t then
minimise ``sum ||c_gt - (s R c_est + t)||^2`` over all valid camera centres (Umeyama's closed
form with the rotation given). Fitting R to the centres as well (full Umeyama) lets centre
noise tilt it: on a 10 s oracle clip 4 mm of centre noise tilted it by 0.6 degrees, three
times the orientation error itself. Per frame: rotation error in degrees (equal to WorldScore's
by construction), camera-centre error in metres (free offset and a scale fitted over all
frames, where WorldScore anchors translations at frame 0), CamMC
``||[R|c]_est - [R|c]_gt||_F`` (3x4, centres in metres); reported as means over frames, and as
means over consecutive windows of ``window_s`` seconds (one global alignment) so drift over a
minute shows as a rising series. ``s`` is reported: it is 1 when the estimate's metric scale is
right.

Failed frames are never dropped. A frame the annotator could not place scores what the
static-camera baseline scores there: the estimate "the camera stayed at the first frame's pose"
(identity relative pose in ``cami2v`` / ``worldscore``; the ground-truth pose of frame 0, no
alignment, in ``wmbench``). Alignment, normalisation and scale fits use valid frames only. The
anchor of every protocol is the first valid frame (frame 0 whenever it was placed).
With fewer than two valid frames every frame scores the baseline.

``sanawm`` (SANA-WM-Bench's own scripts: NVlabs/Sana ``tools/metrics/sana_wm/
eval_benchmark_poses.py`` and ``pose_utils.py``, read from the public fork HaoyiZhu/NVlabs-Sana at
28bfab0). Every ``SANAWM_INTERVAL``-th frame (0, 4, 8, ...), frame 0 dropped for refined outputs
(``skip_first_frame auto``: frame 0 is the input image copied); both paths re-expressed relative
to their first kept frame. Both are inverted to world-to-camera and the estimate aligned onto the
ground truth over all kept frames (``align_camera_extrinsics``): rotation ``V U^T`` from the SVD
``U S V^T`` of the mean of ``R_gt^T R_est``, then with ``a = R_est^T t_est`` and
``b = R_est^T t_gt`` per frame, centred, a scale ``s = mean(a_c * b_c) / mean(a_c^2)`` (1 with a
single frame) and offset ``t = mean(b) - s mean(a)``; the aligned extrinsics ``[R_est V U^T |
R_est t + s t_est]`` are inverted back. Per frame: geodesic angle in degrees, the L2 distance of
camera-to-world translations and the Frobenius norm of the 3x4 camera-to-world difference,
averaged (the scripts' RotErr, TransErr_rel and CamMC_rel). The scripts skip a scene whose
estimate fails; here a kept frame without an estimate scores the static baseline (identity
relative pose, as ``cami2v``) and is counted, and the alignment uses the valid kept frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_WINDOW_S = 10.0
# what :func:`score` returns: the per-frame protocols, which need a pose for every frame
PER_FRAME_METRICS = (
    "rot_err_rad_sum/cami2v", "trans_err_sum/cami2v", "cammc_sum/cami2v",
    "rot_err_deg/worldscore", "trans_err/worldscore", "rot_err_deg/wmbench",
    "trans_err_m/wmbench", "cammc/wmbench", "scale_factor/wmbench", "posed_fraction",
)  # fmt: skip
SANAWM_INTERVAL = 4


@dataclass(frozen=True)
class FrameErrors:
    """Per-frame errors (N,) of one protocol, in that protocol's units (``cammc`` is zero
    where the protocol does not define it)."""

    rot: np.ndarray
    trans: np.ndarray
    cammc: np.ndarray


@dataclass(frozen=True)
class Sim3:
    """``x -> scale * rotation @ x + translation``."""

    scale: float
    rotation: np.ndarray
    translation: np.ndarray

    def apply_to_poses(self, c2w: np.ndarray) -> np.ndarray:
        """Camera-to-world poses (N,4,4) moved by this similarity (rotations stay rigid)."""
        out = np.array(c2w, dtype=np.float64, copy=True)
        out[:, :3, :3] = self.rotation @ c2w[:, :3, :3]
        out[:, :3, 3] = self.scale * c2w[:, :3, 3] @ self.rotation.T + self.translation
        return out


def rotation_angle(r_a: np.ndarray, r_b: np.ndarray) -> np.ndarray:
    """Geodesic angle (radians) between rotations (N,3,3): the angle of ``r_a^T r_b``.

    Computed as ``2 asin(||r_a - r_b||_F / sqrt(8))``, equal to
    ``acos((tr(r_a^T r_b) - 1) / 2)`` but exact at 0 and accurate for small angles."""
    chord = np.linalg.norm(r_a - r_b, axis=(-2, -1)) / np.sqrt(8.0)
    return 2.0 * np.arcsin(np.clip(chord, 0.0, 1.0))


def relative_to(c2w: np.ndarray, anchor: int) -> np.ndarray:
    """Poses re-expressed relative to frame ``anchor``: ``inv(c2w_anchor) @ c2w_i``."""
    return np.linalg.inv(c2w[anchor]) @ c2w


def sim3_alignment(est: np.ndarray, gt: np.ndarray) -> Sim3:
    """The ``wmbench`` alignment of estimated poses (N,4,4) to ground truth (N,4,4): rotation
    from frame 0 (the anchor), scale and offset by least squares over the camera centres."""
    rotation = gt[0, :3, :3] @ est[0, :3, :3].T
    rotated = est[:, :3, 3] @ rotation.T
    source, target = rotated - rotated.mean(axis=0), gt[:, :3, 3] - gt[:, :3, 3].mean(axis=0)
    denominator = (source**2).sum()
    scale = float((source * target).sum() / denominator) if denominator > 0 else 1.0
    return Sim3(scale, rotation, gt[:, :3, 3].mean(axis=0) - scale * rotated.mean(axis=0))


def _frame_errors(est: np.ndarray, gt: np.ndarray) -> FrameErrors:
    rot = rotation_angle(gt[:, :3, :3], est[:, :3, :3])
    trans = np.linalg.norm(gt[:, :3, 3] - est[:, :3, 3], axis=1)
    cammc = np.linalg.norm(gt[:, :3, :4] - est[:, :3, :4], axis=(1, 2))
    return FrameErrors(rot, trans, cammc)


def _merge(valid: np.ndarray, scored: FrameErrors, baseline: FrameErrors) -> FrameErrors:
    return FrameErrors(
        *(np.where(valid, a, b) for a, b in zip(_fields(scored), _fields(baseline), strict=True))
    )


def _fields(errors: FrameErrors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return errors.rot, errors.trans, errors.cammc


def _check(est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    if est.shape != gt.shape or est.shape[1:] != (4, 4):
        raise ValueError(f"poses must both be (N,4,4); got {est.shape} and {gt.shape}")
    if valid is None:
        return np.ones(len(gt), dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != (len(gt),):
        raise ValueError(f"valid must be ({len(gt)},); got {valid.shape}")
    return valid


def _scored_frames(valid: np.ndarray) -> np.ndarray:
    """The frames scored from the estimate: all valid ones, or none when fewer than two."""
    return valid if valid.sum() >= 2 else np.zeros_like(valid)


def _normalise_translation(rel: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = rel.copy()
    largest = np.linalg.norm(rel[frames, :3, 3], axis=1).max() if frames.any() else 0.0
    if largest > 0:
        out[:, :3, 3] /= largest
    return out


def cami2v_errors(est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None) -> FrameErrors:
    """Per-frame ``cami2v`` errors: radians, normalised translation, CamMC."""
    valid = _scored_frames(_check(est, gt, valid))
    anchor = int(np.argmax(valid)) if valid.any() else 0
    gt_rel = _normalise_translation(relative_to(gt, anchor), np.ones(len(gt), dtype=bool))
    baseline = _frame_errors(np.broadcast_to(np.eye(4), gt.shape), gt_rel)
    if not valid.any():
        return baseline
    est_rel = _normalise_translation(relative_to(est, anchor), valid)
    return _merge(valid, _frame_errors(est_rel, gt_rel), baseline)


def worldscore_errors(
    est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None
) -> tuple[FrameErrors, float]:
    """Per-frame ``worldscore`` errors (degrees, ground-truth units; CamMC zero) and the fitted
    translation scale."""
    valid = _scored_frames(_check(est, gt, valid))
    anchor = int(np.argmax(valid)) if valid.any() else 0
    gt_rel = relative_to(gt, anchor)
    scale = 1.0
    est_rel = np.broadcast_to(np.eye(4), gt.shape).copy()
    if valid.any():
        est_rel = relative_to(est, anchor)
        scale = sum_of_norms_scale(est_rel[valid, :3, 3], gt_rel[valid, :3, 3])
    est_rel[:, :3, 3] *= scale
    scored = _frame_errors(est_rel, gt_rel)
    baseline = _frame_errors(np.broadcast_to(np.eye(4), gt.shape), gt_rel)
    merged = _merge(valid, scored, baseline)
    zeros = np.zeros(len(gt))
    return FrameErrors(np.degrees(merged.rot), merged.trans, zeros), scale


def sum_of_norms_scale(pred: np.ndarray, gt: np.ndarray, iterations: int = 200) -> float:
    """``argmin_c sum_i ||gt_i - c pred_i||`` over translations (N,3), WorldScore's scale.

    The objective is convex in ``c`` and its derivative
    ``-sum_i pred_i . (gt_i - c pred_i) / ||gt_i - c pred_i||`` is non-decreasing, negative below
    every term's own minimiser ``c_i = pred_i . gt_i / ||pred_i||^2`` and positive above them
    all, so bisection between those bounds finds the minimiser to machine precision (a term whose
    residual vanishes contributes its subgradient ``[-||pred_i||, ||pred_i||]``). 1 when every
    ``pred_i`` is zero."""
    lengths = np.linalg.norm(pred, axis=1)
    moving = lengths > 0
    if not moving.any():
        return 1.0
    pred, gt, lengths = pred[moving], gt[moving], lengths[moving]
    own = (pred * gt).sum(axis=1) / lengths**2
    low, high = float(own.min()), float(own.max())
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        residual = gt - middle * pred
        norms = np.linalg.norm(residual, axis=1)
        away = norms > 1e-15 * (1.0 + np.linalg.norm(gt, axis=1))
        slope = -((pred[away] * residual[away]).sum(axis=1) / norms[away]).sum()
        if abs(slope) <= lengths[~away].sum():  # zero is in the subgradient: the minimum
            return middle
        low, high = (middle, high) if slope < 0 else (low, middle)
        if high - low <= 4 * np.finfo(float).eps * max(abs(low), abs(high), 1.0):
            break
    return 0.5 * (low + high)


def wmbench_errors(
    est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None
) -> tuple[FrameErrors, Sim3]:
    """Per-frame ``wmbench`` errors (degrees, metres, CamMC) and the fitted alignment."""
    valid = _scored_frames(_check(est, gt, valid))
    baseline = _frame_errors(np.broadcast_to(gt[0], gt.shape), gt)
    alignment = Sim3(1.0, np.eye(3), np.zeros(3))
    merged = baseline
    if valid.any():
        alignment = sim3_alignment(est[valid], gt[valid])
        merged = _merge(valid, _frame_errors(alignment.apply_to_poses(est), gt), baseline)
    return FrameErrors(np.degrees(merged.rot), merged.trans, merged.cammc), alignment


def sanawm_frames(num_frames: int, refined: bool, interval: int = SANAWM_INTERVAL) -> np.ndarray:
    """The frames the ``sanawm`` protocol scores: every ``interval``-th, without frame 0 for
    refined outputs."""
    frames = np.arange(0, num_frames, interval)
    return frames[1:] if refined else frames


def extrinsic_alignment(
    w2c_est: np.ndarray, w2c_gt: np.ndarray, eps: float = 1e-9
) -> tuple[np.ndarray, np.ndarray, float]:
    """SANA-WM-Bench's ``align_camera_extrinsics`` on world-to-camera poses (N,4,4) or (N,3,4):
    rotation (3,3), offset (3,) and scale taking the estimate's extrinsics onto the truth's."""
    r_est, r_gt = w2c_est[:, :3, :3], w2c_gt[:, :3, :3]
    u, _, vt = np.linalg.svd(np.einsum("nji,njk->ik", r_gt, r_est) / len(r_est))
    rotation = vt.T @ u.T
    a = np.einsum("ni,nij->nj", w2c_est[:, :3, 3], r_est)
    b = np.einsum("ni,nij->nj", w2c_gt[:, :3, 3], r_est)
    a_centred, b_centred = a - a.mean(axis=0), b - b.mean(axis=0)
    scale = 1.0
    if len(a) > 1:
        scale = float((a_centred * b_centred).mean() / max((a_centred**2).mean(), eps))
    return rotation, b.mean(axis=0) - scale * a.mean(axis=0), scale


def _invert_rigid(pose: np.ndarray) -> np.ndarray:
    out = np.repeat(np.eye(4)[None], len(pose), axis=0)
    rotation_t = np.swapaxes(pose[:, :3, :3], 1, 2)
    out[:, :3, :3] = rotation_t
    out[:, :3, 3] = -np.einsum("nij,nj->ni", rotation_t, pose[:, :3, 3])
    return out


def sanawm_aligned(est: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, float]:
    """Estimated camera-to-world poses (N,4,4) aligned onto ``gt`` (N,4,4) the ``sanawm`` way,
    and the scale."""
    w2c_est, w2c_gt = _invert_rigid(est), _invert_rigid(gt)
    rotation, offset, scale = extrinsic_alignment(w2c_est, w2c_gt)
    aligned = w2c_est.copy()
    aligned[:, :3, :3] = w2c_est[:, :3, :3] @ rotation
    aligned[:, :3, 3] = w2c_est[:, :3, :3] @ offset + scale * w2c_est[:, :3, 3]
    return _invert_rigid(aligned), scale


def sanawm_errors(
    est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None, refined: bool = False
) -> tuple[FrameErrors, np.ndarray]:
    """Per-frame ``sanawm`` errors (degrees, ground-truth units, CamMC) at the kept frames, and
    those frames (indices into ``est`` / ``gt``)."""
    valid = _check(est, gt, valid)
    frames = sanawm_frames(len(gt), refined)
    est, gt, valid = est[frames], gt[frames], _scored_frames(valid[frames])
    gt_rel = relative_to(gt, 0)
    baseline = _frame_errors(np.broadcast_to(np.eye(4), gt.shape), gt_rel)
    merged = baseline
    if valid.any():
        est_rel = relative_to(est, int(np.argmax(valid)))  # the alignment absorbs the anchor
        aligned = np.broadcast_to(np.eye(4), gt.shape).copy()
        aligned[valid], _ = sanawm_aligned(est_rel[valid], gt_rel[valid])
        merged = _merge(valid, _frame_errors(aligned, gt_rel), baseline)
    return FrameErrors(np.degrees(merged.rot), merged.trans, merged.cammc), frames


def window_means(values: np.ndarray, fps: float, window_s: float = DEFAULT_WINDOW_S) -> np.ndarray:
    """Means of a per-frame series over consecutive windows of ``window_s`` seconds.

    ``round(duration / window_s)`` windows (at least one); frame i falls in window
    ``floor(i / fps / window_s)``, a trailing remainder joining the last window."""
    count = max(1, round((len(values) - 1) / fps / window_s))
    index = np.minimum((np.arange(len(values)) / fps / window_s).astype(int), count - 1)
    return np.array([values[index == k].mean() for k in range(count)])


def score(
    est: np.ndarray,
    gt: np.ndarray,
    valid: np.ndarray | None,
    fps: float,
    window_s: float = DEFAULT_WINDOW_S,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """All three protocols: scalar metrics and per-frame / per-window series, by name."""
    valid = _check(est, gt, valid)
    cami2v = cami2v_errors(est, gt, valid)
    worldscore, _ = worldscore_errors(est, gt, valid)
    wmbench, alignment = wmbench_errors(est, gt, valid)
    metrics = {
        "rot_err_rad_sum/cami2v": float(cami2v.rot.sum()),
        "trans_err_sum/cami2v": float(cami2v.trans.sum()),
        "cammc_sum/cami2v": float(cami2v.cammc.sum()),
        "rot_err_deg/worldscore": float(worldscore.rot.mean()),
        "trans_err/worldscore": float(worldscore.trans.mean()),
        "rot_err_deg/wmbench": float(wmbench.rot.mean()),
        "trans_err_m/wmbench": float(wmbench.trans.mean()),
        "cammc/wmbench": float(wmbench.cammc.mean()),
        "scale_factor/wmbench": alignment.scale,
        "posed_fraction": float(valid.mean()),
    }
    series = {
        "rot_err_deg/wmbench": wmbench.rot,
        "trans_err_m/wmbench": wmbench.trans,
        "cammc/wmbench": wmbench.cammc,
    }
    for name in list(series):
        series[f"{name}/window_{window_s:g}s"] = window_means(series[name], fps, window_s)
    return metrics, series


def sanawm_score(
    est: np.ndarray, gt: np.ndarray, valid: np.ndarray | None, refined: bool = False
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The ``sanawm`` metrics (means over the kept frames; ``pose_failures/sanawm`` counts the
    kept frames without an estimate) and their per-frame series, by name."""
    valid = _check(est, gt, valid)
    errors, frames = sanawm_errors(est, gt, valid, refined)
    metrics = {
        "rot_err_deg/sanawm": float(errors.rot.mean()),
        "trans_err_rel/sanawm": float(errors.trans.mean()),
        "cammc_rel/sanawm": float(errors.cammc.mean()),
        "pose_failures/sanawm": float((~_scored_frames(valid[frames])).sum()),
    }
    series = {
        "rot_err_deg/sanawm": errors.rot,
        "trans_err_rel/sanawm": errors.trans,
        "cammc_rel/sanawm": errors.cammc,
        "frame_index/sanawm": frames,
    }
    return metrics, series
