"""The package as installed: every third-party import is declared in pyproject.toml, the data it
reads ships inside it (importlib.resources), `wmbench list` imports no torch, and a command
whose optional package is missing says which extra installs it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from wmbench.cli import main
from wmbench.core.paths import shipped

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("wmbench", "pose_pipeline", "reference_model")
# imported inside a function with its own clear error, and not on PyPI (a git install)
UNPUBLISHED = {"pi3"}


def _third_party_imports() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.partition(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.partition(".")[0])
    return found - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += extra
    names = {Requirement(r).name.lower().replace("_", "-") for r in requirements}
    return names - {"wmbench"}


def test_every_third_party_import_is_declared():
    providers = packages_distributions()
    declared = _declared()
    undeclared = {
        module: providers.get(module)
        for module in _third_party_imports() - UNPUBLISHED
        if not {d.lower().replace("_", "-") for d in providers.get(module, [])} & declared
    }
    assert undeclared == {}


def test_shipped_data_is_package_data():
    """Suites, thresholds, the published numbers and the annotator floor are found through
    importlib.resources, and pyproject.toml ships each of them in the wheel."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["wmbench"]
    for name, pattern in (
        ("suites", "shipped/suites/*.yaml"),
        ("suites/thresholds", "shipped/suites/thresholds/*.yaml"),
        ("reported", "shipped/reported/*.yaml"),
    ):
        assert pattern in patterns and list(shipped(name).glob("*.yaml")), name
    assert "shipped/pose_floor.json" in patterns and shipped("pose_floor.json").is_file()
    assert "training/configs/*.yaml" in data["package-data"]["reference_model"]


def test_list_imports_no_torch():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['wmbench', 'list']\n"
        "try:\n    runpy.run_module('wmbench', run_name='__main__')\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'cv2', 'pandas') if m in sys.modules))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300, check=True)  # fmt: skip
    assert "smoke" in done.stdout and "oracle" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_data_fetch_without_huggingface_hub_names_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails as when absent
    assert main(["data", "fetch", "--dest", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "huggingface_hub" in error and "pip install 'wmbench[data]'" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("name", ["smoke", "one_minute"])
def test_a_shipped_suite_reads_from_the_package(name):
    from wmbench.data.suites import read_suite_file

    assert read_suite_file(name).path.parent == shipped("suites")
