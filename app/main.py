"""supportsim app: scenario editor, comparison, staffing planner and trainer mode.

Run from the repository root: ``.venv/bin/streamlit run app/main.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that ``app.logic`` imports whatever the working directory
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="supportsim", page_icon=":material/support_agent:", layout="wide")

# less empty space above each page, so a projector at 1280x800 shows the controls and the diagram together
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:4.2rem;padding-bottom:2rem}</style>")

PAGES = [
    st.Page("views/scenarios.py", title="Scenarios", icon=":material/edit_note:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/staffing.py", title="Staffing", icon=":material/groups:"),
    st.Page("views/forecast.py", title="Forecast", icon=":material/insights:"),
    st.Page("views/trainer.py", title="Trainer", icon=":material/school:"),
]
st.navigation(PAGES, position="top").run()  # the whole width for the pages (projector, 1280 px)
