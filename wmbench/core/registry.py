"""Name -> factory registries for models and evaluators, extended through entry points.

Built-in entries are ``"module:attribute"`` strings imported on first use, so listing the
registry never imports torch or a model. Third parties add entries with the entry-point
groups ``wmbench.models`` and ``wmbench.evaluators``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from wmbench.core.errors import InputError


class Registry:
    """A named table of factories: built-ins declared as import paths, plus entry points."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._paths = dict(builtins)
        self._loaded: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering a factory under ``name`` (for code that is imported anyway)."""

        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._loaded[name] = factory
            return factory

        return decorate

    def names(self) -> list[str]:
        plugin_names = [ep.name for ep in entry_points(group=self.group)]
        return sorted(set(self._paths) | set(self._loaded) | set(plugin_names))

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered as ``name``; a clear error lists the known names."""
        if name in self._loaded:
            return self._loaded[name]
        path = self._paths.get(name)
        if path is None:
            for ep in entry_points(group=self.group):
                if ep.name == name:
                    path = ep.value
                    break
        if path is None:
            raise InputError(
                f"unknown {self.kind} '{name}'", "name", f"one of {', '.join(self.names())}"
            )
        module_name, _, attribute = path.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        self._loaded[name] = factory
        return factory
