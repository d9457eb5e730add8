"""``python -m supportsim.cli``: the same as the ``supportsim`` command."""

from supportsim.cli import app

app()
