"""Stage 5, mapping: pycolmap's incremental or global (GLOMAP-style) mapper, intrinsics fixed,
seeded, on one thread: multi-threaded bundle adjustment sums in a varying order, and reruns
would then differ in the last bits (and, through RANSAC decisions, sometimes by more)."""

from __future__ import annotations

from pathlib import Path

import pycolmap

from pose_pipeline.config import AnnotatorConfig

MAPPING_THREADS = 1
# The incremental mapper splits fast or rotation-heavy videos into several models; when its
# largest registers fewer than this share of the keyframes the global mapper runs too.
GLOBAL_FALLBACK_BELOW = 0.9


def _incremental_options(config: AnnotatorConfig) -> pycolmap.IncrementalPipelineOptions:
    options = pycolmap.IncrementalPipelineOptions()
    options.num_threads = MAPPING_THREADS
    options.random_seed = config.seed
    options.min_model_size = config.min_keyframes
    options.ba_refine_focal_length = False
    options.ba_refine_principal_point = False
    options.ba_refine_extra_params = False
    options.extract_colors = False
    options.ba_global_frames_ratio = config.ba_global_growth
    options.ba_global_points_ratio = config.ba_global_growth
    options.mapper.init_min_tri_angle = config.init_min_tri_angle_deg
    options.mapper.ba_global_ignore_redundant_points3D = config.ba_prune_redundant_points
    options.mapper.num_threads = MAPPING_THREADS
    options.mapper.random_seed = config.seed
    options.mapper.abs_pose_refine_focal_length = False
    options.mapper.abs_pose_refine_extra_params = False
    options.triangulation.random_seed = config.seed
    options.mapper.filter_min_tri_angle = config.min_tri_angle_deg
    options.triangulation.min_angle = config.min_tri_angle_deg
    return options


def _global_options(config: AnnotatorConfig) -> pycolmap.GlobalPipelineOptions:
    options = pycolmap.GlobalPipelineOptions()
    options.num_threads = MAPPING_THREADS
    options.random_seed = config.seed
    options.min_model_size = config.min_keyframes
    mapper = options.mapper
    mapper.num_threads = MAPPING_THREADS
    mapper.random_seed = config.seed
    mapper.rotation_averaging.random_seed = config.seed
    mapper.global_positioning.random_seed = config.seed
    mapper.global_positioning.use_gpu = False
    mapper.retriangulation.random_seed = config.seed
    mapper.retriangulation.min_angle = config.min_tri_angle_deg
    mapper.min_tri_angle_deg = config.min_tri_angle_deg
    bundle = mapper.bundle_adjustment
    bundle.refine_focal_length = False
    bundle.refine_principal_point = False
    bundle.refine_extra_params = False
    bundle.ceres.use_gpu = False
    return options


def largest_model(
    mapper: str, database: Path, images: Path, output: Path, config: AnnotatorConfig
) -> pycolmap.Reconstruction | None:
    pycolmap.set_random_seed(config.seed)
    output.mkdir(parents=True, exist_ok=True)
    if mapper == "incremental":
        models = pycolmap.incremental_mapping(
            database, images, output, _incremental_options(config)
        )
    else:
        models = pycolmap.global_mapping(database, images, output, _global_options(config))
    models = [m for m in models.values() if m.num_reg_images() > 0]
    return max(models, key=lambda m: m.num_reg_images()) if models else None


def _registered(model: pycolmap.Reconstruction | None) -> int:
    return 0 if model is None else model.num_reg_images()


def reconstruct(
    database: Path, images: Path, output: Path, num_images: int, config: AnnotatorConfig
) -> tuple[pycolmap.Reconstruction | None, str]:
    """The largest reconstruction (most registered images; None when nothing registered) and
    the mapper that made it. The incremental mapper needs an initial pair with enough
    parallax, which short or slow clips may lack, and it splits fast, rotation-heavy videos into
    several models: when it registers fewer than ``GLOBAL_FALLBACK_BELOW`` of the keyframes the
    global mapper runs too and the larger result is kept."""
    model = largest_model(config.mapper, database, images, output / config.mapper, config)
    if config.mapper != "incremental" or _registered(model) >= GLOBAL_FALLBACK_BELOW * num_images:
        return model, config.mapper
    fallback = largest_model("global", database, images, output / "global", config)
    if _registered(fallback) > _registered(model):
        return fallback, "global"
    return model, config.mapper
