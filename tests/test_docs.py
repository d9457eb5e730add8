"""The pages in docs/: generated ones are fresh, hand-written ones match the code."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from scipy import stats

import supportsim
from supportsim.results.comparison import HIGHER_IS_BETTER, LOWER_IS_BETTER
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario
from tests.conftest import ROOT, SCENARIOS

DOCS = ROOT / "docs"


def _load_script(name: str) -> ModuleType:
    """Import ``docs/<name>.py`` (docs/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# --- scenario reference -----------------------------------------------------------------

def test_scenario_reference_is_generated_from_the_current_schema() -> None:
    reference = _load_script("generate_reference")
    committed = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == reference.render(), "stale: run .venv/bin/python docs/generate_reference.py"


def test_scenario_reference_has_a_section_for_every_type_and_a_row_for_every_key() -> None:
    page = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    schema = Scenario.model_json_schema(by_alias=True)
    headings = set(re.findall(r"^#{2,3} (\w+)$", page, flags=re.MULTILINE))
    for name, definition in schema["$defs"].items():
        assert name in headings, f"no section for {name}"
        section = page.split(f" {name}\n", 1)[1].split("\n#", 1)[0]
        for key in definition.get("properties", {}):
            assert f"| `{key}` |" in section, f"{name}.{key} missing from its section"
    for key in schema["properties"]:
        assert f"| `{key}` |" in page


# --- validation page --------------------------------------------------------------------

def _page_tables(text: str) -> dict[str, list[list[str]]]:
    """Rows of each case's table, keyed by the case heading."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:]
            tables[heading] = []
        elif heading and line.startswith("| ") and not line.startswith("| quantity"):
            tables[heading].append([cell.strip() for cell in line.strip("|").split("|")])
    return tables


@pytest.fixture(scope="module")
def validation_run() -> tuple[ModuleType, list[Any], str]:
    """The page's own run (full mode, same seeds): every simulated number on it, fresh (~15 s)."""
    validation = _load_script("generate_validation")
    cases = validation.run(validation.FULL)
    return validation, cases, validation.render(cases, validation.FULL)


def _kind(quantity: str) -> str | None:
    """The KPI a row measures, for the pooled checks (None: not pooled)."""
    if quantity.startswith("ASA"):
        return "asa"
    if quantity.startswith("service level"):
        return "service level"
    if "utilization" in quantity or quantity == "occupancy":
        return "utilization"
    return None


def _pooled_relative_error(rows: list[Any]) -> tuple[float, float]:
    """Inverse-variance weighted mean of ``simulated / exact - 1`` over independent rows, and
    the half-width of its 99.9% interval (Student t on the smallest row's degrees of freedom,
    which is conservative)."""
    relative = np.array([row.mean / row.exact - 1 for row in rows])
    se = np.array([row.values.std(ddof=1) / math.sqrt(row.values.size) / row.exact for row in rows])
    weights = 1 / se**2
    pooled = float((weights * relative).sum() / weights.sum())
    dof = min(row.values.size for row in rows) - 1
    return pooled, float(stats.t.ppf(0.9995, dof) / math.sqrt(weights.sum()))


def test_validation_run_agrees_with_theory(validation_run: tuple[ModuleType, list[Any], str]) -> None:
    _, cases, _ = validation_run
    rows = [row for case in cases for row in case.rows]
    assert len(rows) >= 30
    for case in cases:
        for row in case.rows:
            # the page's own run (10 replications of 4 days): a 99.9% interval per row
            assert row.covers(0.999), (
                f"{case.title}: {row.quantity}: simulated {row.mean:.4g} ± {row.half_width(0.999):.3g}, "
                f"exact {row.exact:.4g}"
            )


@pytest.mark.parametrize("kind", ["asa", "service level", "utilization"])
def test_validation_run_has_no_bias_of_a_few_percent(
    validation_run: tuple[ModuleType, list[Any], str], kind: str
) -> None:
    """Pooled over the independent cases (one row of each kind per case, since rows of one
    case come from the same runs; Little's law reuses case 4's run, so it is left out), the
    relative error of each KPI is zero within its 99.9% interval, and that interval is narrow
    enough that a systematic 10% error in the KPI cannot pass."""
    _, cases, _ = validation_run
    rows = [next(row for row in case.rows if _kind(row.quantity) == kind) for case in cases
            if not case.title.startswith("Little") and any(_kind(row.quantity) == kind for row in case.rows)]
    assert len(rows) >= 5
    pooled, half = _pooled_relative_error(rows)
    assert half <= 0.04, f"{kind}: the check is too weak (± {half:.1%})"
    assert abs(pooled) <= half, f"{kind}: simulated is {pooled:+.2%} off the exact values (± {half:.2%})"


def test_committed_validation_page_is_the_fresh_run(validation_run: tuple[ModuleType, list[Any], str]) -> None:
    _, cases, fresh_text = validation_run
    committed_text = (DOCS / "validation.md").read_text(encoding="utf-8")
    committed, fresh = _page_tables(committed_text), _page_tables(fresh_text)
    assert list(committed) == list(fresh), "cases differ: run .venv/bin/python docs/generate_validation.py"
    for heading in fresh:
        # every cell: the exact values, and the simulated ones (the run is seeded)
        assert committed[heading] == fresh[heading], (
            f"{heading}: stale: run .venv/bin/python docs/generate_validation.py"
        )
    assert committed_text == fresh_text, "stale: run .venv/bin/python docs/generate_validation.py"
    rows = [row for case in cases for row in case.rows]
    inside = sum(row.covers() for row in rows)
    assert inside == sum(row[4] == "yes" for table in fresh.values() for row in table)
    assert f"**{inside} of {len(rows)}**" in committed_text
    assert inside >= 0.8 * len(rows)  # far more misses than the 5% the intervals allow means a bias


# --- metrics page -----------------------------------------------------------------------

def _metric_rows(page: str) -> dict[str, list[str]]:
    """The metric tables of docs/metrics.md: metric name -> its cells."""
    rows = {}
    for line in page.splitlines():
        match = re.match(r"^\| `([a-z_0-9{}]+)` \| (.+) \|$", line)
        if match and match.group(2).count("|") == 2:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


@pytest.fixture(scope="module")
def small_run() -> supportsim.SimulationResult:
    # the chatbot week has every kind of metric: realtime and async channels, automation,
    # escalation tiers, follow-ups, shifts and costs
    data = supportsim.load_scenario(SCENARIOS / "helpdesk_chatbot.yaml").model_dump(by_alias=True, exclude_none=True)
    data["horizon"]["days"] = 1
    return supportsim.simulate(scenario_from_dict(data), seed=0, replications=2)


def test_metrics_page_defines_every_metric_the_engine_reports(small_run: supportsim.SimulationResult) -> None:
    rows = _metric_rows((DOCS / "metrics.md").read_text(encoding="utf-8"))
    summary = small_run.summary
    names = set(summary["overall"])
    for scope in ("channels", "categories", "groups"):
        for metrics in summary[scope].values():
            names |= set(metrics)
    assert len(names) > 30
    for name in names:
        documented = re.sub(r"tier\d+$", "tier{j}", name)
        assert documented in rows, f"metric '{name}' is not defined in docs/metrics.md"
    extra = {name for name in rows if name not in {re.sub(r"tier\d+$", "tier{j}", n) for n in names}}
    assert not extra, f"docs/metrics.md defines metrics the engine does not report: {extra}"


def test_metrics_page_lists_the_columns_of_the_interval_and_ticket_tables(
    small_run: supportsim.SimulationResult,
) -> None:
    page = (DOCS / "metrics.md").read_text(encoding="utf-8")
    intervals = page.split("## The interval table", 1)[1].split("\n## ", 1)[0]
    tickets = page.split("## The ticket table", 1)[1].split("\n## ", 1)[0]
    for column in small_run.intervals.columns:
        if column != "replication":
            assert f"`{column}`" in intervals, f"interval column '{column}' not described"
    for column in small_run.tickets.columns:
        if column != "replication":
            assert f"`{column}`" in tickets, f"ticket column '{column}' not described"


def test_metrics_page_better_column_is_the_direction_compare_uses() -> None:
    rows = _metric_rows((DOCS / "metrics.md").read_text(encoding="utf-8"))
    for name, (_scope, _definition, better) in rows.items():
        expected = "lower" if name in LOWER_IS_BETTER else "higher" if name in HIGHER_IS_BETTER else "—"
        assert better == expected, f"{name}: page says '{better}', compare uses '{expected}'"


def test_readme_metrics_are_all_in_the_metrics_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    rows = _metric_rows((DOCS / "metrics.md").read_text(encoding="utf-8"))
    named = {m for line in table.splitlines() if line.startswith("| `")
             for m in re.findall(r"`([a-z][a-z_0-9{}]*)`", line.split("|")[1])}
    assert len(named) > 25
    assert named <= set(rows), f"in README but not in docs/metrics.md: {named - set(rows)}"


# --- links ------------------------------------------------------------------------------

def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings of a Markdown page."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_in_docs_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        target, _, anchor = link.partition("#")
        path = (DOCS / target) if target else DOCS / page
        assert path.exists(), f"{page}: broken link {link}"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path.read_text(encoding="utf-8")), f"{page}: no anchor {link}"
