"""``python -m reference_model COMMAND``: the reference model's commands.

:data:`VERBS` maps each command to the function that adds its subparser (``add(subparsers,
name)``, setting ``handler``); a module brings its commands by adding entries here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from reference_model.nvfp4.cli import add_quantize
from reference_model.nvfp4.harness import add_compare_quant
from reference_model.training.cli import add_prepare, add_train
from wmbench.core.errors import InputError, MissingWeightsError, ModelUnavailable

VERBS: dict[str, Callable[[argparse._SubParsersAction, str], None]] = {
    "train": add_train,
    "prepare": add_prepare,
    "quantize": add_quantize,
    "compare-quant": add_compare_quant,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_model")
    verbs = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, add in VERBS.items():
        add(verbs, name)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (InputError, MissingWeightsError, ModelUnavailable) as error:
        print(f"reference_model: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
