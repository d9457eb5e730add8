"""The workspace folder: saved variants, uploads and results that survive reloads and restarts.

Default ``./workspace`` (relative to where the app was started); the environment variable
``SUPPORTSIM_WORKSPACE`` names another folder. Layout: ``scenarios/*.yaml`` (one per saved
variant or upload, the scenario's name inside), ``results/*.csv`` (saved comparisons and
plans) and ``state/*.json`` (the last comparison and plan asked for, so a reload shows them).
Free of Streamlit; tested in ``tests/test_app_logic.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

ENV = "SUPPORTSIM_WORKSPACE"


def folder() -> Path:
    """The workspace folder (not created until something is saved)."""
    return Path(os.environ.get(ENV) or "workspace").resolve()


def _file_stem(name: str) -> str:
    """A safe, unique file name for a display name: a readable slug and a short hash."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "item"
    return f"{slug}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # all or nothing: a crash never leaves half a file


def save_scenario(name: str, yaml_text: str, root: Path | None = None) -> Path:
    """Keep a variant or an upload (its canonical YAML) under its name."""
    path = (root or folder()) / "scenarios" / f"{_file_stem(name)}.yaml"
    _write(path, yaml_text)
    return path


def scenario_files(root: Path | None = None) -> list[Path]:
    """The saved scenario files, oldest first."""
    directory = (root or folder()) / "scenarios"
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.yaml"), key=lambda p: (p.stat().st_mtime, p.name))


def delete_scenario(name: str, root: Path | None = None) -> bool:
    """Forget a saved scenario; False if it was not saved."""
    path = (root or folder()) / "scenarios" / f"{_file_stem(name)}.yaml"
    if path.is_file():
        path.unlink()
        return True
    return False


def save_result(title: str, table: pd.DataFrame, root: Path | None = None) -> Path:
    """Keep a result table (a comparison or a plan) as CSV under its title."""
    path = (root or folder()) / "results" / f"{_file_stem(title)}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, f"# {title}\n" + table.to_csv(index=False))
    return path


def results(root: Path | None = None) -> dict[str, Path]:
    """Saved result titles -> their CSV files, newest first."""
    directory = (root or folder()) / "results"
    if not directory.is_dir():
        return {}
    out = {}
    for path in sorted(directory.glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True):
        with path.open(encoding="utf-8") as handle:
            first = handle.readline().rstrip("\n")
        out[first.removeprefix("# ") if first.startswith("# ") else path.stem] = path
    return out


def read_result(path: Path) -> pd.DataFrame:
    """A saved result table."""
    return pd.read_csv(path, comment=None, skiprows=1)


def delete_result(title: str, root: Path | None = None) -> bool:
    """Forget a saved result; False if there was none under that title."""
    path = results(root).get(title)
    if path is None:
        return False
    path.unlink()
    return True


def save_state(key: str, value: dict[str, Any], root: Path | None = None) -> None:
    """Remember what a page last asked for (JSON)."""
    _write((root or folder()) / "state" / f"{_file_stem(key)}.json", json.dumps(value))


def load_state(key: str, root: Path | None = None) -> dict[str, Any] | None:
    """What a page last asked for, or None (nothing saved, or an unreadable file)."""
    path = (root or folder()) / "state" / f"{_file_stem(key)}.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
