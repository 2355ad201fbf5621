"""``lpips``: LPIPS (AlexNet, v0.1) against the ground truth and between revisits.

LPIPS (Zhang et al. 2018, the ``lpips`` package) compares the channel-normalised activations of
two images at AlexNet's five ReLU layers, weighs their squared differences with the v0.1 linear
heads (shipped inside the package) and averages each layer's map over the image, summing the
layers; 0 for identical images, higher for more different ones. Images are RGB scaled to
[-1, 1] (as ``lpips.im2tensor``) at the resolution they come in.

* ``lpips/reference``: against the suite's ground-truth video at the video's resolution, on the
  ``reference`` evaluator's frames (at most ``MAX_FRAMES``, evenly spaced), mean over them; NaN
  when the case has no ground truth.
* ``revisit_lpips/sanawm``: on the dataset's own ``evaluation_pairs``, whole frames, unwarped,
  as SANA-WM-Bench's scripts (:mod:`wmbench.evaluators.sanawm_pairs`); NaN without pairs.
* ``revisit_lpips/<protocol>``: on the ``revisit`` evaluator's warped revisit pairs
  (:func:`cached_revisit_views`, short side 360 px), mean over pairs; NaN where the protocol
  has no pairs (``depth_warp`` without exact depth). Only the pixels of each pair's mask
  count: each layer's map is averaged with weights equal to the fraction of masked pixels under
  each of its cells (area resampling of the mask), so a full mask gives exactly lpips' own
  (``spatial=False``) value. AlexNet's deeper cells see up to 163 px around them, so unmasked
  pixels near the mask's border still leak into the value.

The AlexNet trunk comes from ``alexnet`` in the weight store (torchvision's file; its
``features`` are loaded strictly into lpips' layers); nothing is downloaded.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from pathlib import Path

import lpips
import numpy as np
import torch
import torch.nn.functional as F
from lpips.pretrained_networks import alexnet as LpipsAlexNet

from wmbench.core import weights
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec, SetMetric
from wmbench.evaluators.functional.reference_video import MAX_FRAMES, reference_frames
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import (
    device,
    load_state,
    read_state,
)
from wmbench.evaluators.revisit import PROTOCOLS, cached_revisit_views
from wmbench.evaluators.sampling import finite_mean, sample_indices
from wmbench.evaluators.sanawm_pairs import PooledPairs, evaluation_pairs, pair_frames

WEIGHTS = "alexnet"
CHECKPOINT = "alexnet-owt-7be5be79.pth"
BATCH = 8
ALEXNET_KEYS = "torchvision's AlexNet state dict (features.0, .3, .6, .8, .10: weight and bias)"


def alexnet_features(net: LpipsAlexNet) -> torch.nn.Sequential:
    """lpips' AlexNet slices as one Sequential named like torchvision's ``alexnet().features``
    (the same modules: loading into it loads into lpips)."""
    slices = (net.slice1, net.slice2, net.slice3, net.slice4, net.slice5)
    return torch.nn.Sequential(
        OrderedDict(layer for part in slices for layer in part.named_children())
    )


def load_lpips(path: Path) -> lpips.LPIPS:
    """LPIPS (AlexNet, v0.1 heads from the package) with the trunk of torchvision's AlexNet
    file ``path``, on :func:`device`, in eval mode."""
    with warnings.catch_warnings():  # lpips asks torchvision for ``pretrained=False``
        warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
        model = lpips.LPIPS(
            pretrained=True, net="alex", version="0.1", pnet_rand=True, verbose=False
        )
    state = read_state(path, ALEXNET_KEYS)
    features = {
        k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")
    }
    load_state(alexnet_features(model.net), features, path, ALEXNET_KEYS)
    return model.eval().to(device())


def lpips_model() -> lpips.LPIPS:
    """The LPIPS model with the weight store's AlexNet."""
    return load_lpips(weights.require(WEIGHTS) / CHECKPOINT)


