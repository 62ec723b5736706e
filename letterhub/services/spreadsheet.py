"""CSV files that a spreadsheet opens without running anything a stranger typed.

Names typed by focal points (or found in an uploaded list) become CSV cells. A spreadsheet
treats a cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return as a formula:
``=HYPERLINK("http://evil","x")`` becomes a link, ``-2+3`` becomes 1. OWASP's rule
(https://owasp.org/www-community/attacks/CSV_Injection) is applied to every cell written
and read here:

* a cell beginning with one of those characters gets a leading single quote, which makes a
  spreadsheet read it as text (the quote is visible in the cell: ``'- Relief``);
* every cell is wrapped in double quotes and a double quote inside is doubled, so that a
  separator or quote inside a name cannot start a new cell that begins with ``=``.

Every CSV letterhub writes goes through :func:`write_csv`; every CSV it reads goes through
:func:`read_csv_rows`, so that what it later writes again is already neutral.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as text: a leading ``'`` before a formula trigger.

    Idempotent: a neutralised cell starts with ``'`` and is not changed again. Numbers are
    written as they are (``-1`` stays a number: it is ours, not typed by anyone).
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(rows: Iterable[Iterable[object]]) -> str:
    """The CSV text of ``rows``: every cell neutralised and quoted (OWASP), lines ending in CRLF."""
    output = io.StringIO()
    writer = csv.writer(output, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return output.getvalue()


def read_csv_rows(text: str, *, delimiter: str = ",") -> Iterator[list[str]]:
    """The rows of a CSV text, every cell neutralised as :func:`write_csv` would write it.

    ``delimiter`` is the separator between cells: a comma, or the semicolon or tab a
    spreadsheet writes in some locales.
    """
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [neutralise_cell(cell) for cell in row]
