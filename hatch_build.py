"""Build hook: compile the engine's per-event modules with mypyc where this machine can.

Which modules, where their compiled files go and how the package chooses between them and
their Python sources at import is in ``src/supportsim/engine/compiled.py``. Without a C
compiler, when mypyc fails, or with ``SUPPORTSIM_COMPILE=0``, the package installs as pure
Python (the reference) and records why, which ``supportsim.engine.engine_build()`` says. An
editable install compiles into ``src/supportsim/engine/_mypyc`` (ignored by git), and only
when a source changed since the last build.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ENGINE = Path("supportsim", "engine")
SETUP = """
from setuptools import setup
from mypyc.build import mypycify

flags = ["--ignore-missing-imports", "--follow-imports=silent"]
setup(name="{group}", ext_modules=mypycify(flags + {files!r}, opt_level="3", group_name="{group}"))
"""


def _load_compiled(src: Path) -> Any:
    """``engine/compiled.py`` of ``src``, loaded by path (it needs only the standard library)."""
    spec = importlib.util.spec_from_file_location("_supportsim_compiled", src / ENGINE / "compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def c_compiler() -> str | None:
    """The C compiler setuptools would use, if this machine has it."""
    name = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(name)


def _compile(compiled: Any, src: Path, into: Path) -> list[Path]:
    """Compile ``compiled.COMPILED`` from a copy of ``src/supportsim`` in ``into``; returns the
    compiled files, in ``into``. Raises ``RuntimeError`` with the reason when it cannot.
    """
    if c_compiler() is None:
        raise RuntimeError("no C compiler found")
    skip = shutil.ignore_patterns("__pycache__", compiled.FOLDER)
    shutil.copytree(src / "supportsim", into / "supportsim", ignore=skip)
    files = [str(ENGINE / f"{name}.py") for name in compiled.COMPILED]
    (into / "setup.py").write_text(SETUP.format(group=compiled.GROUP.removesuffix("__mypyc"), files=files))
    done = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=into, capture_output=True, text=True, errors="replace", check=False,
    )  # fmt: skip
    ext = compiled.EXTENSION
    built = [into / ENGINE / f"{name}{ext}" for name in compiled.COMPILED] + [into / f"{compiled.GROUP}{ext}"]
    if done.returncode != 0 or not all(path.is_file() for path in built):
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError("mypyc failed: " + " | ".join(tail))
    return built


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles the engine for wheels and editable installs; falls back to pure Python."""

    _temp: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        src = Path(self.root) / "src"
        compiled = _load_compiled(src)
        folder = src / ENGINE / compiled.FOLDER
        editable = version == "editable"
        if editable and compiled.build_state(src / ENGINE, environ={}).startswith("compiled"):
            self.app.display_info("supportsim: the compiled engine is up to date")
            build_data["pure_python"], build_data["infer_tag"] = False, True
            return
        self._temp = Path(tempfile.mkdtemp(prefix="supportsim-mypyc-"))
        try:
            if os.environ.get("SUPPORTSIM_COMPILE", "1") == "0":
                raise RuntimeError("SUPPORTSIM_COMPILE=0")
            built = _compile(compiled, src, self._temp)
            manifest: dict[str, Any] = compiled.manifest_for(src / ENGINE)
            build_data["pure_python"], build_data["infer_tag"] = False, True
        except (RuntimeError, OSError) as error:
            built, manifest = [], {"error": str(error)}
            self.app.display_warning(f"supportsim: the engine stays pure Python ({error})")
        (self._temp / compiled.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        built.append(self._temp / compiled.MANIFEST)  # last: a manifest says the files are there
        if editable:
            _replace_folder(folder, built)
        else:
            for path in built:
                build_data["force_include"][str(path)] = (ENGINE / compiled.FOLDER / path.name).as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)


def _replace_folder(folder: Path, files: list[Path]) -> None:
    """Make ``folder`` hold exactly ``files`` (copied in order), never truncating a file a
    running process may have loaded: each is written under a new name and renamed.
    """
    folder.mkdir(exist_ok=True)
    keep = {path.name for path in files}
    for old in folder.iterdir():
        if old.name not in keep:
            old.unlink()
    for path in files:
        fresh = folder / f".{path.name}.new"
        shutil.copy2(path, fresh)
        os.replace(fresh, folder / path.name)
