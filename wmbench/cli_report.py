"""The CLI verbs over finished runs: ``report``, ``compare`` and ``history``."""

from __future__ import annotations

import argparse
from pathlib import Path

from wmbench.core.errors import InputError
from wmbench.core.files import atomic_write_text
from wmbench.harness.identity import check_comparable

ALLOW_DIFFERENT = "--allow-different-settings"


def add_report_parsers(verbs: argparse._SubParsersAction) -> None:
    """The verbs of ``wmbench.report``: report, compare, history."""
    report = verbs.add_parser(
        "report",
        help="leaderboard of runs beside reported numbers (md, html, csv, plots)",
        description="Write a leaderboard of runs beside published numbers, or with --paper the "
        "paper-reproduction report (Markdown).",
    )
    report.add_argument("runs", nargs="*", type=Path, metavar="RUN", help="run directories")
    report.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="SOURCE",
        help="reported numbers to show: 'reported' (the whole registry), a registry name "
        "(e.g. sana_wm) or a YAML file; repeatable",
    )
    report.add_argument(
        "--paper", metavar="NAME", help="write the reproduction report of a registry file instead"
    )
    report.add_argument(
        "--quality",
        action="append",
        metavar="METRIC",
        help="metric(s) to plot against throughput (default: every non-throughput metric)",
    )
    report.add_argument(
        "--out",
        type=Path,
        help="output folder (default reports/<first run>); with --paper the Markdown file "
        "(default reports/<NAME>.md)",
    )
    report.set_defaults(handler=_report)

    compare = verbs.add_parser(
        "compare",
        help="per-metric deltas between runs; exit 1 on a regression (the CI hook)",
        description="Compare NEW with BASE (several BASE runs give a run-to-run noise band). "
        "Exit status 1 when a metric regresses past its threshold, 2 on bad input.",
    )
    compare.add_argument(
        "runs", nargs="+", type=Path, metavar="RUN", help="BASE [BASE ...] NEW: the last is NEW"
    )
    compare.add_argument("--thresholds", type=Path, metavar="FILE", help="tolerances (YAML)")
    compare.add_argument("--csv", type=Path, metavar="FILE", help="also write the table as CSV")
    compare.add_argument(
        "--match",
        choices=["model_key", "model"],
        default="model_key",
        help="pair models by name and configuration (default) or by name only, e.g. one model "
        "run with different options",
    )
    compare.add_argument(
        ALLOW_DIFFERENT,
        action="store_true",
        help="compare runs of different suites, data, frames, fps or resolution (refused "
        "otherwise: their numbers are not comparable)",
    )
    compare.set_defaults(handler=_compare)

    history = verbs.add_parser("history", help="a SQLite history of runs across commits")
    history_verbs = history.add_subparsers(title="history commands", metavar="COMMAND")
    for verb in ("add", "show"):
        sub = history_verbs.add_parser(
            verb, help="record runs" if verb == "add" else "print recorded values"
        )
        sub.add_argument(
            "--db", type=Path, help="database (default $WMBENCH_HISTORY or runs/history.sqlite)"
        )
        sub.set_defaults(handler=_history_add if verb == "add" else _history_show)
        if verb == "add":
            sub.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="run directories")
            continue
        sub.add_argument("--metric", help="only this metric")
        sub.add_argument("--model", help="only this model key")
        sub.add_argument("--suite", help="only this suite")
        sub.add_argument("--split", default="all", help="split (default all: every case)")


def _report(args: argparse.Namespace) -> int:
    import shlex

    from wmbench.report import reported
    from wmbench.report.leaderboard import write_leaderboard
    from wmbench.report.measured import load_runs
    from wmbench.report.paper import write_paper_report

    runs = load_runs(args.runs)
    if args.paper:
        out = args.out or Path("reports") / f"{args.paper}.md"
        runs_given = [str(path) for path in args.runs]
        command = shlex.join(
            [
                "python",
                "-m",
                "wmbench",
                "report",
                "--paper",
                args.paper,
                *runs_given,
                "--out",
                str(out),
            ]
        )
        (file,) = reported.resolve([args.paper])
        print(f"reproduction report: {write_paper_report(file, runs, out, command)}")
        return 0
    if not runs:
        raise InputError("report", "RUN", "at least one run directory (or --paper NAME)")
    out = args.out or Path("reports") / runs[0].label
    written = write_leaderboard(runs, reported.resolve(args.against), out, args.quality)
    tables = [written.markdown, written.html, written.csv, written.headline_csv]
    print(f"wrote {', '.join(str(path) for path in tables if path)}")
    print(f"figures: {len(written.figures)} in {out / 'plots'}")
    for page in written.model_pages:
        print(f"cases: {page}")
    for note in written.notes:
        print(f"note: {note}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from wmbench.report import compare
    from wmbench.report.measured import load_runs

    if len(args.runs) < 2:
        raise InputError("compare", "RUN", "BASE [BASE ...] NEW: at least two run directories")
    *base, new = load_runs(args.runs)
    if not args.allow_different_settings:
        check_comparable([(str(run.path), run.record) for run in (*base, new)], ALLOW_DIFFERENT)
    thresholds = (
        compare.load_thresholds(args.thresholds) if args.thresholds else compare.Thresholds()
    )
    comparison = compare.comparison(base, new, thresholds, args.match)
    if args.csv:
        atomic_write_text(args.csv, comparison.table.to_csv(index=False))
    print(comparison.render())
    return 1 if comparison.failing else 0


def _history_add(args: argparse.Namespace) -> int:
    from wmbench.report import history
    from wmbench.report.measured import load_runs

    db = args.db or history.default_db()
    for run in load_runs(args.runs):
        rows = history.add(db, run)
        print(f"{run.label}: {rows} rows as run {history.run_id(run)} in {db}")
    return 0


def _history_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from wmbench.report import history
    from wmbench.report.tables import format_value

    db = args.db or history.default_db()
    table = history.show(db, args.metric, args.model, args.suite, args.split)
    if table.empty:
        print(f"{db}: no rows match")
        return 0
    table["git_commit"] = table["git_commit"].str[:12]
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False, float_format=format_value, na_rep="-"))
    return 0
