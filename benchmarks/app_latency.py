"""Trainer slider latency in a real browser: slider move to updated diagram (issue 19: median <= 0.3 s).

Starts ``streamlit run app/main.py`` on a free port (a throw-away workspace), opens the Trainer
page in Chromium at 1280x800 and moves the "People in that group" slider one step at a time
(``--moves`` steps down from today's headcount, every step a staffing not simulated before, so
no step is a cache hit), then the bot slider the same way. For each move it times, from the
key press:

* ``sent``: until the browser sends the new value to the server (the slider's own delay);
* ``arrived``: until the server's message carrying the new diagram reaches the browser (so
  ``diagram - arrived`` is the browser's drawing, ``arrived - sent`` the server's run);
* ``diagram``: until the diagram's frame is a new document showing the new staffing's flow.

Prints each move and the median and max per slider; ``--json PATH`` also writes them. The
figures move with machine load: rerun on a quiet machine before reading anything into them.

    .venv/bin/python benchmarks/app_latency.py --moves 12
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright import sync_api

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
_FRESH = """() => {
  const f = document.querySelector('iframe');
  const d = f && f.contentDocument;
  return !!(d && d.body && !d.body.dataset.benchOld && d.querySelector('svg[data-frame]'));
}"""
_MARK = """() => { const d = document.querySelector('iframe').contentDocument; d.body.dataset.benchOld = '1'; }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(workspace: str, root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "streamlit"), "run", "app/main.py", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=root, env={**os.environ, "SUPPORTSIM_WORKSPACE": workspace},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("streamlit did not start within 60 s")


def _idle(page: sync_api.Page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=120_000)


def _measure(
    page: sync_api.Page, label: str, key: str, moves: int, sent_at: list[float], got_at: list[float]
) -> dict[str, object]:
    """Press ``key`` on the slider labelled ``label`` ``moves`` times; time each move."""
    rows = []
    for _ in range(moves):
        _idle(page)
        page.wait_for_timeout(400)
        page.evaluate(_MARK)
        slider = page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")
        slider.focus()
        sent_at.clear()
        got_at.clear()
        began = time.perf_counter()
        slider.press(key)
        page.wait_for_function(_FRESH, polling="raf", timeout=60_000)
        done = time.perf_counter()
        caption = page.get_by_text(re.compile(r"simulated in [\d.]+ s")).first.inner_text()
        simulated = float(re.search(r"simulated in ([\d.]+) s", caption).group(1))  # type: ignore[union-attr]
        rows.append({"simulated_s": simulated, "sent_s": (sent_at[0] - began) if sent_at else float("nan"),
                     "arrived_s": (got_at[0] - began) if got_at else float("nan"), "diagram_s": done - began})
        print(f"{label}: sent after {rows[-1]['sent_s']:.3f} s, arrived after {rows[-1]['arrived_s']:.3f} s, "
              f"diagram after {rows[-1]['diagram_s']:.3f} s (simulation and frames {simulated:.2f} s)", flush=True)
    diagram = [r["diagram_s"] for r in rows]
    out = {"moves": rows, "median_s": statistics.median(diagram), "max_s": max(diagram),
           "median_sent_s": statistics.median(r["sent_s"] for r in rows),
           "median_arrived_s": statistics.median(r["arrived_s"] for r in rows),
           "median_simulated_s": statistics.median(r["simulated_s"] for r in rows)}
    print(f"{label}: median {out['median_s']:.3f} s, max {out['max_s']:.3f} s over {len(rows)} moves "
          f"(medians: value sent after {out['median_sent_s']:.3f} s, new diagram received after "
          f"{out['median_arrived_s']:.3f} s, of which simulation and frames {out['median_simulated_s']:.2f} s)",
          flush=True)
    return out


def main() -> None:
    """Measure and print (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12, help="moves per slider (at least 10 for a median)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="folder holding app/ and scenarios/ to serve (e.g. a copy of another version, to compare)")
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as workspace, tempfile.TemporaryDirectory() as profile:
        process, url = _serve(workspace, args.root)
        try:
            with sync_api.sync_playwright() as p:
                context = p.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, headless=True, viewport={"width": 1280, "height": 800},
                    args=["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"])
                page = context.new_page()
                sent_at: list[float] = []
                got_at: list[float] = []

                def watch(ws: sync_api.WebSocket) -> None:
                    ws.on("framesent", lambda _: sent_at.append(time.perf_counter()))
                    ws.on("framereceived", lambda payload: got_at.append(time.perf_counter())
                          if b"data-frame" in (payload if isinstance(payload, bytes) else payload.encode()) else None)

                page.on("websocket", watch)
                page.goto(f"{url}/trainer")
                page.wait_for_selector("iframe")
                _idle(page)
                for label, key in (("People in that group", "ArrowLeft"), ("Bot resolves", "ArrowRight")):
                    figures[label] = _measure(page, label, key, args.moves, sent_at, got_at)
                context.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
