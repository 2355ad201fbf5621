"""``python -m wmbench rescore RUN [--protocol NAME]``: the camera metrics of a finished run
recomputed from the poses each case saved (``poses.npz``, written by the camera evaluator),
without estimating them again; then the run's tables are rebuilt.

Each case's ``result.json`` (and the camera series in ``series.npz``) is rewritten atomically
with the recomputed values, every other metric kept; with ``--protocol`` only that protocol's
metrics and series (``<name>/<protocol>``) change. A case without saved poses (it failed, or the
camera evaluator did not run) is left as it is and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from wmbench.core.errors import InputError
from wmbench.evaluators.camera import ARTEFACT, CameraEvaluator
from wmbench.evaluators.camera_scoring import score_saved, split_label
from wmbench.harness.evaluator_setup import build_evaluator
from wmbench.harness.store import RunStore
from wmbench.harness.summary import summarise

PROTOCOLS = ("cami2v", "worldscore", "wmbench", "sanawm")


@dataclass(frozen=True)
class Rescored:
    """What a rescore did: cases rewritten, metric values that changed, and the cases without
    saved poses (``model_key/case_id``)."""

    cases: int
    changed: int
    without_poses: tuple[str, ...]


def in_protocol(name: str, protocol: str | None) -> bool:
    """Whether metric or series ``name`` (``rot_err_deg/sanawm``, ``rot_err_deg/sanawm@pycolmap``,
    ``.../window_10s``) belongs to ``protocol`` (every name when None)."""
    parts = name.split("/")
    return protocol is None or (len(parts) > 1 and split_label(parts[1])[0] == protocol)


def rescore(root: Path, protocol: str | None = None) -> Rescored:
    """Recompute the camera metrics of the run at ``root`` from its saved poses."""
    if protocol is not None and protocol not in PROTOCOLS:
        raise InputError("--protocol", "protocol", f"one of {', '.join(PROTOCOLS)}", protocol)
    store = RunStore(root)
    run = store.run()
    prefix = f"{CameraEvaluator.name}/"
    cases, changed, without = 0, 0, []
    for record in store.case_records():
        arrays = store.case_arrays(record.model_key, record.case_id, f"{ARTEFACT}.npz")
        if not arrays:
            without.append(f"{record.model_key}/{record.case_id}")
            continue
        source = store.case_dir(record.model_key, record.case_id) / f"{ARTEFACT}.npz"
        metrics, series = score_saved(arrays, source)
        metrics = {name: value for name, value in metrics.items() if in_protocol(name, protocol)}
        changed += sum(record.metrics.get(name) != value for name, value in metrics.items())
        stored = store.case_series(record.model_key, record.case_id)
        stored |= {prefix + name: v for name, v in series.items() if in_protocol(name, protocol)}
        store.write_case(replace(record, metrics={**record.metrics, **metrics}), series=stored)
        cases += 1
    evaluators = [build_evaluator(n, run.evaluator_options.get(n, {})) for n in run.evaluators]
    store.write_tables(partial(summarise, evaluators=evaluators))
    return Rescored(cases, changed, tuple(without))
