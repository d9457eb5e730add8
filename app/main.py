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

PAGES = [
    st.Page("views/scenarios.py", title="Scenarios", icon=":material/edit_note:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/staffing.py", title="Staffing", icon=":material/groups:"),
    st.Page("views/trainer.py", title="Trainer", icon=":material/school:"),
]
st.navigation(PAGES).run()
