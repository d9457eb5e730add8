"""The import graph of ``src/supportsim`` and the generated part of ``docs/architecture.md``.

Every ``import`` in every module counts, at module level or inside a function; imports under
``if TYPE_CHECKING:`` are kept apart (they never run). ``tests/test_architecture.py`` checks
the layer rules on this graph; this script redraws the diagram of the page:

    .venv/bin/python docs/generate_architecture.py
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PAGE = ROOT / "docs" / "architecture.md"
START, END = "<!-- generated: start -->", "<!-- generated: end -->"

LAYERS = ("scenario", "engine", "results", "planning", "calibration", "forecast", "reports", "cli")
"""The subpackages, lowest first."""

MAY_IMPORT = {
    "scenario": set(),
    "engine": {"scenario"},
    "results": {"scenario", "engine"},
    "planning": {"scenario", "engine", "results"},
    "calibration": {"scenario", "engine", "results"},
    "forecast": {"scenario", "engine", "results", "calibration"},
    "reports": {"scenario", "engine", "results", "planning", "calibration", "forecast"},
    "cli": {"scenario", "engine", "results", "planning", "calibration", "forecast", "reports"},
    "": {"scenario", "engine", "results", "planning", "calibration", "forecast", "reports"},  # supportsim/__init__.py
}
"""Which other subpackages a subpackage's modules may import ("" is the top-level package)."""


@dataclass(frozen=True)
class Import:
    """``source`` (a module) imports ``target`` (a module or package) at ``line``."""

    source: str
    target: str
    names: tuple[str, ...]  # the names taken with ``from target import ...``
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:``


def module_files(src: Path = SRC) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``supportsim`` package."""
    modules = {}
    for path in sorted((src / "supportsim").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    """The imports of one module, each resolved to the module or package it names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, (), node.lineno, node.lineno in type_only))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = tuple(alias.name for alias in node.names)
            # ``from supportsim.engine import replication`` imports the module itself
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
            for target in submodules or [base]:
                found.append(Import(module, target, names, node.lineno, node.lineno in type_only))
    return found


def import_graph(src: Path = SRC) -> list[Import]:
    """Every import, inside the package or not, of every module of ``supportsim``."""
    files = module_files(src)
    return [imp for module, path in files.items() for imp in imports_of(module, path, set(files))]


def layer(module: str) -> str | None:
    """The subpackage of a ``supportsim`` module ("" for the top-level package), else None."""
    parts = module.split(".")
    if parts[0] != "supportsim":
        return None
    return parts[1] if len(parts) > 1 else ""


def layer_edges(src: Path = SRC) -> dict[tuple[str, str], int]:
    """(importing subpackage, imported subpackage) -> number of imports, across subpackages."""
    edges: dict[tuple[str, str], int] = {}
    for imp in import_graph(src):
        a, b = layer(imp.source), layer(imp.target)
        if a is not None and b is not None and a != b and not imp.type_only:
            edges[(a, b)] = edges.get((a, b), 0) + 1
    return edges


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.split("\n\n")[0].split())


def render_generated(src: Path = SRC) -> str:
    """The generated part of the page: the layer diagram and the modules of each layer."""
    lines = [START, "", "```mermaid", "flowchart BT"]
    for name in LAYERS:
        lines.append(f"    {name}[{name}/]")
    for (a, b), count in sorted(layer_edges(src).items()):
        if a:  # the top-level package re-exports every layer; drawn, it would hide the rest
            lines.append(f"    {a} -->|{count}| {b}")
    lines += ["```", "", "| module | what it holds |", "|---|---|"]
    for module, path in module_files(src).items():
        if "." in module:
            lines.append(f"| `{module}` | {_summary(path)} |")
    lines += ["", END]
    return "\n".join(lines)


def render(page: str, src: Path = SRC) -> str:
    """``page`` with its generated part redrawn from the code."""
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + render_generated(src) + tail


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
