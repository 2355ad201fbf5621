"""Stage 4, matching: pycolmap sequential matching, with loop-closure pairs for revisits.

A probe comes first: a few pairs of consecutive keyframes spread over the video are matched
and verified. Consecutive keyframes of a real video overlap by at least 90 % of the image (see
:func:`pose_pipeline.frames.select_keyframes`) and verify; when most probe pairs fail the video
has no scene geometry to recover (noise, a cut at every keyframe) and the annotator stops
there instead of matching every pair (on a 961-frame noise video: 206 s of matching for 13
verified pairs of 7209, none of them usable).

Loop closure uses pycolmap's own retrieval (``SequentialPairingOptions.loop_detection``) with a
vocabulary tree built here from the video's own SIFT descriptors, so no pretrained tree has to
be downloaded. Geometric verification drops retrieved pairs that do not actually overlap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pycolmap

from pose_pipeline.config import AnnotatorConfig
from pose_pipeline.summary import MatchCounts

DESCRIPTORS_PER_WORD = 40
MAX_TRAINING_DESCRIPTORS = 60_000
LOOP_CANDIDATES = 5
# Matching runs on one thread: with two, pycolmap 4.2.1's CPU matcher now and then returns a
# different match set for a pair (577 vs 144 matches on the test clip, more often under load),
# which moves the poses by up to 1e-2; on one thread 20 of 20 reruns under load were identical.
MATCHING_THREADS = 1
PROBE_PAIRS = 16
PROBE_MIN_VERIFIED = 0.25  # share of probe pairs that must verify


def _verification(config: AnnotatorConfig) -> pycolmap.TwoViewGeometryOptions:
    options = pycolmap.TwoViewGeometryOptions()
    options.ransac.random_seed = config.seed
    options.ransac.max_error = config.ransac_max_error_px
    options.min_num_inliers = config.min_inliers
    return options


def _matching(config: AnnotatorConfig) -> dict[str, Any]:
    """The matcher's options shared by the probe and the sequential matching: CPU, one thread,
    the annotator's verification."""
    matching = pycolmap.FeatureMatchingOptions()
    matching.num_threads = MATCHING_THREADS
    return {"matching_options": matching, "verification_options": _verification(config),
            "device": pycolmap.Device.cpu}  # fmt: skip


def build_vocabulary(database: Path, path: Path, config: AnnotatorConfig) -> bool:
    """Write a vocabulary tree trained on (a deterministic subsample of) the database's
    descriptors to ``path``; False when there are too few descriptors to train one."""
    with pycolmap.Database.open(database) as db:
        blocks = [db.read_descriptors(image.image_id).data for image in db.read_all_images()]
    descriptors = np.concatenate([b for b in blocks if len(b)] or [np.zeros((0, 128), np.uint8)])
    step = max(1, len(descriptors) // MAX_TRAINING_DESCRIPTORS)
    training = np.ascontiguousarray(descriptors[::step], dtype=np.float32)
    words = 1 << int(np.log2(max(1, len(training) // DESCRIPTORS_PER_WORD)))
    if words < 64:
        return False
    pycolmap.set_random_seed(config.seed)  # k-means is seeded by it; more threads: not stable
    index = pycolmap.VisualIndex.create(128, 64)
    options = pycolmap.VisualIndex.BuildOptions()
    options.num_visual_words = words
    options.num_iterations = 20
    options.num_rounds = 1
    options.num_threads = 1
    index.build(
        options, pycolmap.FeatureDescriptorsFloat(pycolmap.FeatureExtractorType.SIFT, training)
    )
    index.write(path)
    return True


def probe(database: Path, work: Path, names: list[str], config: AnnotatorConfig) -> tuple[int, int]:
    """Match and verify up to :data:`PROBE_PAIRS` pairs of consecutive keyframes (``names`` in
    video order) spread evenly over the video; returns (verified, probed). The pairs stay in
    the database, where the sequential matching reuses them."""
    firsts = np.unique(np.linspace(0, len(names) - 2, PROBE_PAIRS).round().astype(int))
    pairs = [(names[i], names[i + 1]) for i in firsts] if len(names) > 1 else []
    listing = work / "probe_pairs.txt"
    listing.write_text("".join(f"{a} {b}\n" for a, b in pairs))
    pairing = pycolmap.ImportedPairingOptions()
    pairing.match_list_path = listing
    pycolmap.match_image_pairs(database, pairing_options=pairing, **_matching(config))
    with pycolmap.Database.open(database) as db:
        ids = {image.name: image.image_id for image in db.read_all_images()}
        pair_ids, inliers = db.read_two_view_geometry_num_inliers()
    counts = dict(zip(pair_ids, inliers, strict=True))
    verified = sum(counts.get(pycolmap.image_pair_to_pair_id(ids[a], ids[b]), 0) > 0
                   for a, b in pairs)  # fmt: skip
    return verified, len(pairs)


def match(database: Path, work: Path, num_images: int, config: AnnotatorConfig) -> MatchCounts:
    """Sequential matching of each keyframe with the next ``overlap`` ones, plus loop-closure
    candidates when enabled and the video is longer than the overlap; returns counts of
    matched and verified pairs and of verified pairs further apart than the overlap."""
    pairing = pycolmap.SequentialPairingOptions()
    pairing.overlap = config.overlap
    pairing.quadratic_overlap = False
    pairing.num_threads = MATCHING_THREADS
    vocabulary = work / "vocabulary.bin"
    revisits_possible = num_images > config.overlap + 1
    if config.loop_closure and revisits_possible and build_vocabulary(database, vocabulary, config):
        pairing.loop_detection = True
        pairing.vocab_tree_path = str(vocabulary)
        pairing.loop_detection_period = 1
        pairing.loop_detection_num_images = LOOP_CANDIDATES
        pairing.loop_detection_min_index_distance = config.overlap + 1
    pycolmap.match_sequential(database, pairing_options=pairing, **_matching(config))
    with pycolmap.Database.open(database) as db:
        pair_ids, inliers = db.read_two_view_geometry_num_inliers()
        verified = [pair for pair, count in zip(pair_ids, inliers, strict=True) if count > 0]
        spans = [abs(b - a) for a, b in map(pycolmap.pair_id_to_image_pair, verified)]
        return MatchCounts(
            matched_pairs=db.num_matched_image_pairs(),
            verified_pairs=len(verified),
            loop_pairs=sum(span > config.overlap for span in spans),
        )
