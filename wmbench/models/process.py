"""Running an external program for one case: its own process group, killed whole on timeout.

Shared by ``command`` and the published-baseline adapters, whose entry points spawn workers
(torchrun, dataloaders, VAE processes) that must not outlive a timed-out case.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wmbench.core.errors import InputError

OUTPUT_TAIL_CHARS = 2000
# Per case. The slowest published single-clip time is ~3680 s for a 60 s clip on one GPU
# (HY-WorldPlay autoregressive, ../shared/FACTS.md), so one hour kills real runs; six hours
# still ends a hung program the same working day. Set ``timeout`` per model to change it.
DEFAULT_TIMEOUT_S = 6 * 3600.0


def positive_seconds(value: object) -> float:
    """A timeout option: a finite number of seconds above zero."""
    seconds = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"not a positive number of seconds: {value!r}")
    return seconds


@dataclass(frozen=True)
class ProgramRun:
    """A finished program: wall seconds and everything it printed (stdout then stderr)."""

    seconds: float
    output: str


def run_program(
    argv: Sequence[str],
    source: str,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> ProgramRun:
    """Run ``argv`` in a new session (its own process group) and wait at most ``timeout``
    seconds; on timeout the whole group is killed. A failure to start, a timeout or a non-zero
    exit raises InputError naming ``source`` with the tail of the program's output."""
    start = time.perf_counter()
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",  # a program printing non-UTF-8 bytes still reports its output
            start_new_session=True,
        )
    except OSError as error:
        raise InputError(source, "program", "a program that starts", str(error)) from error
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        tail = (stdout + stderr)[-OUTPUT_TAIL_CHARS:]
        raise InputError(
            source, "timeout", f"to finish within {timeout:g} s", f"still running; output:\n{tail}"
        ) from None
    seconds = time.perf_counter() - start
    output = stdout + stderr
    if process.returncode != 0:
        raise InputError(
            source,
            "exit status",
            "0",
            f"{process.returncode}; output:\n{output[-OUTPUT_TAIL_CHARS:]}",
        )
    return ProgramRun(seconds=seconds, output=output)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL every process in ``process``'s group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
