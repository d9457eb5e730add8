"""The hostile-input corpus: files and command lines a hostile user would try (``corpus.py``)."""