def lpips_inputs(frames: np.ndarray) -> torch.Tensor:
    """Frames (N, H, W, 3) uint8 -> (N, 3, H, W) float in [-1, 1], as ``lpips.im2tensor``."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
    return pixels.float() / 127.5 - 1.0


def layer_distances(
    model: lpips.LPIPS, first: torch.Tensor, second: torch.Tensor
) -> list[torch.Tensor]:
    """LPIPS distance maps (N, 1, h, w), one per AlexNet layer, of images (N, 3, H, W) in
    [-1, 1] (both batches in one pass through the trunk)."""
    activations = model.net(model.scaling_layer(torch.cat([first, second])))
    maps = []
    for head, activation in zip(model.lins, activations, strict=True):
        mine, theirs = lpips.normalize_tensor(activation).chunk(2)
        maps.append(head((mine - theirs) ** 2))
    return maps


def masked_lpips(
    model: lpips.LPIPS, first: torch.Tensor, second: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """LPIPS (N,) of images (N, 3, H, W) in [-1, 1] over ``mask`` (N, 1, H, W) in [0, 1]: each
    layer's map averaged with the mask's area fraction on its grid as weights, summed."""
    total = torch.zeros(len(first), device=first.device)
    for layer in layer_distances(model, first, second):
        weight = F.adaptive_avg_pool2d(mask, layer.shape[-2:])
        total += (layer * weight).sum(dim=(1, 2, 3)) / weight.sum(dim=(1, 2, 3))
    return total


def lpips_pairs(
    model: lpips.LPIPS, first: np.ndarray, second: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """LPIPS of the frame pairs (N, H, W, 3) uint8 over ``mask`` (N, H, W) bool, in batches of
    ``BATCH``."""
    target = next(model.parameters()).device
    values = []
    with single_torch_thread(), torch.inference_mode():
        for start in range(0, len(first), BATCH):
            part = slice(start, start + BATCH)
            weight = torch.from_numpy(mask[part])[:, None].float()
            images = (lpips_inputs(first[part]), lpips_inputs(second[part]), weight)
            values.append(masked_lpips(model, *(t.to(target) for t in images)).cpu())
    return torch.cat(values).double().numpy() if values else np.zeros(0)


class LpipsDistance(Evaluator):
    """LPIPS (AlexNet) against the ground truth and between revisits, per protocol."""

    name = "lpips"
    version = "1"
    weight_entries = (WEIGHTS,)
    needs_reference = True

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "lpips/reference",
                False,
                "",
                f"LPIPS (AlexNet, v0.1) against the ground truth, {MAX_FRAMES} frames at most",
            ),
            *(
                MetricSpec(
                    f"revisit_lpips/{protocol}",
                    False,
                    "",
                    f"LPIPS (AlexNet, v0.1) of revisits over the warp's mask ({protocol})",
                )
                for protocol in PROTOCOLS
            ),
            MetricSpec(
                "revisit_lpips/sanawm",
                False,
                "",
                "LPIPS (AlexNet, v0.1) of the dataset's revisit pairs, whole frames "
                "(SANA-WM-Bench's evaluation_pairs)",
            ),
        ]

    def set_metrics(self) -> list[SetMetric]:
        """SANA-WM-Bench's overall revisit LPIPS: all pairs pooled."""
        spec = MetricSpec("revisit_lpips_pooled/sanawm", False, "", "LPIPS of every evaluation "
                          "pair of the split pooled into one mean (SANA-WM-Bench's "
                          "overall_mean_lpips)")  # fmt: skip
        return [PooledPairs(spec, "sanawm/lpips")]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        model = self.network("lpips", lpips_model)
        value, series = self._reference(inputs, model)
        metrics = {"lpips/reference": value}
        for protocol in PROTOCOLS:
            value, pairs = self._revisit(inputs, model, protocol)
            metrics[f"revisit_lpips/{protocol}"] = value
            series |= {f"{protocol}/{key}": array for key, array in pairs.items()}
        video, _ = inputs.written()  # the scripts read the raw mp4 for revisits
        pairs = evaluation_pairs(inputs.case, video.fps, len(video))
        distance = np.zeros(0)
        if len(pairs):
            full = np.ones((len(pairs), *video.size[::-1]), dtype=bool)
            distance = lpips_pairs(model, *pair_frames(video, pairs), full)
            series |= {"sanawm/pairs": pairs, "sanawm/lpips": distance}
        metrics["revisit_lpips/sanawm"] = finite_mean(distance)
        return EvalResult(metrics=metrics, series=series)

    @staticmethod
    def _revisit(
        inputs: EvalInput, model: lpips.LPIPS, protocol: str
    ) -> tuple[float, dict[str, np.ndarray]]:
        """``revisit_lpips/<protocol>`` and its per-pair series (NaN and none for
        ``depth_warp`` without depth, as the ``revisit`` evaluator)."""
        if protocol == "depth_warp" and inputs.generation.depth is None:
            return float("nan"), {}
        views = cached_revisit_views(inputs, protocol)
        distance = np.zeros(0)
        if views.later:
            stacked = (np.stack(views.later), np.stack(views.warped), np.stack(views.mask))
            distance = lpips_pairs(model, *stacked)
        series = {
            "earlier_frame": views.earlier_frame,
            "later_frame": views.later_frame,
            "lpips": distance,
        }
        return finite_mean(distance), series

    @staticmethod
    def _reference(inputs: EvalInput, model: lpips.LPIPS) -> tuple[float, dict[str, np.ndarray]]:
        """``lpips/reference`` and its per-frame series (NaN and none without a reference)."""
        if inputs.reference is None:
            return float("nan"), {}
        video, reference = inputs.video, reference_frames(inputs)
        index = sample_indices(min(len(video), len(reference)), MAX_FRAMES)
        full = np.ones((len(index), *video.size[::-1]), dtype=bool)
        distance = lpips_pairs(model, video.take(index), reference.take(index), full)
        return finite_mean(distance), {"frame_index": index, "reference": distance}
