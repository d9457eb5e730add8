"""The suite's report: what was measured, then one table per case with its verdict."""

from __future__ import annotations

from typing import Any

import cases

COLUMNS = (
    f"  {'engine':<19} {'size':<34} {'tickets':>11} {'wall s':>8} {'cpu s':>8} {'tickets/s':>10} "
    f"{'peak MB':>8} {'base MB':>8}  {'mean wait s (95% CI)':<20}"
)


def _fmt_wait(e: dict[str, Any]) -> str:
    if e["mean_wait_s"] is None:
        return ""
    half = e["mean_wait_ci95_s"]
    return f"{e['mean_wait_s']:6.1f}" + (f" ± {half:4.1f}" if half is not None else "       ")


def _short(x: Any) -> str:
    return f"{x:,.3g}" if isinstance(x, float) else str(x)


def _header(m: dict[str, Any]) -> None:
    print(
        f"supportsim benchmarks  {m['date']}  git {m['git']}  {m['cpus']} CPUs  "
        f"Python {m['python']}  repeats {m['repeats']}{'  (--quick)' if m['quick'] else ''}"
    )
    print(f"supportsim imported from {m['supportsim_path']}")
    if m["src_changes"] and m["supportsim_path"].startswith(str(cases.ROOT)):
        print(f"uncommitted changes under src/: {', '.join(m['src_changes'])}")
    changed = m["engine_sha256_after"] != m["engine_sha256"]
    print(
        f"engine sha256 {m['engine_sha256']}"
        + (f" -> {m['engine_sha256_after']}: CHANGED DURING THE RUN" if changed else "")
        + f", {m.get('engine_build', '?')}"
    )
    print(
        f"load average before {m['load_before']}, after {m['load_after']}: figures are medians "
        "of wall-clock runs and move with machine load; ratios are paired per repeat."
    )


def _table(entry: dict[str, Any]) -> None:
    print(COLUMNS)
    for r in entry["results"]:
        for engine, e in r["engines"].items():
            print(
                f"  {engine:<19} {r['label']:<34} {e['tickets']:>11,} {e['wall_s']:>8.3f} "
                f"{e['cpu_s']:>8.3f} {e['tickets_per_s']:>10,.0f} {e['peak_rss_mb']:>8.0f} "
                f"{e['rss_before_mb']:>8.0f}  {_fmt_wait(e)}"
            )
        for name, ratio in r["ratios"].items():
            print(
                f"  ratio {name:<28} tickets/s  median {ratio['median']:.2f}x "
                f"(range {ratio['min']:.2f}-{ratio['max']:.2f} "
                f"over {len(ratio['per_repeat'])} repeats; on CPU time {ratio['cpu_median']:.2f}x)"
            )


def _erlang(entry: dict[str, Any]) -> None:
    """Case 1: each engine's mean wait against Erlang C, in standard errors."""
    erlang = entry["erlang_c_asa_s"]
    print(f"  Erlang C mean wait (all arrivals answered): {erlang:.1f} s")
    for engine, e in entry["results"][-1]["engines"].items():
        if e["mean_wait_s"] is not None and e["mean_wait_ci95_s"]:
            z = (e["mean_wait_s"] - erlang) / (e["mean_wait_ci95_s"] / 1.96)
            print(
                f"    {engine:<19} {e['mean_wait_s']:6.1f} s, {z:+.1f} standard errors from "
                "Erlang C (over the repeats' means)"
            )


def _extrapolation(entry: dict[str, Any]) -> None:
    """Case 4: the size of the target, measured or extrapolated."""
    ex = entry["extrapolation"]
    if ex["measured_at_target"]:
        print(f"  {ex['to_tickets']:,} tickets measured directly (last row).")
    elif ex["peak_rss_mb"]:
        pm, pw = ex["peak_rss_mb"], ex["wall_s"]
        print(
            f"  EXTRAPOLATED (straight line through the sizes above) to {ex['to_tickets']:,} "
            f"tickets: peak RSS ≈ {pm['value']:,.0f} MB ({pm['slope'] * 1024 * 1024:,.0f} "
            f"bytes/ticket + {pm['intercept']:,.0f} MB), wall ≈ {pw['value']:,.0f} s"
        )
    else:
        print(f"  one size only: nothing to extrapolate to {ex['to_tickets']:,} tickets")


def report(out: dict[str, Any]) -> None:
    """Print the suite's figures (``run_suite``'s output) for a reader."""
    _header(out["meta"])
    for key, entry in out["cases"].items():
        print()
        print(f"Case {entry['number']}: {entry['title']}")
        print(f"  target: {entry['target']}")
        _table(entry)
        if key == "mmc":
            _erlang(entry)
            share = entry["results"][-1].get("table_share")
            if share:
                print(
                    f"  ticket table share of the default call (1 - t_off / t_on, paired): median "
                    f"{share['median']:.1%} (range {share['min']:.1%} to {share['max']:.1%}; on CPU time "
                    f"{share['cpu_median']:.1%})"
                )
        if key == "memory":
            _extrapolation(entry)
        v = entry["verdict"]
        figures = ", ".join(f"{k}={_short(x)}" for k, x in v.items() if k != "met")
        print(f"  verdict: {'met' if v['met'] else 'NOT met'}  {figures}")
