"""``Ticket.row`` gives a ticket's values in the order of ``ROW_DTYPE``'s fields (the ticket
log packs them by position): each field, changed alone, changes its own position only."""

from __future__ import annotations

from supportsim.engine.entities import Ticket
from supportsim.engine.kept import ROW_DTYPE


def _ticket() -> Ticket:
    ticket = Ticket()
    for name in ROW_DTYPE.names or ():
        kind = ROW_DTYPE[name].kind
        setattr(ticket, name, False if kind == "b" else (0.5 if kind == "f" else 3))
    return ticket


def _changed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    return value + 7 if isinstance(value, int) else value * 2.0


def test_row_is_in_row_dtype_order() -> None:
    names = ROW_DTYPE.names or ()
    base = _ticket()
    assert base.row() == tuple(getattr(base, name) for name in names)
    for name in names:
        ticket = _ticket()
        setattr(ticket, name, _changed(getattr(ticket, name)))
        row = ticket.row()
        assert len(row) == len(names)
        for other, value in zip(names, row, strict=True):
            expected = getattr(ticket, other)
            assert type(value) is type(expected) and value == expected, (name, other)
