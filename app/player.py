"""The trainer's player: every frame of the day pre-drawn, animated in the browser.

Play shows the intervals one after another (``FRAME_MS`` per frame, 6 frames a second), Pause
stops, the scrubber jumps to any frame and follows while playing. Runs without a server round
trip, so the frame rate does not depend on the simulation.
"""

from __future__ import annotations

import json

FRAME_MS = 160

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Helvetica,Arial,sans-serif;background:transparent}
#bar{display:flex;align-items:center;gap:14px;margin:0 0 6px 0}
#play{font-size:17px;padding:5px 16px;border-radius:8px;border:1px solid #90a4ae;background:#fff;cursor:pointer;
min-width:104px}
#scrub{flex:1;height:24px}
#label{font-size:18px;font-weight:bold;min-width:150px;text-align:right}
</style></head><body>
<div id="bar"><button id="play" type="button">&#9654; Play</button>
<input id="scrub" type="range" min="0" max="__LAST__" value="0" step="1" aria-label="time of day">
<span id="label"></span></div>
<div id="stage"></div>
<script>
const frames = __FRAMES__;
const labels = __LABELS__;
const key = __KEY__;
const play = document.getElementById("play"), scrub = document.getElementById("scrub");
const stage = document.getElementById("stage"), label = document.getElementById("label");
let current = 0, timer = null;
function show(k) {
  current = k; stage.innerHTML = frames[k]; scrub.value = String(k); label.textContent = labels[k];
  document.body.dataset.frame = String(k);
  try { window.localStorage.setItem(key, String(k)); } catch (e) {}
}
function stop() { if (timer) { clearInterval(timer); timer = null; } play.innerHTML = "&#9654; Play"; }
play.addEventListener("click", () => {
  if (timer) { stop(); return; }
  if (current >= frames.length - 1) { show(1); }
  play.innerHTML = "&#10074;&#10074; Pause";
  timer = setInterval(() => { if (current >= frames.length - 1) { stop(); } else { show(current + 1); } }, __MS__);
});
scrub.addEventListener("input", () => show(Number(scrub.value)));
let start = 0;
try { start = Number(window.localStorage.getItem(key) || 0); } catch (e) {}
show(start >= 0 && start < frames.length ? start : 0);
</script></body></html>"""


def player_html(frames_svg: list[str], labels: list[str], key: str) -> str:
    """The player's page: ``frames_svg[0]`` is the whole day, the rest the intervals in order;
    ``key`` names where the browser keeps the frame shown (so a slider change keeps the time).
    """
    return (
        _PAGE.replace("__FRAMES__", json.dumps(frames_svg))
        .replace("__LABELS__", json.dumps(labels))
        .replace("__KEY__", json.dumps(key))
        .replace("__LAST__", str(len(frames_svg) - 1))
        .replace("__MS__", str(FRAME_MS))
    )
