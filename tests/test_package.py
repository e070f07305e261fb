"""Package-level contracts: public names, version, the console script."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil

import pytest

import actlab

PUBLIC_PACKAGES = [
    "actlab.activations",
    "actlab.nn",
    "actlab.data",
    "actlab.diagnostics",
    "actlab.experiments",
    "actlab.lessons",
    "actlab.playground",
    "actlab.practice",
    "actlab.store",
    "actlab.monitor",
]


def test_version_matches_metadata():
    assert actlab.__version__ == importlib.metadata.version("actlab")


def test_console_script_declared():
    scripts = importlib.metadata.entry_points(group="console_scripts")
    targets = {entry.name: entry.value for entry in scripts}
    assert targets.get("actlab") == "actlab.cli:main"


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_lists_every_public_name(name):
    module = importlib.import_module(name)
    exported = set(module.__all__)
    submodules = {
        info.name for info in pkgutil.iter_modules(getattr(module, "__path__", []))
    }
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and attr not in submodules
        and getattr(value, "__module__", name).startswith("actlab")
        and not isinstance(value, type(importlib))
    }
    assert public <= exported, f"missing from {name}.__all__: {public - exported}"


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    missing = [attr for attr in module.__all__ if not hasattr(module, attr)]
    assert missing == []
