"""The checks of a baseline's install that run nothing: interpreter, entry point, weights."""

from __future__ import annotations

import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One doctor line: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"[{'ok' if self.ok else 'MISSING'}] {self.name}: {self.detail}"


def static_checks(model) -> list[Check]:
    """The checks that run nothing: interpreter, entry-point script, weight paths."""
    argv = model.interpreter()
    if not argv:
        interpreter = Check("interpreter", False, "none configured (-o python=/env/bin/python "
                            "or -o \"launcher=/env/bin/torchrun --nproc_per_node=N\")")  # fmt: skip
    else:
        found = shutil.which(argv[0])
        interpreter = Check(
            "interpreter", bool(found), found or f"{argv[0]} is not an executable file"
        )
    script = model.repo / model.ENTRY.script
    entry = Check(
        "entry point",
        script.is_file(),
        str(script) if script.is_file() else f"{script} not found (-o repo=CHECKOUT)",
    )
    missing = [str(path) for path in model.weight_paths() if not path.exists()]
    weights = Check(
        "weights",
        not missing,
        "missing " + ", ".join(missing) if missing else f"all under {model.weights}",
    )
    return [interpreter, entry, weights]
