"""``python -m wmbench``: run suites, list what is available, show runs, manage data."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from wmbench.cli_report import add_report_parsers
from wmbench.core.errors import InputError, Interrupted, WmbenchError
from wmbench.data.suites import Overrides

MODEL_SHORTCUTS = ("preset", "checkpoint", "quant", "steps", "guidance")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except BrokenPipeError:  # the reader closed the pipe (`show RUN | head`): that is all it wanted
        _silence_stdout()
        return 0
    except Interrupted as error:  # SIGTERM / SIGINT: children and temporary folders are gone
        print(f"wmbench: {error}", file=sys.stderr)
        return error.exit_status
    except WmbenchError as error:  # bad input, missing weights, an output that cannot be written
        print(f"wmbench: error: {error}", file=sys.stderr)
        return 2
    except ConnectionError as error:  # offline: the message says what to do instead
        print(f"wmbench: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the file system refused a named path (a bug when it names none)
        if error.filename is None:
            raise
        print(f"wmbench: error: {error.filename}: {error.strerror or error}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush into the closed pipe is
    quiet (Python's documented remedy for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def add_suite_selection(parser: argparse.ArgumentParser) -> None:
    """The ``run`` options that narrow or resize a suite, for every
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

    run = verbs.add_parser(
        "run",
        help="run a suite",
        description="Run a suite and tabulate it.",
        epilog="exit status: 0 every case ok; 1 some case failed or partial (recorded; rerun to "
        "resume); 2 bad input or an output that cannot be written (nothing finished is lost); "
        "130/143 stopped by SIGINT/SIGTERM (finished cases kept; rerun to resume)",
    )
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
    run.add_argument(
        "--out",
        type=Path,
        help="run directory (a run of the same specification there is resumed; another is "
        "refused, naming what differs)",
    )
    run.add_argument(
        "--new-spec",
        action="store_true",
        help="replace the specification of the run in --out (its tables then hold only the "
        "cases of this one; results of the old one stay on disk)",
    )
    run.add_argument("--no-videos", action="store_true", help="do not keep generated videos")
    run.add_argument("--retry-failed", action="store_true", help="rerun cases that failed before")
    run.set_defaults(handler=_run)

    listing = verbs.add_parser("list", help="list suites, models, evaluators and metrics")
    listing.add_argument("what", nargs="?", choices=["suites", "models", "evaluators", "metrics"])
    listing.set_defaults(handler=_list)

    doctor = verbs.add_parser("doctor", help="check that a model can run here, line by line")
    doctor.add_argument("model", help="model name, as `list models` shows it")
    doctor.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE")
    doctor.set_defaults(handler=_doctor)

    rescore = verbs.add_parser(
        "rescore",
        help="recompute a run's camera metrics from its saved poses (no re-estimation)",
        description="Recompute the camera metrics of every case from its poses.npz, rewrite "
        "result.json and rebuild results.csv and summary.json.",
    )
    rescore.add_argument("run", type=Path, help="run directory")
    rescore.add_argument(
        "--protocol", help="only this protocol's metrics (cami2v, worldscore, wmbench, sanawm)"
    )
    rescore.set_defaults(handler=_rescore)

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
    add_report_parsers(verbs)
    return parser


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


def suite_selection(args: argparse.Namespace) -> Overrides:
    """The ``--data/--split/--limit/--cases/--frames/--resolution`` choices (Overrides checks
    them)."""
    cases = [c for c in args.cases.split(",") if c] if args.cases is not None else None
    return Overrides(
        data=args.data,
        split=args.split,
        cases=cases,
        limit=args.limit,
        frames=args.frames,
        resolution=args.resolution,
    )


def evaluator_names(args: argparse.Namespace) -> list[str] | None:
    """``--evaluators a,b`` as names (None: the suite's)."""
    if args.evaluators is None:
        return None
    names = [name for name in args.evaluators.split(",") if name]
    if not names:
        raise InputError("--evaluators", "evaluators", "comma-separated evaluator names", "none")
    return names


