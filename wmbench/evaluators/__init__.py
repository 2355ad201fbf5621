"""Evaluators: the contract, the registry and the built-in evaluators."""

from wmbench.core.registry import Registry
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec

EVALUATORS = Registry(
    "evaluator",
    "wmbench.evaluators",
    {
        "throughput": "wmbench.evaluators.throughput:Throughput",
        "control": "wmbench.evaluators.control:ControlFidelity",
        "camera": "wmbench.evaluators.camera:CameraEvaluator",
        "local_control": "wmbench.evaluators.local_control:LocalControl",
        "persistence": "wmbench.evaluators.persistence:Persistence",
        "permanence": "wmbench.evaluators.permanence:Permanence",
        "flicker": "wmbench.evaluators.flicker:Flicker",
        "flow_consistency": "wmbench.evaluators.flow:FlowConsistency",
        "sharpness": "wmbench.evaluators.sharpness:Sharpness",
        "drift": "wmbench.evaluators.drift:Drift",
        "reference": "wmbench.evaluators.reference:Reference",
        "revisit": "wmbench.evaluators.revisit:Revisit",
        "clip_score": "wmbench.evaluators.clip_score:ClipScore",
        "aesthetic": "wmbench.evaluators.aesthetic:Aesthetic",
        "subject_consistency": "wmbench.evaluators.subject_consistency:SubjectConsistency",
        "lpips": "wmbench.evaluators.lpips_distance:LpipsDistance",
        "fvd": "wmbench.evaluators.fvd:FrechetVideoDistance",
        "background_consistency": "wmbench.evaluators.background_consistency:BackgroundConsistency",
        "imaging_quality": "wmbench.evaluators.imaging_quality:ImagingQuality",
        "subject_consistency_vbench": "wmbench.evaluators.vbench_exact:SubjectConsistencyVBench",
        "aesthetic_vbench": "wmbench.evaluators.vbench_exact:AestheticVBench",
        "vbench_quality_score": "wmbench.evaluators.vbench_quality:VBenchQualityScore",
        "dynamic_degree": "wmbench.evaluators.dynamic_degree:DynamicDegree",
        "motion_smoothness": "wmbench.evaluators.motion_smoothness:MotionSmoothness",
    },
)

__all__ = ["EVALUATORS", "EvalInput", "EvalResult", "Evaluator", "MetricSpec"]
