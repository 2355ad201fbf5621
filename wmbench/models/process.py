"""Running an external program for one case: its own process group, killed whole on timeout
or when the run is stopped (SIGTERM, SIGINT), with a progress line while it runs.

Shared by ``command`` and the published-baseline adapters, whose entry points spawn workers
(torchrun, dataloaders, VAE processes) that must not outlive a timed-out or stopped case.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wmbench.core.errors import InputError

OUTPUT_TAIL_CHARS = 2000
# The default per-case timeout fits the video asked for: twice the slowest published rate,
# ~3680 s for a 60 s clip on one GPU (HY-WorldPlay autoregressive, ../shared/FACTS.md), i.e.
# 123 s per second of video (2 h for 60 s), and at least 10 minutes (start-up, model loading).
# Set ``timeout`` (seconds) per model to change it.
SLOWEST_SECONDS_PER_VIDEO_SECOND = 3680.0 / 60.0
TIMEOUT_FACTOR = 2.0
MIN_TIMEOUT_S = 600.0
PROGRESS_EVERY_S = 60.0  # a line on stderr while a program runs


def default_timeout(num_frames: int, fps: float) -> float:
    """The per-case timeout for a video of ``num_frames`` at ``fps`` (see above)."""
    seconds = max(num_frames - 1, 1) / fps
    return max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * SLOWEST_SECONDS_PER_VIDEO_SECOND * seconds)


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
    seconds, printing a progress line every :data:`PROGRESS_EVERY_S`; on timeout, or when the
    run is stopped (any BaseException: SIGTERM, SIGINT), the whole group is killed. A failure to
    start, a timeout or a non-zero exit raises InputError naming ``source`` with the tail of the
    program's output."""
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
        stdout, stderr = _wait(process, stdin, timeout, source, start)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        tail = (stdout + stderr)[-OUTPUT_TAIL_CHARS:]
        raise InputError(
            source, "timeout", f"to finish within {timeout:g} s", f"still running; output:\n{tail}"
        ) from None
    except BaseException:  # stopped (SIGTERM/SIGINT) or a bug: the program must not outlive us
        _kill_group(process)
        process.communicate()
        raise
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


def _wait(
    process: subprocess.Popen, stdin: str | None, timeout: float, source: str, start: float
) -> tuple[str, str]:
    """``process.communicate`` within ``timeout`` seconds, a progress line on stderr every
    :data:`PROGRESS_EVERY_S` (retrying ``communicate`` loses no output)."""
    pending = stdin
    while True:
        step = min(PROGRESS_EVERY_S, timeout - (time.perf_counter() - start))
        try:
            return process.communicate(pending, timeout=max(step, 0.01))
        except subprocess.TimeoutExpired:
            pending = None  # sent by the first call; a retry must not send it again
            elapsed = time.perf_counter() - start
            if elapsed >= timeout:
                raise
            print(
                f"[wmbench] {source}: still running after {elapsed:.0f} s "
                f"(pid {process.pid}; killed at {timeout:g} s, the timeout option)",
                file=sys.stderr,
                flush=True,
            )


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL every process in ``process``'s group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
