"""Stopping a run cleanly: SIGTERM (a scheduler's preemption) and SIGINT (Ctrl-C) raise
:class:`~wmbench.core.errors.Interrupted` in the main thread, so every ``finally`` and context
manager on the way out runs: a running program's process group is killed
(:func:`wmbench.models.process.run_program`), temporary folders and files are removed, and the
finished cases stay on disk. The CLI exits 128 + the signal number (130 for SIGINT, 143 for
SIGTERM)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from wmbench.core.errors import Interrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop(signum: int, frame: FrameType | None) -> None:
    for number in SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(number, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise Interrupted (main thread only; elsewhere
    the block runs unchanged); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _stop) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
