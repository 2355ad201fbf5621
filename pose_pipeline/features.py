"""Stage 3, features: keyframes written at SIFT resolution, pycolmap SIFT into the database."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pycolmap

from pose_pipeline.camera import PinholeCamera
from pose_pipeline.config import AnnotatorConfig
from pose_pipeline.frames import FrameSource
from wmbench.core.files import atomic_write


def image_name(frame_index: int) -> str:
    return f"{frame_index:06d}.png"


def frame_index(name: str) -> int:
    return int(Path(name).stem)


def write_keyframes(
    source: FrameSource, keyframes: np.ndarray, camera: PinholeCamera, folder: Path
) -> list[str]:
    """The keyframes resized to ``camera``'s size as PNG files in ``folder``; their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index, frame in source.frames_at(keyframes):
        if (frame.shape[1], frame.shape[0]) != (camera.width, camera.height):
            frame = cv2.resize(frame, (camera.width, camera.height), interpolation=cv2.INTER_AREA)
        names.append(image_name(index))
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        atomic_write(
            folder / names[-1], lambda temporary, image=bgr: cv2.imwrite(str(temporary), image)
        )
    return names


def extract(
    database: Path, images: Path, names: list[str], camera: PinholeCamera, config: AnnotatorConfig
) -> None:
    """SIFT keypoints and descriptors of ``names``, one shared camera with the known intrinsics.

    Images are imported first, in order, so image ids follow frame order whatever the thread
    scheduling of the extraction (ids steer the mappers: they must be reproducible)."""
    reader = pycolmap.ImageReaderOptions()
    reader.camera_model = camera.colmap_model
    reader.camera_params = camera.colmap_params
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.num_threads = config.num_threads
    extraction.max_image_size = max(camera.width, camera.height)
    extraction.sift.max_num_features = config.max_features
    extraction.sift.first_octave = (
        -1 if max(camera.width, camera.height) < config.upsample_below else 0
    )
    pycolmap.Database.open(database).close()
    pycolmap.import_images(database, images, pycolmap.CameraMode.SINGLE, names, reader)
    pycolmap.extract_features(
        database,
        images,
        image_names=names,
        camera_mode=pycolmap.CameraMode.SINGLE,
        reader_options=reader,
        extraction_options=extraction,
        device=pycolmap.Device.cpu,
    )


def keypoint_counts(database: Path) -> dict[str, int]:
    """Keypoints found per image name."""
    with pycolmap.Database.open(database) as db:
        return {
            image.name: db.num_keypoints_for_image(image.image_id) for image in db.read_all_images()
        }