def _run(args: argparse.Namespace) -> int:
    from wmbench import api
    from wmbench.report.measured import Run
    from wmbench.report.terminal import render

    options = _parse_model_options(args)
    started = time.perf_counter()
    result = api.evaluate(
        args.suite,
        args.model or None,
        options=options,
        selection=suite_selection(args),
        evaluators=evaluator_names(args),
        out=args.out,
        seed=args.seed,
        save_videos=not args.no_videos,
        retry_failed=args.retry_failed,
        new_spec=args.new_spec,
    )
    run = Run(result.out, Path(result.out).resolve().name, result.run, result.models,
              result.results, result.metrics, result.summary)  # fmt: skip
    print(render(run))  # what the run just wrote, not read back
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    if result.failed_cases or result.partial_cases:
        print(
            f"{result.failed_cases} cases failed, {result.partial_cases} partial (an evaluator "
            "failed): see the error column; fix the cause and rerun (finished cases are kept)",
            file=sys.stderr,
        )
        return 1
    return 0


def _list(args: argparse.Namespace) -> int:
    from wmbench.data.suites import available_suites
    from wmbench.evaluators import EVALUATORS
    from wmbench.models import MODELS

    tables = {
        "suites": available_suites(),
        "models": MODELS.names(),
        "evaluators": EVALUATORS.names(),
    }
    for what, names in tables.items():
        if args.what in (None, what):
            print(f"{what}:")
            for name in names:
                # the control type needs the adapter imported: only when models are asked for
                control = _control(name) if args.what == "models" else ""
                print(f"  {name:<16} {control}".rstrip())
    if args.what == "metrics":  # builds every evaluator (torch and all): only when asked for
        _list_metrics()
    elif args.what is None:
        print("metrics: `python -m wmbench list metrics` (builds every evaluator to ask it)")
    return 0


def _list_metrics() -> None:
    """Every metric a run can produce, as the evaluators declare it."""
    import pandas as pd

    from wmbench.report.catalogue import catalogue, catalogue_table

    entries, broken = catalogue()
    print(f"metrics ({len(entries)}, as the evaluators declare them):")
    with pd.option_context("display.width", 250, "display.max_rows", None):
        print(catalogue_table(entries).to_string(index=False))
    for name, reason in broken.items():
        print(f"evaluator {name}: metrics not listed, it cannot be constructed here: {reason}")


def _control(name: str) -> str:
    """A model's control type, as its adapter class declares it (CONTROL)."""
    from wmbench.models import MODELS

    try:
        return getattr(MODELS.get(name), "CONTROL", "")
    except ImportError:
        return ""


def _doctor(args: argparse.Namespace) -> int:
    from wmbench.models.doctor import doctor

    options = {}
    for pair in args.option:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError("--option", pair, "KEY=VALUE")
        options[key] = value
    checks = doctor(args.model, options)
    print("\n".join(check.line() for check in checks))
    return 0 if all(check.ok for check in checks) else 1


def _rescore(args: argparse.Namespace) -> int:
    from wmbench.harness.rescore import rescore

    done = rescore(args.run, args.protocol)
    print(f"{args.run}: {done.cases} cases rescored, {done.changed} metric values changed")
    for case in done.without_poses:
        print(f"  no saved poses (left as it was): {case}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from wmbench.report.measured import load_runs
    from wmbench.report.terminal import render

    (run,) = load_runs([args.run])
    print(render(run))
    return 0


def _data_fetch(args: argparse.Namespace) -> int:
    from wmbench.data.fetch import fetch_sanawm_bench

    path = fetch_sanawm_bench(args.dest)
    print(f"SANA-WM-Bench is at {path}; run with --data {path} or set WMBENCH_SANAWM_BENCH")
    return 0


def _weights_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from wmbench.core import weights

    print(f"weight store: {weights.store_root()}  (set WMBENCH_WEIGHTS to move it)")
    print(pd.DataFrame(weights.status()).fillna("").to_string(index=False))
    return 0


def _weights_fetch(args: argparse.Namespace) -> int:
    from wmbench.core import weights

    print(f"fetched {args.name} into {weights.fetch(args.name)}")
    return 0


def _weights_convert(args: argparse.Namespace) -> int:
    from wmbench.core import weights

    print(f"converted {args.name}: wrote {weights.convert(args.name)}")
    return 0
