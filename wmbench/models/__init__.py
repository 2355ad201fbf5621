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
        "lingbot-world": "wmbench.models.baselines.pose_driven:LingBotWorld",
        "hy-worldplay": "wmbench.models.baselines.pose_driven:HYWorldPlay",
        "matrix-game-3": "wmbench.models.baselines.action_driven:MatrixGame3",
        "infinite-world": "wmbench.models.baselines.action_driven:InfiniteWorld",
        "yume": "wmbench.models.baselines.action_driven:Yume",
        "gen3c": "wmbench.models.baselines.gen3c:Gen3C",
    },
)

__all__ = ["MODELS", "Generation", "GenerationRequest", "ModelAdapter", "ModelInfo"]
