"""A history of runs in SQLite, so a project can follow a metric across commits.

One table, ``history``, keyed by (run_id, model, split, metric), with the run's git commit and
suite, and the mean, std and count over the split's cases (``split = 'all'`` for every case).
Adding a run again replaces its rows.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wmbench.core.errors import InputError
from wmbench.harness.store import fingerprint
from wmbench.report.measured import ALL_SPLITS, Run, aggregate

SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    run_id TEXT NOT NULL,
    git_commit TEXT NOT NULL,
    suite TEXT NOT NULL,
    model TEXT NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    std REAL,
    count INTEGER NOT NULL,
    unit TEXT,
    higher_is_better INTEGER,
    created TEXT,
    data TEXT,
    run_path TEXT,
    PRIMARY KEY (run_id, model, split, metric)
)
"""
COLUMNS = [
    "run_id",
    "git_commit",
    "suite",
    "model",
    "split",
    "metric",
    "value",
    "std",
    "count",
    "unit",
    "higher_is_better",
    "created",
    "data",
    "run_path",
]


def default_db() -> Path:
    """``$WMBENCH_HISTORY``, else ``runs/history.sqlite`` (beside the default run folders)."""
    return Path(os.environ.get("WMBENCH_HISTORY", "runs/history.sqlite"))


def run_id(run: Run) -> str:
    """A stable id of a run: a hash of when, where and what it ran (not of its folder path)."""
    record = run.record
    spec = record.spec.model_dump(mode="json")
    return fingerprint({
        "created": record.created, "suite": record.suite, "git_commit": record.git_commit,
        "seed": spec["seed"], "cases": record.cases, "models": spec["models"],
        "hardware": record.hardware,
    })  # fmt: skip


@contextmanager
def _connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection with the table in place; committed and closed on leaving."""
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(db)
    except sqlite3.Error as error:
        raise InputError(
            db, "history database", "a SQLite file wmbench can open", str(error)
        ) from error
    try:
        try:
            connection.execute(SCHEMA)
        except sqlite3.DatabaseError as error:  # not a database, read-only, locked
            raise InputError(
                db, "history database", "a wmbench history (SQLite) it can write", str(error)
            ) from error
        yield connection
        connection.commit()
    finally:
        connection.close()


def add(db: Path, run: Run) -> int:
    """Record ``run``'s per-split aggregates; returns the number of rows written."""
    meta = run.record
    table = aggregate([run])
    specs = run.specs
    rows = [
        (
            run_id(run),
            meta.git_commit,
            meta.suite,
            row.model_key,
            row.split,
            row.metric,
            float(row.mean),
            None if pd.isna(row.std) else float(row.std),
            int(row.count),
            specs[row.metric].unit if row.metric in specs else "",
            specs[row.metric].higher_is_better if row.metric in specs else None,
            meta.created,
            meta.data,
            str(run.path.resolve()),
        )
        for row in table.itertuples()
    ]
    with _connect(db) as connection:
        connection.executemany(
            f"INSERT OR REPLACE INTO history ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})",
            rows,
        )
    return len(rows)


def show(
    db: Path,
    metric: str | None = None,
    model: str | None = None,
    suite: str | None = None,
    split: str = ALL_SPLITS,
) -> pd.DataFrame:
    """Rows of the history, oldest run first, filtered by metric, model, suite and split."""
    if not db.is_file():
        raise InputError(
            db, "history", "a history database (`wmbench history add RUN`)", "no history yet"
        )
    filters = {"metric": metric, "model": model, "suite": suite, "split": split}
    where = [f"{name} = ?" for name, value in filters.items() if value is not None]
    params = [value for value in filters.values() if value is not None]
    query = (
        "SELECT created, git_commit, suite, model, split, metric, value, std, count, unit, run_id "
        f"FROM history {'WHERE ' + ' AND '.join(where) if where else ''} "
        "ORDER BY created, run_id, model, metric"
    )
    with _connect(db) as connection:
        return pd.read_sql_query(query, connection, params=params)
