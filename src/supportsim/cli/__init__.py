"""The ``supportsim`` command: the root app gathers the command modules (leaves never import it).

``run`` (run, validate, schema), ``compare``, ``planning`` (erlang, staff) and ``calibration``
(fit, backtest), with the helpers they share in ``common``.
"""

from __future__ import annotations

import typer

from supportsim.cli import calibration, compare, forecast, planning, run
from supportsim.cli.common import OneLineErrors

app = typer.Typer(
    cls=OneLineErrors,
    name="supportsim",
    help="Simulate a customer-service operation from a scenario file and report its KPIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "channels:phone:service_level" must not become an emoji
)
for leaf in (run, compare, planning, calibration, forecast):
    app.add_typer(leaf.app)

__all__ = ["app"]
