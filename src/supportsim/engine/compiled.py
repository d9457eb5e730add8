"""Which engine runs: the modules the build compiled with mypyc, or their Python sources.

Where the machine has a C compiler, the install compiles the modules of :data:`COMPILED`
(``hatch_build.py``) and writes :data:`MANIFEST` beside them: the SHA-256 of each source it
compiled. The compiled modules run only while every source still has that hash; after an
edit, with ``SUPPORTSIM_PURE_PYTHON=1``, or with no build, every one of them is imported from
its ``.py`` file instead (all or none: a compiled class cannot extend an interpreted one).
Importing this module makes that choice, so ``supportsim.engine`` imports it first.
The Python sources are the reference: both give the same numbers to the bit
(``tests/test_compiled.py``).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED", "GROUP", "MANIFEST", "PURE_PYTHON", "engine_build", "source_hashes"]

COMPILED = ("calls", "entities", "levels", "choice", "duty", "dispatch", "records", "simulation", "plain")
"""Modules of ``supportsim.engine`` compiled where a C compiler is found: the event handlers
and what they touch per event (the rest runs once a day or once a run)."""

GROUP = "supportsim_engine"
"""mypyc's name for the shared library of the compiled modules (``supportsim_engine__mypyc``,
a top-level module beside the ``supportsim`` package)."""

MANIFEST = "compiled.json"
"""Written by the build beside the compiled modules: ``{"sources": {module: sha256}}``."""

PURE_PYTHON = "SUPPORTSIM_PURE_PYTHON"
"""Environment variable: ``1`` runs the Python sources even where compiled modules exist."""

HERE = Path(__file__).resolve().parent


def source_hashes(folder: Path = HERE) -> dict[str, str]:
    """SHA-256 of each compiled module's source in ``folder``."""
    return {name: hashlib.sha256((folder / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}


def _has_extension(name: str) -> bool:
    return any((HERE / f"{name}{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _build_state() -> str:
    """Why the compiled modules run or not (the text of :func:`engine_build`)."""
    if os.environ.get(PURE_PYTHON, "") not in ("", "0"):
        return f"Python sources ({PURE_PYTHON} is set)"
    manifest = HERE / MANIFEST
    built = all(_has_extension(name) for name in COMPILED) and importlib.util.find_spec(f"{GROUP}__mypyc")
    if not manifest.is_file() or not built:
        return "Python sources (not compiled: the install found no C compiler or mypyc failed)"
    try:
        built = json.loads(manifest.read_text())["sources"]
    except (ValueError, KeyError, TypeError):
        return f"Python sources ({MANIFEST} unreadable: reinstall to compile again)"
    if built != source_hashes():
        return "Python sources (edited since the build: reinstall, e.g. `make install`, to compile them)"
    return "compiled (mypyc)"


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the modules of :data:`COMPILED` as their ``.py`` files, before the compiled ones."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != __package__ or name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


_STATE = _build_state()


def engine_build() -> str:
    """Which engine this process runs: ``"compiled (mypyc)"`` or ``"Python sources (why)"``."""
    return _STATE


if not _STATE.startswith("compiled") and not any(isinstance(f, _Sources) for f in sys.meta_path):
    sys.meta_path.insert(0, _Sources())
