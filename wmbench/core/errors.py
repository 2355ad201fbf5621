"""Errors that name the file, the field and the expected form."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path


class WmbenchError(Exception):
    """A problem the user can fix (bad input, missing weights, a model that cannot run here):
    the CLI prints its message and exits 2. Anything else is a bug and keeps its traceback."""


class InputError(WmbenchError, ValueError):
    """Bad input: says which file, which field, what was expected and what was found."""

    def __init__(
        self,
        source: str | Path,
        field: str,
        expected: str,
        found: str | None = None,
    ) -> None:
        self.source = str(source)
        self.field = field
        self.expected = expected
        self.found = found
        message = f"{self.source}: field '{field}': expected {expected}"
        if found is not None:
            message += f", found {found}"
        super().__init__(message)


class OutputError(WmbenchError, OSError):
    """A file could not be written (disk full, permission denied, read-only folder): names the
    path and the system's reason. Nothing partial is left under that path."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: cannot write ({reason})")

    def __str__(self) -> str:
        return f"{self.path}: cannot write ({self.reason})"


class MissingWeightsError(WmbenchError, FileNotFoundError):
    """A learned component's weights are not in the local weight store; ``missing`` holds the
    exact files to place."""

    def __init__(self, message: str, missing: Sequence[Path] = ()) -> None:
        super().__init__(message)
        self.missing = tuple(missing)


class ModelUnavailable(WmbenchError, RuntimeError):
    """A model cannot run on this machine (no weights, no GPU, ...); the reason is the message."""


class MissingPackage(WmbenchError, ImportError):
    """An optional package a command needs is not installed: names it and the extra that
    installs it (``pip install 'wmbench[EXTRA]'``)."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(f"{purpose} needs the package {package}: pip install 'wmbench[{extra}]'")
        self.package = package
        self.extra = extra


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGTERM from a scheduler, SIGINT from Ctrl-C). A
    BaseException, so no per-case ``except Exception`` records it as a failed case; the CLI
    exits 128 + the signal number (130, 143)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_status = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(
            f"interrupted by {name}: finished cases are kept, running programs and temporary "
            "folders removed; rerun the same command to resume"
        )
