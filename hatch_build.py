"""Build hook: compile the engine's per-event modules with mypyc where this machine can.

Which modules, and how the package chooses between them and their Python sources at import,
is in ``src/supportsim/engine/compiled.py``. Without a C compiler, when mypyc fails, or with
``SUPPORTSIM_COMPILE=0``, the package installs as pure Python (the reference) and
``supportsim.engine.engine_build()`` says why. An editable install compiles in place (into
``src/``, ignored by git) and only when a source changed since the last build.
"""

from __future__ import annotations

import ast
import hashlib
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

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src"
ENGINE = Path("supportsim", "engine")
EXT = sysconfig.get_config_var("EXT_SUFFIX")


def _constant(name: str) -> Any:
    """A constant of ``engine/compiled.py``, read without importing it (or its dependencies)."""
    tree = ast.parse((SRC / ENGINE / "compiled.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"engine/compiled.py has no {name}")


COMPILED: list[str] = list(_constant("COMPILED"))
GROUP: str = _constant("GROUP")
MANIFEST: str = _constant("MANIFEST")
SETUP = """
from setuptools import setup
from mypyc.build import mypycify

flags = ["--ignore-missing-imports", "--follow-imports=silent"]
setup(name="{group}", ext_modules=mypycify(flags + {files!r}, opt_level="3", group_name="{group}"))
"""


def _outputs() -> list[Path]:
    """The files a build leaves, relative to ``src/``."""
    return [ENGINE / f"{name}{EXT}" for name in COMPILED] + [Path(f"{GROUP}__mypyc{EXT}")]


def _manifest(folder: Path) -> str:
    """What the build writes to :data:`MANIFEST`: the SHA-256 of each source in ``folder``."""
    sources = {name: hashlib.sha256((folder / ENGINE / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}
    return json.dumps({"sources": sources}, indent=1) + "\n"


def _compile(into: Path) -> None:
    """Compile :data:`COMPILED` from a copy of ``src/supportsim`` in ``into`` (raises on failure)."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        raise RuntimeError(f"no C compiler ({compiler} not found)")
    shutil.copytree(
        SRC / "supportsim", into / "supportsim", ignore=shutil.ignore_patterns("__pycache__", "*.so", MANIFEST)
    )
    files = [str(ENGINE / f"{name}.py") for name in COMPILED]
    (into / "setup.py").write_text(SETUP.format(group=GROUP, files=files))
    done = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"], cwd=into, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError("mypyc failed: " + " | ".join(tail))
    (into / ENGINE / MANIFEST).write_text(_manifest(into))


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles :data:`COMPILED` for wheels and editable installs; falls back to pure Python."""

    _temp: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        editable = version == "editable"
        built = [*_outputs(), ENGINE / MANIFEST]
        if os.environ.get("SUPPORTSIM_COMPILE", "1") == "0":
            self._pure(editable, built, "SUPPORTSIM_COMPILE=0")
            return
        manifest = SRC / ENGINE / MANIFEST
        current = all((SRC / path).is_file() for path in built) and manifest.read_text() == _manifest(SRC)
        if editable and current:
            self.app.display_info("supportsim: the compiled engine is up to date")
        else:
            self._temp = Path(tempfile.mkdtemp(prefix="supportsim-mypyc-"))
            try:
                _compile(self._temp)
            except (RuntimeError, OSError) as error:
                self._pure(editable, built, str(error))
                return
            for path in built:
                if editable:
                    shutil.copy2(self._temp / path, SRC / path)
                else:
                    build_data["force_include"][str(self._temp / path)] = path.as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def _pure(self, editable: bool, built: list[Path], why: str) -> None:
        """Leave the package pure Python: no compiled module of an earlier editable build stays."""
        if editable:
            for path in built:
                (SRC / path).unlink(missing_ok=True)
        self.app.display_warning(f"supportsim: the engine stays pure Python ({why})")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
