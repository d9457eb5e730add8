"""The package's shape: layers that import one way, no cycles, small modules and functions,
and a public API that the app, the notebooks and docs/api.md agree on."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import supportsim
from tests.conftest import ROOT

SRC = ROOT / "src"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
ONE_PIECE = "# one piece:"  # a comment with this, inside a longer function, says why it is one


def _load_script(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


architecture = _load_script("generate_architecture")


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if ".ipynb_checkpoints" not in p.parts)


# --- layers ------------------------------------------------------------------------------


def test_every_import_follows_the_layer_order() -> None:
    wrong = []
    for imp in architecture.import_graph():
        a, b = architecture.layer(imp.source), architecture.layer(imp.target)
        if a is None or b is None or a == b:
            continue
        if b not in architecture.MAY_IMPORT[a]:
            wrong.append(f"{imp.source}:{imp.line} imports {imp.target} ({a or 'supportsim'} -> {b or 'supportsim'})")
    assert not wrong, (
        "imports against scenario <- engine <- results <- planning/calibration <- reports <- cli:\n" + "\n".join(wrong)
    )


def test_the_layer_rules_are_a_strict_order() -> None:
    """Planning and calibration never import each other, and no two layers may import each other."""
    allowed = architecture.MAY_IMPORT
    for a, targets in allowed.items():
        for b in targets:
            assert a not in allowed.get(b, set()), f"{a} and {b} may import each other"
    assert "calibration" not in allowed["planning"] and "planning" not in allowed["calibration"]


def test_no_import_cycle_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for imp in architecture.import_graph():
        if architecture.layer(imp.target) is not None and not imp.type_only and imp.target != imp.source:
            graph.setdefault(imp.source, set()).add(imp.target)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ re-exporting its own modules is not a cycle; a module
            # importing its own package (``from supportsim.engine import x`` inside engine/) is
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [*path, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_nothing_in_src_imports_the_app() -> None:
    offenders = [f"{i.source}:{i.line}" for i in architecture.import_graph() if i.target.split(".")[0] == "app"]
    assert not offenders


def test_no_private_name_is_imported_across_modules() -> None:
    offenders = []
    for path in python_files("src", "app", "tests", "notebooks", "docs", "benchmarks"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("supportsim"):
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {a.name}" for a in node.names if a.name.startswith("_")
                ]
    assert not offenders, "private names imported from another module:\n" + "\n".join(offenders)


# --- sizes -------------------------------------------------------------------------------


def test_no_module_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in python_files("src", "app")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_80_lines_unless_it_says_why() -> None:
    long = []
    for path in python_files("src", "app"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = lines[node.lineno - 1 : node.end_lineno]
                if len(body) > MAX_FUNCTION_LINES and not any(ONE_PIECE in line for line in body):
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({len(body)} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines without a '{ONE_PIECE}' comment:\n" + "\n".join(long)


HEAVY_LIBRARIES = ("scipy.stats", "scipy.optimize", "scipy.sparse", "statsmodels", "statsforecast", "ortools",
                   "dask", "distributed", "streamlit", "openpyxl")


def test_importing_the_package_and_its_cli_leaves_the_heavy_libraries_unloaded() -> None:
    """They load when first used: every command's start, and every helper's fork, stays light
    (``scipy.stats`` and ``scipy.optimize`` at import cost 0.4 s and 45 MB)."""
    probe = f"import sys, supportsim, supportsim.cli; print([m for m in {HEAVY_LIBRARIES!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]", f"loaded by import supportsim: {done.stdout.strip()}"


# --- the public API ----------------------------------------------------------------------

SUBPACKAGES = [f"supportsim.{name}" for name in architecture.LAYERS if name != "cli"]


@pytest.mark.parametrize("package", ["supportsim", *SUBPACKAGES, "supportsim.cli"])
def test_every_public_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} has no __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing
    assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice"


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_no_module_is_named_like_a_public_name_of_its_package(package: str) -> None:
    """``supportsim.results.simulate`` must not be both a module and a function."""
    module = importlib.import_module(package)
    folder = Path(module.__file__ or "").parent
    clashes = sorted({p.stem for p in folder.glob("*.py")} & set(module.__all__))
    assert not clashes


def _supportsim_names(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every use of supportsim in a file: ``from supportsim[.x] import name`` gives
    ``supportsim[.x]:name``, ``supportsim.name`` gives ``supportsim:name``."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "supportsim":
            uses += [(node.lineno, f"{node.module}:{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            uses += [
                (node.lineno, f"{a.name}:")
                for a in node.names
                if a.name.split(".")[0] == "supportsim" and a.name != "supportsim"
            ]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "supportsim":
            uses.append((node.lineno, f"supportsim:{node.attr}"))
    return uses


@pytest.mark.parametrize("folder", ["app", "notebooks"])
def test_app_and_notebooks_use_only_the_public_api(folder: str) -> None:
    public = set(supportsim.__all__)
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {use}"
        for path in python_files(folder)
        for line, use in _supportsim_names(path)
        if not (use.startswith("supportsim:") and use.split(":")[1] in public | {"__version__"})
    ]
    assert not offenders, "not in supportsim.__all__:\n" + "\n".join(offenders)


def test_the_api_page_lists_exactly_the_public_names() -> None:
    generate_api = _load_script("generate_api")
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == generate_api.render(), "stale: run .venv/bin/python docs/generate_api.py"
    for package in ["supportsim", *SUBPACKAGES]:
        section = committed.split(f"\n## `{package}`\n", 1)[1].split("\n## ", 1)[0]
        listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
        assert listed == set(importlib.import_module(package).__all__), package


def test_the_architecture_page_is_generated_from_the_code() -> None:
    committed = architecture.PAGE.read_text(encoding="utf-8")
    assert committed == architecture.render(committed), "stale: run .venv/bin/python docs/generate_architecture.py"


def test_planted_layer_violation_is_found(tmp_path: Path) -> None:
    """The walker sees imports inside functions and relative imports, so the rules above bite."""
    package = tmp_path / "supportsim"
    (package / "scenario").mkdir(parents=True)
    (package / "engine").mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine" / "__init__.py").write_text("")
    (package / "engine" / "core.py").write_text("")
    (package / "scenario" / "__init__.py").write_text("")
    (package / "scenario" / "model.py").write_text("def f():\n    from ..engine import core\n")
    found = architecture.import_graph(tmp_path)
    assert [(i.source, i.target) for i in found] == [("supportsim.scenario.model", "supportsim.engine.core")]


def test_every_test_file_has_a_kind_in_the_test_count_page() -> None:
    counts = _load_script("generate_test_counts")
    missing = [p.name for p in sorted((ROOT / "tests").glob("test_*.py")) if counts.kind_of(p.stem) is None]
    assert not missing, f"add these to KINDS in docs/generate_test_counts.py: {missing}"
