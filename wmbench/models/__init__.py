"""Model adapters: the contract, the registry and the built-in adapters."""

from wmbench.core.registry import Registry
from wmbench.models.base import Generation, GenerationRequest, ModelAdapter, ModelInfo

MODELS = Registry(
    "model",
    "wmbench.models",
    {
        "static": "wmbench.models.static:StaticModel",
        "videos": "wmbench.models.videos:VideosModel",
        "command": "wmbench.models.command:CommandModel",
        "oracle": "wmbench.models.oracle:OracleModel",
        "perturbed": "wmbench.models.oracle:PerturbedOracleModel",
        "sana-wm": "reference_model.adapter:SanaWMAdapter",
    },
)

__all__ = ["MODELS", "Generation", "GenerationRequest", "ModelAdapter", "ModelInfo"]
