"""``python -m wmbench``: run suites, list what is available, show runs, manage data."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from wmbench.errors import InputError, MissingWeightsError, ModelUnavailable

MODEL_SHORTCUTS = ("preset", "checkpoint", "quant", "steps", "guidance")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except (
        InputError,
        MissingWeightsError,
        ModelUnavailable,
        KeyError,
        OSError,
        ImportError,
    ) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"wmbench: error: {message}", file=sys.stderr)
        return 2


SUITE_SELECTION = ("data", "split", "limit", "cases", "frames", "resolution", "evaluators")


def add_suite_selection(parser: argparse.ArgumentParser) -> None:
    """The ``run`` options that narrow or resize a suite (``SUITE_SELECTION``), for every
    command that runs one."""
    parser.add_argument("--data", type=Path, help="benchmark data folder (SANA-WM-Bench layout)")
    parser.add_argument("--split", help="run one split only (e.g. simple_60s, hard_60s)")
    parser.add_argument("--limit", type=int, help="at most N cases per split")
    parser.add_argument("--cases", help="comma-separated case ids (e.g. hard_60s/indoor_001)")
    parser.add_argument("--frames", type=int, help="frames per video (default: the suite's)")
    parser.add_argument("--resolution", help="WIDTHxHEIGHT (default: the suite's)")
    parser.add_argument("--evaluators", help="comma-separated evaluators instead of the suite's")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wmbench",
        description="Score camera-controlled world models on standard suites.",
    )
    verbs = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = verbs.add_parser("run", help="run a suite", description="Run a suite and tabulate it.")
    run.add_argument(
        "--suite", default="one_minute", help="suite name or file (default one_minute)"
    )
    run.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="model to run (repeatable); default: the models the suite declares",
    )
    run.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="adapter option for the --model(s) given, or MODEL:KEY=VALUE for one",
    )
    for shortcut in MODEL_SHORTCUTS:
        run.add_argument(f"--{shortcut}", help=f"shortcut for --option {shortcut}=VALUE")
    add_suite_selection(run)
    run.add_argument("--seed", type=int, default=0, help="generation seed (default 0)")
    run.add_argument("--out", type=Path, help="run directory (an existing one is resumed)")
    run.add_argument("--no-videos", action="store_true", help="do not keep generated videos")
    run.add_argument("--retry-failed", action="store_true", help="rerun cases that failed before")
    run.set_defaults(handler=_run)

    listing = verbs.add_parser("list", help="list suites, models and evaluators")
    listing.add_argument("what", nargs="?", choices=["suites", "models", "evaluators"])
    listing.set_defaults(handler=_list)

    show = verbs.add_parser("show", help="print a run's leaderboard")
    show.add_argument("run", type=Path, help="run directory")
    show.set_defaults(handler=_show)

    data = verbs.add_parser("data", help="benchmark data: fetch the real data, write the mirror")
    data_verbs = data.add_subparsers(title="data commands", metavar="COMMAND")
    fetch = data_verbs.add_parser("fetch", help="download SANA-WM-Bench (needs internet)")
    fetch.add_argument("--dest", type=Path, help="where to put it (default: the wmbench cache)")
    fetch.set_defaults(handler=_data_fetch)

    weights = verbs.add_parser("weights", help="the local weight store of learned components")
    weight_verbs = weights.add_subparsers(title="weights commands", metavar="COMMAND")
    weight_list = weight_verbs.add_parser("list", help="what is present or missing, with checksums")
    weight_list.set_defaults(handler=_weights_list)
    weight_fetch = weight_verbs.add_parser("fetch", help="download an entry (needs internet)")
    weight_fetch.add_argument("name", help="entry name, as `weights list` shows it")
    weight_fetch.set_defaults(handler=_weights_fetch)
    weight_convert = weight_verbs.add_parser(
        "convert", help="derive an entry from one in the store (raft: VBench's RAFT -> torchvision)"
    )
    weight_convert.add_argument("name", help="conversion name (raft)")
    weight_convert.set_defaults(handler=_weights_convert)
    _report_parsers(verbs)
    return parser


def _report_parsers(verbs: argparse._SubParsersAction) -> None:
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


def _parse_model_options(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """Options per model name; unscoped ones apply to every model named with --model."""
    scoped: dict[str, dict[str, str]] = {name: {} for name in args.model}
    pairs = list(args.option)
    pairs += [f"{name}={getattr(args, name)}" for name in MODEL_SHORTCUTS if getattr(args, name)]
    for pair in pairs:
        target, _, assignment = (
            pair.rpartition(":") if ":" in pair.split("=", 1)[0] else ("", "", pair)
        )
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise InputError("--option", pair, "KEY=VALUE or MODEL:KEY=VALUE")
        for name in [target] if target else args.model:
            scoped.setdefault(name, {})[key] = value
        if not target and not args.model:
            raise InputError("--option", pair, "a --model to apply it to (or MODEL:KEY=VALUE)")
    return scoped


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from wmbench import leaderboard
    from wmbench.runner import ModelChoice, RunConfig, run
    from wmbench.store import RunStore
    from wmbench.suites import Overrides, load_suite, parse_resolution

    overrides = Overrides(
        data=args.data,
        split=args.split,
        cases=args.cases.split(",") if args.cases else None,
        limit=args.limit,
        frames=args.frames,
        resolution=parse_resolution(args.resolution) if args.resolution else None,
    )
    suite = load_suite(args.suite, overrides)
    if args.evaluators:
        suite = replace(suite, evaluators=tuple(args.evaluators.split(",")))
    options = _parse_model_options(args)
    names = args.model or list(suite.models)
    models = tuple(ModelChoice(name, options.get(name, {})) for name in names)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"{suite.name}-{stamp}"
    config = RunConfig(
        suite=suite,
        models=models,
        out=out,
        seed=args.seed,
        save_videos=not args.no_videos,
        retry_failed=args.retry_failed,
        strict_models=bool(args.model),
        strict_evaluators=bool(args.evaluators),
    )
    run(config)
    summary = (
        json.loads((out / "summary.json").read_text()) if (out / "summary.json").is_file() else None
    )
    if summary is not None:
        print(leaderboard.render(summary))
        notes = RunStore(out).run_metadata().get("evaluator_notes", {})
        print("".join(f"\n{name}: {text}" for name, text in notes.items()))
        print(f"\nresults: {out / 'results.csv'}\nsummary: {out / 'summary.json'}")
    return _exit_status(RunStore(out))


def _exit_status(store) -> int:
    """1 when a case failed, so scripts notice; 0 otherwise."""
    results = store.results()
    return 1 if len(results) and (results["status"] == "failed").any() else 0


def _list(args: argparse.Namespace) -> int:
    from wmbench.evaluators import EVALUATORS
    from wmbench.models import MODELS
    from wmbench.suites import available_suites

    tables = {
        "suites": available_suites(),
        "models": MODELS.names(),
        "evaluators": EVALUATORS.names(),
    }
    for what, names in tables.items():
        if args.what in (None, what):
            print(f"{what}:")
            for name in names:
                print(f"  {name}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from wmbench import leaderboard

    path = args.run / "summary.json"
    if not path.is_file():
        raise InputError(args.run, "summary.json", "a wmbench run directory", "no summary.json")
    print(leaderboard.render(json.loads(path.read_text())))
    return 0


def _data_fetch(args: argparse.Namespace) -> int:
    from wmbench.data_fetch import fetch_sanawm_bench

    path = fetch_sanawm_bench(args.dest)
    print(f"SANA-WM-Bench is at {path}; run with --data {path} or set WMBENCH_SANAWM_BENCH")
    return 0


def _weights_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from wmbench import weights

    print(f"weight store: {weights.store_root()}  (set WMBENCH_WEIGHTS to move it)")
    print(pd.DataFrame(weights.status()).fillna("").to_string(index=False))
    return 0


def _weights_fetch(args: argparse.Namespace) -> int:
    from wmbench import weights

    print(f"fetched {args.name} into {weights.fetch(args.name)}")
    return 0


def _weights_convert(args: argparse.Namespace) -> int:
    from wmbench import weights

    print(f"converted {args.name}: wrote {weights.convert(args.name)}")
    return 0


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
    for path in (written.markdown, written.html, written.csv, *written.figures):
        print(f"wrote {path}")
    for note in written.notes:
        print(f"note: {note}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from wmbench.report import compare
    from wmbench.report.measured import load_runs
    from wmbench.report.tables import format_value

    if len(args.runs) < 2:
        raise InputError("compare", "RUN", "BASE [BASE ...] NEW: at least two run directories")
    *base, new = load_runs(args.runs)
    thresholds = (
        compare.load_thresholds(args.thresholds) if args.thresholds else compare.Thresholds()
    )
    table = compare.compare(base, new, thresholds, args.match)
    if args.csv:
        table.to_csv(args.csv, index=False)
    print(f"BASE: {', '.join(run.label for run in base)}    NEW: {new.label}")
    print(f"noise: {compare.noise_method(base)}; band = {thresholds.sigma:g} x noise")
    print(f"thresholds: {thresholds.source}")
    shown = table.assign(
        relative=table["relative"].map(lambda r: f"{r:+.1%}" if pd.notna(r) else "-")
    )
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(shown.to_string(index=False, float_format=format_value, na_rep="-"))
    failures = compare.failed(table, thresholds)
    for row in failures.itertuples():
        values = f"base {format_value(row.base)}, new {format_value(row.new)}"
        print(
            f"FAIL {row.model} {row.metric}: {row.status} ({values}, "
            f"allowance {format_value(row.allowance)})"
        )
    print(f"{len(failures)} failing of {len(table)} compared")
    return 1 if len(failures) else 0


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
