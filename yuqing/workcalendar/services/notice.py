"""Reading the State Council's yearly 调休 notice (国务院办公厅关于某年部分节假日安排的通知).

The notice has said the same thing the same way for years, one numbered item per holiday:

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
    2月14日（周六）、2月28日（周六）上班。
    三、清明节：4月4日（周六）至6日（周一）放假，共3天。
    一、元旦：1月1日（周三）放假1天，不调休。

So an item is "numeral、name：clauses", a clause with 放假 gives one day or a range ("至"; the end may
omit the month), a clause with 上班 lists make-up working days separated by "、", and "共N天" must
match the range. Everything is checked so the admin sees every problem before anything is stored:
the weekday in brackets must be the date's weekday, dates must exist and lie in or next to the
year, no date may be both off and working, and a numbered line or a line with dates and 放假/上班
that cannot be read is reported rather than skipped. The preamble, closing paragraph and signature
are ignored. Full-width and half-width characters are both read (NFKC).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yuqing.workcalendar.models import CalendarOverride

MAX_TEXT_LENGTH = 20_000  # the real notice is about 1,000 characters
MAX_HOLIDAY_SPAN = 15  # the longest break so far is 9 days (春节 2026)

_NUMERAL = "一二三四五六七八九十"
_ITEM = re.compile(rf"^\s*([{_NUMERAL}]{{1,3}})、\s*([^:]{{1,20}}?)\s*:\s*(.*)$")
_ITEM_START = re.compile(rf"^\s*[{_NUMERAL}]{{1,3}}、")
# Splits a line at "。" where a new numbered item follows, for text pasted as one paragraph.
_ITEM_BREAK = re.compile(rf"(?<=。)\s*(?=[{_NUMERAL}]{{1,3}}、[^:\n]{{1,20}}:)")
# Clause separators outside brackets: "（农历除夕、周二）" stays whole.
_CLAUSE_BREAK = re.compile(r"[。,;](?![^()]*\))")
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日\s*(?:\(([^()]*)\))?")
_TOTAL = re.compile(r"(?:共|放假)\s*(\d{1,3})\s*天")
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年\s*部分节假日安排")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_NAME = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]
_HAS_MONTH_DAY = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日")

DAY_OFF = CalendarOverride.Kind.DAY_OFF
WORKING_DAY = CalendarOverride.Kind.WORKING_DAY


@dataclass(frozen=True)
class NoticeDay:
    date: dt.date
    kind: str  # CalendarOverride.Kind
    name: str  # the holiday of the item, e.g. 春节

    def as_json(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class NoticeItem:
    """One holiday of the notice, for the preview."""

    line: int
    name: str
    days_off: tuple[dt.date, ...]
    working_days: tuple[dt.date, ...]


@dataclass
class ParsedNotice:
    year: int
    items: list[NoticeItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def days(self) -> list[NoticeDay]:
        """One entry per date; a date two items give off (中秋 within 国庆) keeps the first name."""
        days: dict[dt.date, NoticeDay] = {}
        for item in self.items:
            for kind, dates in ((DAY_OFF, item.days_off), (WORKING_DAY, item.working_days)):
                for date in dates:
                    days.setdefault(date, NoticeDay(date, kind, item.name))
        return sorted(days.values(), key=lambda day: day.date)

    @property
    def days_off(self) -> list[dt.date]:
        return sorted(day.date for day in self.days if day.kind == DAY_OFF)

    @property
    def working_days(self) -> list[dt.date]:
        return sorted(day.date for day in self.days if day.kind == WORKING_DAY)


@dataclass(frozen=True)
class _Token:
    date: dt.date
    end: int  # offset in the clause just after the token


class _LineError(Exception):
    pass


def _excerpt(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _dates(clause: str, default_year: int) -> list[_Token]:
    """Every date of the clause; a date without a month or year takes them from the one before it."""
    tokens: list[_Token] = []
    year, month = default_year, None
    for match in _DATE.finditer(clause):
        year_text, month_text, day_text, bracket = match.groups()
        if year_text:
            year = int(year_text)
        if month_text:
            new_month = int(month_text)
            if not year_text and month is not None and new_month < month:
                year += 1  # "12月31日至1月2日": the range runs into the next year
            month = new_month
        if month is None:
            raise _LineError(_("“%(text)s”缺少月份。") % {"text": match.group(0).strip()})
        try:
            date = dt.date(year, month, int(day_text))
        except ValueError:
            raise _LineError(_("日期“%(text)s”不存在。") % {"text": match.group(0).strip()}) from None
        weekday = _WEEKDAY.search(bracket or "")
        if weekday and _WEEKDAY_INDEX[weekday.group(1)] != date.weekday():
            raise _LineError(
                _("%(date)s 是%(actual)s，通知中写作“%(written)s”，请核对日期。")
                % {
                    "date": _("%(month)d月%(day)d日") % {"month": date.month, "day": date.day},
                    "actual": _WEEKDAY_NAME[date.weekday()],
                    "written": weekday.group(0),
                }
            )
        tokens.append(_Token(date, match.end()))
    return tokens


def _holiday_range(clause: str, tokens: list[_Token]) -> list[dt.date]:
    before = [token for token in tokens if token.end <= clause.index("放假") + 2]
    if len(before) == 1:
        first = last = before[0].date
    elif len(before) == 2 and "至" in clause[: clause.index("放假")]:
        first, last = before[0].date, before[1].date
    else:
        raise _LineError(_("放假日期应写作“X月X日放假”或“X月X日至X日放假”。"))
    if last < first:
        raise _LineError(_("放假结束日期早于开始日期。"))
    span = (last - first).days + 1
    if span > MAX_HOLIDAY_SPAN:
        raise _LineError(_("一次放假超过 %(max)d 天，请核对日期。") % {"max": MAX_HOLIDAY_SPAN})
    return [first + dt.timedelta(days=offset) for offset in range(span)]


def _parse_item(body: str, year: int) -> tuple[list[dt.date], list[dt.date]]:
    days_off: list[dt.date] = []
    working: list[dt.date] = []
    for clause in _CLAUSE_BREAK.split(body):
        clause = clause.strip()
        if not clause:
            continue
        total = _TOTAL.search(clause)
        tokens = _dates(clause, year)
        if "放假" in clause and tokens:
            days_off.extend(_holiday_range(clause, tokens))
            if total and int(total.group(1)) != len(days_off):
                raise _LineError(
                    _("写明“共%(total)s天”，但日期范围是 %(count)d 天。")
                    % {"total": total.group(1), "count": len(days_off)}
                )
        elif "上班" in clause and tokens:
            working.extend(token.date for token in tokens)
        elif total and not tokens:
            if not days_off:
                raise _LineError(_("“共%(total)s天”之前没有放假日期。") % {"total": total.group(1)})
            if int(total.group(1)) != len(days_off):
                raise _LineError(
                    _("写明“共%(total)s天”，但日期范围是 %(count)d 天。")
                    % {"total": total.group(1), "count": len(days_off)}
                )
        elif tokens:
            raise _LineError(_("无法判断“%(clause)s”中的日期是放假还是上班。") % {"clause": _excerpt(clause)})
    if not days_off and not working:
        raise _LineError(_("没有找到放假或上班日期。"))
    return days_off, working


def _segments(text: str) -> list[tuple[int, str, str]]:
    """(line number, normalised part, what to quote in an error: the line as written when it is whole)."""
    segments: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [part for part in _ITEM_BREAK.split(unicodedata.normalize("NFKC", line)) if part.strip()]
        segments.extend((number, part, line if len(parts) == 1 else part) for part in parts)
    return segments


def notice_parse(text: str, *, year: int) -> ParsedNotice:
    """The notice's holidays and make-up working days, or every problem found, each with its line."""
    result = ParsedNotice(year=year)
    if len(text) > MAX_TEXT_LENGTH:
        result.errors.append(_("通知文本过长（超过 %(max)d 字），请只粘贴通知正文。") % {"max": MAX_TEXT_LENGTH})
        return result
    if "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        result.errors.append(_("通知文本含有无法识别的字符，请从原文重新复制。"))
        return result
    title = _TITLE_YEAR.search(unicodedata.normalize("NFKC", text))
    if title and int(title.group(1)) != year:
        result.errors.append(
            _("通知标题是 %(title)s 年的放假安排，与所选年份 %(year)d 不符。") % {"title": title.group(1), "year": year}
        )
    first_seen: dict[dt.date, tuple[str, int]] = {}
    for line, segment, as_written in _segments(text):
        item = _ITEM.match(segment)
        if item is None:
            if _ITEM_START.match(segment) or (
                _HAS_MONTH_DAY.search(segment) and ("放假" in segment or "上班" in segment)
            ):
                result.errors.append(
                    _("第 %(line)d 行：无法识别“%(text)s”，应写作“一、元旦：1月1日放假……”。")
                    % {"line": line, "text": _excerpt(as_written)}
                )
            continue
        name, body = item.group(2).strip(), item.group(3)
        try:
            days_off, working = _parse_item(body, year)
            for date in (*days_off, *working):
                if not year - 1 <= date.year <= year + 1:
                    raise _LineError(
                        _("日期 %(date)s 不在 %(year)d 年前后。") % {"date": date.isoformat(), "year": year}
                    )
            for kind, dates in ((DAY_OFF, days_off), (WORKING_DAY, working)):
                for date in dates:
                    seen = first_seen.get(date)
                    if seen is not None and seen[0] != kind:
                        raise _LineError(
                            _("%(date)s 与第 %(other)d 行矛盾：不能既放假又上班。")
                            % {"date": date.isoformat(), "other": seen[1]}
                        )
                    first_seen.setdefault(date, (kind, line))
        except _LineError as error:
            result.errors.append(
                _("第 %(line)d 行（%(name)s）：%(message)s") % {"line": line, "name": name, "message": error}
            )
            continue
        result.items.append(
            NoticeItem(
                line=line,
                name=name,
                days_off=tuple(sorted(set(days_off))),
                working_days=tuple(sorted(set(working))),
            )
        )
    if not result.items and not result.errors:
        result.errors.append(_("没有找到任何放假安排。请粘贴通知正文，例如“一、元旦：1月1日放假1天。”"))
    return result
