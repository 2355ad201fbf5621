"""``throughput``: how fast and how memory-hungry generation was, per case."""

from __future__ import annotations

from wmbench.core.errors import InputError
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec

SECONDS_PER_MINUTE_VIDEO = 60.0
LOAD_STAGE = (
    "load"  # ``Generation.stage_seconds`` key of an adapter that times weight loading apart
)


class Throughput(Evaluator):
    """Generation wall time, frames/s, seconds per 60 s of video, 60 s videos per hour, and
    peak memory (CUDA allocator peak when CUDA ran, else process RSS; the run records which).

    A model that loads its weights once and then serves many videos is timed without the load:
    where the adapter timed loading apart (``stage_seconds["load"]``, e.g. the baselines' driver
    that starts a process per case), the speed columns use the wall time less the load and
    ``load_seconds`` records it; elsewhere ``load_seconds`` is NaN and the wall time counts whole.
    """

    name = "throughput"
    version = "2"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "gen_seconds",
                False,
                "s",
                "wall-clock generation time of the case, "
                "without weight loading where the adapter timed it apart",
            ),
            MetricSpec(
                "load_seconds",
                False,
                "s",
                "weight loading time of the case, where the adapter timed it apart (NaN elsewhere)",
            ),
            MetricSpec("frames_per_s", True, "frames/s", "generated frames per second"),
            MetricSpec("seconds_per_60s_video", False, "s", "generation time per 60 s of video"),
            MetricSpec("videos_per_hour_60s", True, "videos/h", "60 s videos generated per hour"),
            MetricSpec("peak_memory_gb", False, "GiB", "peak memory during generation"),
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        if inputs.usage is None:
            raise InputError(inputs.case.id, "usage", "the measured generation time and memory")
        load = inputs.generation.stage_seconds.get(LOAD_STAGE)
        seconds = inputs.usage.wall_seconds - (load or 0.0)
        if seconds <= 0:
            raise InputError(inputs.case.id, f"stage_seconds[{LOAD_STAGE!r}]",
                             f"less than the wall time {inputs.usage.wall_seconds:.3f} s",
                             found=str(load))  # fmt: skip
        video_seconds = len(inputs.video) / inputs.video.fps
        per_minute = seconds * SECONDS_PER_MINUTE_VIDEO / video_seconds
        return EvalResult(
            metrics={
                "gen_seconds": seconds,
                "load_seconds": float("nan") if load is None else load,
                "frames_per_s": len(inputs.video) / seconds,
                "seconds_per_60s_video": per_minute,
                "videos_per_hour_60s": 3600.0 / per_minute,
                "peak_memory_gb": inputs.usage.peak_memory_bytes / 2**30,
            }
        )
