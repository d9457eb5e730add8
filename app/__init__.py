"""The supportsim Streamlit app (``streamlit run app/main.py``)."""
