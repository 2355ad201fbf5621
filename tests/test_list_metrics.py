"""`wmbench list metrics`: every metric a run can produce, as the evaluators declare it."""

from __future__ import annotations

from wmbench.cli import main
from wmbench.evaluators import EVALUATORS
from wmbench.report.catalogue import catalogue, catalogue_table


def test_every_declared_metric_is_listed_with_its_declaration(capsys):
    entries, broken = catalogue()
    assert not broken
    declared = set()
    for name in EVALUATORS.names():
        evaluator = EVALUATORS.get(name)()
        declared |= {spec.name for spec in [*evaluator.metric_specs(), *evaluator.set_specs()]}
    assert {entry.name for entry in entries} == declared
    table = catalogue_table(entries).set_index("metric")
    row = table.loc["delta_iq/vbench_musiq"]
    assert (row["evaluator"], row["better"], row["unit"]) == ("imaging_quality", "lower",
                                                              "MUSIQ 0-100")  # fmt: skip
    assert row["weights"] == "musiq-spaq" and row["level"] == "case"
    assert table.loc["fvd", "level"] == "set"
    sanawm = [name for name in table.index if name.startswith("rot_err_deg/sanawm")]
    assert sanawm and table.loc[sanawm[0], "protocol"].startswith("camera v")  # its identity
    assert main(["list", "metrics"]) == 0
    printed = capsys.readouterr().out
    assert f"metrics ({len(entries)}," in printed
    assert all(name in printed for name in declared)
