"""Statutory holidays (法定节假日) computed from the rules, for years no schedule has been published for.

Beside deadlines.py, not in services/: the deadline arithmetic imports it and stays free of Django.

The rules in force since 2025 (《全国年节及纪念日放假办法》, State Council Decree No. 795): 13 days —
元旦 1 (1 January), 春节 4 (农历除夕 and 正月初一 to 初三), 清明节 1 (the day of the 清明 solar term),
劳动节 2 (1–2 May), 端午节 1 (lunar 5/5), 中秋节 1 (lunar 8/15), 国庆节 3 (1–3 October).
Art. 6: a statutory day that falls on a Saturday or Sunday is made up (补假) on a working day; here
the first weekday after it that is neither a statutory day nor already given, which is what every
published schedule since 2008 contains. A statutory day that falls on another one (中秋 on 1–3
October, as in 2028) is made up the same way.

What this cannot know: the State Council's 调休 (weekend days turned into working days to join
holidays into longer breaks). Those come only with the yearly notice, so days from here are marked
*computed* and the UI says so. Lunar dates and solar terms come from lunar_python (pure Python).
"""

from __future__ import annotations

import datetime as dt
import functools
from types import MappingProxyType
from typing import Final

from lunar_python import Lunar, Solar

# The rules above apply from 2025; earlier years are chinese-calendar's (2004–2026), or guessed.
FIRST_YEAR: Final = 2025
LAST_YEAR: Final = 2100
MAKE_UP_SUFFIX: Final = "（补假）"


def _lunar_to_date(year: int, month: int, day: int) -> dt.date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> dt.date:
    # The solar-term table of the lunar year that starts in `year` holds that year's 清明 (early April).
    term = Lunar.fromSolar(Solar.fromYmd(year, 6, 1)).getJieQiTable()["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


def statutory_days(year: int) -> list[tuple[dt.date, str]]:
    """The 13 statutory days of `year` in date order, each with its holiday's name (repeats possible)."""
    new_year = _lunar_to_date(year, 1, 1)
    days = [
        (dt.date(year, 1, 1), "元旦"),
        (new_year - dt.timedelta(days=1), "春节"),  # 除夕: the last day of the twelfth month, 29th or 30th
        *((new_year + dt.timedelta(days=offset), "春节") for offset in range(3)),
        (_qingming(year), "清明节"),
        (dt.date(year, 5, 1), "劳动节"),
        (dt.date(year, 5, 2), "劳动节"),
        (_lunar_to_date(year, 5, 5), "端午节"),
        (_lunar_to_date(year, 8, 15), "中秋节"),
        *((dt.date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    return sorted(days)


@functools.lru_cache(maxsize=256)
def computed_holidays(year: int) -> MappingProxyType[dt.date, str]:
    """Every day off of `year` under the rules (statutory days and their 补假), date → holiday name.

    Raises ValueError outside FIRST_YEAR..LAST_YEAR: the rules were different before, and nobody
    should plan on them past that.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"Statutory holidays are computed for {FIRST_YEAR}–{LAST_YEAR} only.")
    days = statutory_days(year)
    statutory = {date for date, _name in days}
    off: dict[dt.date, str] = {}
    for date, name in days:
        owed = date.weekday() >= 5 or date in off
        off.setdefault(date, name)
        if owed:
            candidate = date + dt.timedelta(days=1)
            while candidate.weekday() >= 5 or candidate in statutory or candidate in off:
                candidate += dt.timedelta(days=1)
            off[candidate] = name + MAKE_UP_SUFFIX
    return MappingProxyType(dict(sorted(off.items())))


def is_computable(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR
