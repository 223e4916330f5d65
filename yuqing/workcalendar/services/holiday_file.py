"""Reading a holiday schedule file (CSV: date,kind,note) into override rows, with every error found.

Meant for the State Council's yearly schedule typed up by an operator, often in Excel: so UTF-8
with or without a byte-order mark and GB18030 (what Excel on Chinese Windows saves) are both read,
dates may be 2027-01-01 or 2027/1/1, the kind may be written 休息日/休/放假 or 工作日/班/上班 (or
in English), an optional header row and blank lines are skipped, and each problem is reported with
its line number so the operator can fix the file in one pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yuqing.workcalendar.models import CalendarOverride

MIN_YEAR, MAX_YEAR = 2000, 2100
NOTE_MAX_LENGTH = CalendarOverride._meta.get_field("note").max_length

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_KINDS: dict[str, str] = {
    **dict.fromkeys(["休息日", "休", "放假", "假", "day_off", "off", "holiday", "rest"], CalendarOverride.Kind.DAY_OFF),
    **dict.fromkeys(["工作日", "班", "上班", "working_day", "work", "workday"], CalendarOverride.Kind.WORKING_DAY),
}
_HEADER_FIRST_CELLS = {"date", "日期"}


@dataclass(frozen=True)
class OverrideRow:
    line: int
    date: dt.date
    kind: str
    note: str


@dataclass(frozen=True)
class ParsedFile:
    rows: list[OverrideRow]
    errors: list[str]

    @property
    def is_valid(self) -> bool:
        return not self.errors


def text_decode(data: bytes) -> str | None:
    """An uploaded text file: UTF-8 (with or without BOM) or GB18030, what Chinese Windows saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _line_error(line: int, message: str) -> str:
    return _("第 %(line)d 行：%(message)s") % {"line": line, "message": message}


def holiday_file_parse(data: bytes) -> ParsedFile:
    """All rows, or every error with its line number; a file with any error imports nothing."""
    text = text_decode(data)
    if text is None:
        return ParsedFile([], [_("无法识别文件编码，请另存为 UTF-8 编码的 CSV 文件。")])
    rows: list[OverrideRow] = []
    errors: list[str] = []
    first_line_of: dict[dt.date, int] = {}
    reader = csv.reader(io.StringIO(text))
    seen_data = False
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            errors.append(_line_error(reader.line_num, _("无法按 CSV 格式读取（引号不配对或含非法字符）。")))
            break
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        while cells and not cells[-1]:
            cells.pop()  # Excel writes trailing empty columns
        if not cells or cells[0].startswith("#"):
            continue
        if not seen_data and cells[0].lower() in _HEADER_FIRST_CELLS:
            seen_data = True
            continue
        seen_data = True
        row_errors = []
        if len(cells) not in (2, 3):
            errors.append(
                _line_error(line, _("应为 2 或 3 列（日期,类别,说明），实际为 %(count)d 列。") % {"count": len(cells)})
            )
            continue
        date_text, kind_text = cells[0], cells[1]
        note = cells[2] if len(cells) == 3 else ""
        date = _parse_date(date_text)
        if date is None:
            row_errors.append(_("日期“%(value)s”无效，应写作 YYYY-MM-DD，例如 2027-01-01。") % {"value": date_text})
        elif not MIN_YEAR <= date.year <= MAX_YEAR:
            row_errors.append(
                _("日期 %(date)s 超出 %(min)d–%(max)d 年的范围。")
                % {"date": date.isoformat(), "min": MIN_YEAR, "max": MAX_YEAR}
            )
        elif date in first_line_of:
            row_errors.append(
                _("日期 %(date)s 与第 %(first)d 行重复。") % {"date": date.isoformat(), "first": first_line_of[date]}
            )
        else:
            first_line_of[date] = line
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            row_errors.append(_("类别“%(value)s”无效，应为“休息日”或“工作日”。") % {"value": kind_text})
        if len(note) > NOTE_MAX_LENGTH:
            row_errors.append(_("说明超过 %(max)d 个字。") % {"max": NOTE_MAX_LENGTH})
        if row_errors:
            errors.extend(_line_error(line, message) for message in row_errors)
            continue
        assert date is not None and kind is not None
        rows.append(OverrideRow(line=line, date=date, kind=kind, note=note))
    if not rows and not errors:
        errors.append(_("文件中没有数据行。"))
    return ParsedFile(rows, errors)
