"""The code's shape: every import runs down the layers of ``tests/layers.py`` (imports inside
functions and registry strings such as ``"pkg.module:Class"`` included), no import circle among
the modules of wmbench, pose_pipeline and reference_model, and no module over 400 lines."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from tests.layers import LAYERS, README, diagram, layer_of, readme_diagram

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("wmbench", "pose_pipeline", "reference_model")
MAX_LINES = 400
# "package.module:attribute", as registries and entry points name a factory
REGISTRY_STRING = re.compile(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+):[A-Za-z_][\w.]*$")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the project's packages under ``root``, by dotted name."""
    return {
        module_name(path, root): path
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
    }


MODULES = project_modules(ROOT)


def _named(node: ast.AST, strings: bool) -> list[str]:
    """Module names that ``node`` imports: import statements, ``import_module("a.b")`` calls
    and (with ``strings``) registry strings ``"a.b:attr"``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func.attr if isinstance(node.func, ast.Attribute) else None
        function = function or (node.func.id if isinstance(node.func, ast.Name) else None)
        if function == "import_module" and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    if strings and isinstance(node, ast.Constant) and isinstance(node.value, str):
        match = REGISTRY_STRING.match(node.value)
        return [match.group(1)] if match else []
    return []


def imports(name: str, modules: dict[str, Path] = MODULES, strings: bool = False) -> set[str]:
    """The project modules ``name`` imports: ``from a.b import c`` is ``a.b.c`` when that is a
    module, else ``a.b``; a submodule's import also runs its packages' ``__init__``. With
    ``strings``, also the modules its registry strings name (loaded lazily, so a registry may
    name a module that imports it back: they count for the direction, not for circles)."""
    tree = ast.parse(modules[name].read_text())
    package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]  # fmt: skip
        else:
            targets = _named(node, strings)
        for target in targets:
            parts = target.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & modules.keys()
    found.discard(name)
    return found - {p for p in _parents(name)}


def upward_imports(modules: dict[str, Path]) -> list[str]:
    """``a -> b`` for every import of a module ``b`` in a layer above ``a``'s."""
    return sorted(
        f"{name} ({LAYERS[layer_of(name)].label}) -> {target} ({LAYERS[layer_of(target)].label})"
        for name in modules
        for target in imports(name, modules, strings=True)
        if layer_of(target) > layer_of(name)
    )


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (a list of modules, the first repeated last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_among_the_project_modules():
    graph = {name: imports(name) for name in MODULES}
    assert graph["wmbench.harness.runner"] >= {"wmbench.harness.store", "wmbench.evaluators"}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_every_module_is_in_a_layer():
    for name in MODULES:
        layer_of(name)


def test_every_import_runs_down_the_layers():
    assert upward_imports(MODULES) == []


PLANTED = {
    "module level": ("wmbench/data/fetch.py", "from wmbench.evaluators import EVALUATORS\n"),
    "inside a function": (
        "wmbench/worlds/cases.py",
        "def _planted():\n    from wmbench.harness import runner\n\n    return runner\n",
    ),
    "registry string": ("wmbench/core/registry.py", 'PLANTED = "reference_model.adapter:X"\n'),
    "import_module": (
        "wmbench/models/static.py",
        "import importlib\n\nPLANTED = importlib.import_module('wmbench.report.leaderboard')\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_an_upward_import_planted_in_a_copy_is_found(tmp_path, kind):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("shipped", "__pycache__"))  # fmt: skip
    relative, line = PLANTED[kind]
    planted = tmp_path / relative
    planted.write_text(planted.read_text() + "\n" + line)
    found = upward_imports(project_modules(tmp_path))
    source = module_name(planted, tmp_path) + " "
    assert found and all(line.startswith(source) for line in found), found


def test_the_readme_diagram_is_the_layer_list():
    """``python -m tests.layers`` rewrites it."""
    assert readme_diagram(README.read_text(encoding="utf-8")) == diagram()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_the_line_limit(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]}: {lines} lines"
