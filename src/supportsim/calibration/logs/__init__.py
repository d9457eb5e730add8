"""Reading contact logs: one tidy contact table, and a report of the rows not usable as they stand.

Three formats are read, one module each:

- ``anonymous_bank``: the Anonymous Bank call-centre log (Technion SEE lab; tab-separated,
  one row per call, times of day ``H:MM:SS`` and a ``yymmdd`` date).
- ``servicenow``: the ServiceNow incident event log (one row per update of an incident;
  a contact is an incident).
- ``generic_csv``: any CSV with a :class:`ColumnMap` saying which column holds what.

The shared pieces: ``contacts`` (:class:`ContactLog`, the table's columns
:data:`CONTACT_COLUMNS`, :class:`LogError`), ``column_map``, ``problems`` (bad rows),
``parsing`` (cells to times and numbers), ``formats`` (:func:`read_log`).

Problems are never silent. A row that cannot be a contact (a phantom call, no arrival time)
is left out of the table; a row with one bad field (a negative duration, a missing
timestamp) stays, with that field unknown. Both kinds are listed in
:attr:`ContactLog.problems`. A file that cannot be read as the format says (missing column,
unparseable time, empty file) raises :class:`LogError` naming the file and the column or line.
"""

from supportsim.calibration.logs.anonymous_bank import read_anonymous_bank
from supportsim.calibration.logs.column_map import ColumnMap
from supportsim.calibration.logs.contacts import CONTACT_COLUMNS, OUTCOMES, ContactLog, LogError, count_problems
from supportsim.calibration.logs.formats import FORMATS, read_log
from supportsim.calibration.logs.generic_csv import read_csv_log
from supportsim.calibration.logs.problems import PROBLEM_COLUMNS
from supportsim.calibration.logs.servicenow import read_servicenow

__all__ = [
    "CONTACT_COLUMNS",
    "FORMATS",
    "OUTCOMES",
    "PROBLEM_COLUMNS",
    "ColumnMap",
    "ContactLog",
    "LogError",
    "count_problems",
    "read_anonymous_bank",
    "read_csv_log",
    "read_log",
    "read_servicenow",
]
