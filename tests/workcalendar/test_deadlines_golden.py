"""The golden table: deadlines worked out by hand from the calendar facts, one row per case.

Calendar facts used (State Council schedules, as in DOMAIN.md):
- 2025 National Day: 10-01..10-08 off; 09-28 (Sun) and 10-11 (Sat) working.
- 2026 元旦 01-01..01-03 off, 01-04 (Sun) working. 春节 02-15..02-23 off, 02-14 (Sat) and 02-28 (Sat)
  working. 清明 04-04..04-06 off. 劳动节 05-01..05-05 off, 05-09 (Sat) working. 中秋 09-25 off,
  09-20 (Sun) working. 国庆 10-01..10-07 off, 10-10 (Sat) working.
- 2027: no published schedule in chinese-calendar, so the statutory days are computed from the
  rules (元旦 2027-01-01 Fri off) and reported in `computed_years`; make-up days are unknown.
- 2003 (before the package) and 2101 (after the computed range): Monday–Friday is guessed.
Day clocks end at 24:00 of the last day, written as 00:00 of the next day. Business hours are
09:00–17:30 (CAL) or 09:00–17:30 with lunch 12:00–13:00 (LUNCH). All times Asia/Shanghai unless
marked Z (UTC).
"""

from __future__ import annotations

import datetime as dt

import pytest

from yuqing.workcalendar.deadlines import SHANGHAI, Calendar, ClockKind, WorkingHours, deadline_info

CAL = Calendar()
LUNCH = Calendar(hours=WorkingHours(lunch_start=dt.time(12), lunch_end=dt.time(13)))
# A tenant that worked Saturday 03-07 and the holiday Friday 02-20, and closed on Tuesday 03-10 and
# on the statutory make-up Saturday 02-14.
OVR = Calendar(
    overrides={
        dt.date(2026, 3, 7): True,
        dt.date(2026, 3, 10): False,
        dt.date(2026, 2, 14): False,
        dt.date(2026, 2, 20): True,
    }
)
# A tenant that loaded the 2027 schedule itself (here just New Year's Day off) and said so.
SCHEDULED_2027 = Calendar(overrides={dt.date(2027, 1, 1): False}, schedule_years=frozenset({2027}))

X, BH, WD, CD = (
    ClockKind.TWENTY_FOUR_SEVEN,
    ClockKind.BUSINESS_HOURS,
    ClockKind.WORKING_DAYS,
    ClockKind.CALENDAR_DAYS,
)
Y2027, Y2003, Y2101 = frozenset({2027}), frozenset({2003}), frozenset({2101})


def at(text: str) -> dt.datetime:
    if text.endswith("Z"):
        return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def pause(begin: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    return (at(begin), at(end))


def row(cal, kind, start, amount, expected, comment, pauses=(), fallback=frozenset(), computed=frozenset()):
    return pytest.param(cal, kind, start, amount, list(pauses), expected, fallback, computed, id=comment)


# fmt: off
GOLDEN = [
    # ---- National Day 2025 ----------------------------------------------------------------------
    row(CAL, WD, "2025-09-26 10:00", 3, "2025-10-01 00:00", "nd25 wd: 09-27 Sat rest, make-up Sun 09-28 counts"),
    row(CAL, WD, "2025-09-30 10:00", 1, "2025-10-10 00:00", "nd25 wd: first working day after the break is 10-09"),
    row(CAL, WD, "2025-09-30 10:00", 3, "2025-10-12 00:00", "nd25 wd: 10-09, 10-10, make-up Sat 10-11"),
    row(CAL, WD, "2025-10-03 11:00", 2, "2025-10-11 00:00", "nd25 wd: received on a holiday"),
    row(CAL, WD, "2025-10-10 16:00", 2, "2025-10-14 00:00", "nd25 wd: make-up Sat 10-11 then Mon 10-13"),
    row(CAL, CD, "2025-09-20 10:00", 15, "2025-10-10 00:00", "nd25 cd: last day Sun 10-05 off, rolls to 10-09"),
    row(CAL, CD, "2025-09-26 09:00", 15, "2025-10-12 00:00", "nd25 cd: last day make-up Sat 10-11, no roll"),
    row(CAL, CD, "2025-09-16 10:00", 15, "2025-10-10 00:00", "nd25 cd: last day 10-01, rolls over 8 days"),
    row(CAL, CD, "2025-09-13 10:00", 15, "2025-09-29 00:00", "nd25 cd: last day make-up Sun 09-28, no roll"),
    row(CAL, CD, "2025-09-24 10:00", 15, "2025-10-10 00:00", "nd25 cd: last day 10-09 is working"),
    row(CAL, BH, "2025-09-30 16:00", hours(4), "2025-10-09 11:30", "nd25 bh: 1.5h before the break, 2.5h after"),
    row(CAL, BH, "2025-09-28 08:00", hours(8), "2025-09-28 17:00", "nd25 bh: make-up Sunday, received before hours"),
    row(CAL, BH, "2025-10-05 10:00", hours(1), "2025-10-09 10:00", "nd25 bh: received on a holiday"),
    row(LUNCH, BH, "2025-10-10 11:00", hours(5), "2025-10-10 17:00", "nd25 bh lunch: 1h, lunch, 4h"),
    row(LUNCH, BH, "2025-10-10 16:30", hours(4), "2025-10-11 12:00", "nd25 bh lunch: ends 12:00 on make-up Sat"),
    row(CAL, X, "2025-09-30 22:00", hours(48), "2025-10-02 22:00", "nd25 24x7: holidays do not matter"),
    # ---- Spring Festival 2026 -------------------------------------------------------------------
    row(CAL, WD, "2026-02-13 15:00", 1, "2026-02-15 00:00", "sf26 wd: make-up Sat 02-14 is day 1"),
    row(CAL, WD, "2026-02-13 15:00", 2, "2026-02-25 00:00", "sf26 wd: 02-14 then 02-24 after the break"),
    row(CAL, WD, "2026-02-14 10:00", 5, "2026-03-01 00:00", "sf26 wd: from make-up Sat to make-up Sat 02-28"),
    row(CAL, WD, "2026-02-20 10:00", 5, "2026-03-01 00:00", "sf26 wd: received in the break"),
    row(CAL, CD, "2026-02-05 10:00", 15, "2026-02-25 00:00", "sf26 cd: last day 02-20 in the break, rolls to 02-24"),
    row(CAL, CD, "2026-02-08 10:00", 15, "2026-02-25 00:00", "sf26 cd: last day 02-23, the last day off"),
    row(CAL, CD, "2026-02-09 10:00", 15, "2026-02-25 00:00", "sf26 cd: last day 02-24 working, no roll"),
    row(CAL, CD, "2026-01-30 10:00", 15, "2026-02-15 00:00", "sf26 cd: last day make-up Sat 02-14, no roll"),
    row(CAL, CD, "2026-01-31 10:00", 15, "2026-02-25 00:00", "sf26 cd: last day 02-15, first day of the break"),
    row(CAL, BH, "2026-02-13 17:00", hours(2), "2026-02-14 10:30", "sf26 bh: into make-up Saturday"),
    row(CAL, BH, "2026-02-14 17:00", hours(1), "2026-02-24 09:30", "sf26 bh: across the whole break"),
    row(CAL, BH, "2026-02-18 10:00", hours(8.5), "2026-02-24 17:30", "sf26 bh: received in the break, one full day"),
    row(LUNCH, BH, "2026-02-27 17:45", hours(7.5), "2026-02-28 17:30", "sf26 bh lunch: after hours, make-up Sat"),
    row(CAL, X, "2026-02-14 12:00", dt.timedelta(days=10), "2026-02-24 12:00", "sf26 24x7: ten elapsed days"),
    # ---- the other 2026 make-up days and holidays -----------------------------------------------
    row(CAL, WD, "2026-01-02 10:00", 1, "2026-01-05 00:00", "ny26 wd: make-up Sun 01-04 is day 1"),
    row(CAL, WD, "2026-04-30 10:00", 2, "2026-05-08 00:00", "may26 wd: 05-01..05-05 off"),
    row(CAL, WD, "2026-05-08 10:00", 1, "2026-05-10 00:00", "may26 wd: make-up Sat 05-09"),
    row(CAL, WD, "2026-09-18 10:00", 1, "2026-09-21 00:00", "sep26 wd: Sat 09-19 rest, make-up Sun 09-20"),
    row(CAL, WD, "2026-09-24 10:00", 2, "2026-09-30 00:00", "maf26 wd: Mid-Autumn 09-25 and weekend off"),
    row(CAL, WD, "2026-09-30 10:00", 3, "2026-10-11 00:00", "nd26 wd: 10-08, 10-09, make-up Sat 10-10"),
    row(CAL, CD, "2026-09-25 10:00", 15, "2026-10-11 00:00", "nd26 cd: last day make-up Sat 10-10, no roll"),
    row(CAL, CD, "2026-09-22 10:00", 15, "2026-10-09 00:00", "nd26 cd: last day 10-07, rolls to 10-08"),
    row(CAL, BH, "2026-09-19 10:00", hours(1), "2026-09-20 10:00", "sep26 bh: Saturday receipt, make-up Sunday"),
    row(CAL, BH, "2026-05-08 17:00", hours(1), "2026-05-09 09:30", "may26 bh: into make-up Saturday"),
    row(CAL, CD, "2026-04-20 10:00", 15, "2026-05-07 00:00", "may26 cd: last day 05-05 off, rolls to 05-06"),
    # ---- New Year 2026 --------------------------------------------------------------------------
    row(CAL, WD, "2025-12-31 10:00", 1, "2026-01-05 00:00", "ny26 wd: 01-01..01-03 off"),
    row(CAL, CD, "2025-12-17 10:00", 15, "2026-01-05 00:00", "ny26 cd: last day 01-01, rolls to make-up Sun 01-04"),
    row(CAL, CD, "2025-12-19 10:00", 15, "2026-01-05 00:00", "ny26 cd: last day Sat 01-03, rolls to 01-04"),
    row(CAL, BH, "2025-12-31 17:00", hours(1), "2026-01-04 09:30", "ny26 bh: over the new year to make-up Sunday"),
    row(CAL, X, "2025-12-31 23:30", hours(1), "2026-01-01 00:30", "ny26 24x7: into the new year"),
    # ---- across midnight ------------------------------------------------------------------------
    row(CAL, X, "2026-03-10 23:00", hours(2), "2026-03-11 01:00", "midnight 24x7"),
    row(CAL, WD, "2026-03-10 23:59:59", 1, "2026-03-12 00:00", "midnight wd: a second before midnight is still day 0"),
    row(CAL, WD, "2026-03-11 00:00", 1, "2026-03-13 00:00", "midnight wd: received at 00:00, that day is day 0"),
    row(CAL, BH, "2026-03-10 23:00", hours(1), "2026-03-11 10:00", "midnight bh: received at night"),
    row(CAL, BH, "2026-03-11 08:00", hours(1), "2026-03-11 10:00", "midnight bh: received before hours"),
    # ---- across years: 2027 has no published schedule, its statutory days are computed ---------
    row(CAL, WD, "2026-12-31 10:00", 1, "2027-01-05 00:00", "y27 wd: computed 元旦 Fri 01-01 off", computed=Y2027),
    row(CAL, WD, "2026-12-30 10:00", 1, "2027-01-01 00:00", "y27 wd: ends at 2027 midnight, no 2027 day consulted"),
    row(CAL, CD, "2026-12-20 10:00", 15, "2027-01-05 00:00", "y27 cd: last day Mon 2027-01-04", computed=Y2027),
    row(CAL, CD, "2026-12-18 10:00", 15, "2027-01-05 00:00", "y27 cd: last day Sat 01-02 rolls to Mon", computed=Y2027),
    row(CAL, BH, "2026-12-31 17:00", hours(1), "2027-01-04 09:30", "y27 bh: over computed 元旦", computed=Y2027),
    row(CAL, X, "2026-12-31 20:00", hours(24), "2027-01-01 20:00", "y27 24x7: never asks the calendar"),
    row(CAL, WD, "2027-03-01 10:00", 5, "2027-03-09 00:00", "y27 wd: plain Monday-Friday", computed=Y2027),
    row(CAL, WD, "2027-02-04 10:00", 1, "2027-02-12 00:00", "y27 wd: computed 春节 02-05..02-10 off", computed=Y2027),
    row(CAL, WD, "2003-03-03 10:00", 5, "2003-03-11 00:00", "y03 wd: before the package, guessed", fallback=Y2003),
    row(CAL, WD, "2100-12-31 10:00", 1, "2101-01-04 00:00", "y2101 wd: past the computed range", fallback=Y2101),
    row(SCHEDULED_2027, WD, "2026-12-31 10:00", 1, "2027-01-05 00:00", "y27 wd: tenant loaded 2027, no warning"),
    # ---- tenant overrides -----------------------------------------------------------------------
    row(OVR, WD, "2026-03-06 10:00", 1, "2026-03-08 00:00", "ovr wd: Saturday 03-07 made a working day"),
    row(OVR, WD, "2026-03-09 10:00", 1, "2026-03-12 00:00", "ovr wd: Tuesday 03-10 made a day off"),
    row(OVR, CD, "2026-02-23 10:00", 15, "2026-03-12 00:00", "ovr cd: last day Tue 03-10 is off, rolls"),
    row(CAL, CD, "2026-02-23 10:00", 15, "2026-03-11 00:00", "ovr cd contrast: without the override no roll"),
    row(OVR, CD, "2026-02-20 10:00", 15, "2026-03-08 00:00", "ovr cd: last day Sat 03-07 worked, no roll"),
    row(CAL, CD, "2026-02-20 10:00", 15, "2026-03-10 00:00", "ovr cd contrast: Sat 03-07 rolls to Mon"),
    row(OVR, BH, "2026-03-06 17:00", hours(2), "2026-03-07 10:30", "ovr bh: hours on the worked Saturday"),
    row(OVR, BH, "2026-03-09 17:00", hours(1), "2026-03-11 09:30", "ovr bh: skips the closed Tuesday"),
    row(OVR, WD, "2026-02-13 10:00", 1, "2026-02-21 00:00", "ovr wd: make-up Sat off, holiday Fri 02-20 worked"),
    row(OVR, BH, "2026-02-13 17:00", hours(1), "2026-02-20 09:30", "ovr bh: same two overrides"),
    # ---- pauses ---------------------------------------------------------------------------------
    row(CAL, X, "2026-03-02 09:00", hours(24), "2026-03-03 12:00", "pause 24x7: 3h pause adds 3h",
        pauses=[pause("2026-03-02 12:00", "2026-03-02 15:00")]),
    row(CAL, X, "2026-03-02 09:00", hours(24), "2026-03-03 21:00", "pause 24x7: over the deadline, 1h left at 08:00",
        pauses=[pause("2026-03-03 08:00", "2026-03-03 20:00")]),
    row(CAL, X, "2026-03-02 09:00", hours(24), "2026-03-03 09:00", "pause 24x7: after the deadline changes nothing",
        pauses=[pause("2026-03-04 00:00", "2026-03-05 00:00")]),
    row(CAL, X, "2026-03-02 09:00", hours(24), "2026-03-03 10:00", "pause 24x7: only the part after the start counts",
        pauses=[pause("2026-03-02 06:00", "2026-03-02 10:00")]),
    row(CAL, X, "2026-03-02 09:00", hours(24), "2026-03-03 12:00", "pause 24x7: overlapping pauses merge to 3h",
        pauses=[pause("2026-03-02 10:00", "2026-03-02 12:00"), pause("2026-03-02 11:00", "2026-03-02 13:00")]),
    row(CAL, BH, "2026-02-13 09:00", hours(10), "2026-02-24 12:00", "pause bh: across make-up Sat and the break",
        pauses=[pause("2026-02-13 17:00", "2026-02-24 10:00")]),
    row(CAL, BH, "2026-02-13 09:00", hours(20), "2026-02-24 12:00", "pause bh baseline: 8.5 + 8.5 + 3 hours"),
    row(CAL, BH, "2026-02-13 09:00", hours(20), "2026-02-24 12:00", "pause bh: pause inside the break gives nothing",
        pauses=[pause("2026-02-15 00:00", "2026-02-23 18:00")]),
    row(CAL, BH, "2026-03-02 09:00", hours(8), "2026-03-03 11:00", "pause bh: over the deadline, 1h left at 16:00",
        pauses=[pause("2026-03-02 16:00", "2026-03-03 10:00")]),
    row(CAL, WD, "2026-02-12 10:00", 3, "2026-02-25 00:00", "pause wd: pause on holidays gives nothing",
        pauses=[pause("2026-02-16 00:00", "2026-02-22 00:00")]),
    row(CAL, WD, "2026-03-02 10:00", 1, "2026-03-06 05:00", "pause wd: over the deadline, 14h of Tue left",
        pauses=[pause("2026-03-03 10:00", "2026-03-05 15:00")]),
    row(CAL, WD, "2026-03-02 10:00", 1, "2026-03-04 06:00", "pause wd: only the counted 6h of Tue come back",
        pauses=[pause("2026-03-02 12:00", "2026-03-03 06:00")]),
    row(CAL, CD, "2026-02-10 10:00", 15, "2026-02-26 00:00", "pause cd baseline: last day Wed 02-25"),
    row(CAL, CD, "2026-02-10 10:00", 15, "2026-03-07 00:00", "pause cd: the nine paused holiday days come back",
        pauses=[pause("2026-02-15 00:00", "2026-02-24 00:00")]),
    row(CAL, CD, "2026-09-10 10:00", 15, "2026-09-29 00:00", "complaint15 baseline: last day Mid-Autumn, rolls"),
    row(CAL, CD, "2026-09-10 10:00", 15, "2026-09-29 12:00", "complaint15 paused 3.5 days: ends midday Tue",
        pauses=[pause("2026-09-14 00:00", "2026-09-17 12:00")]),
    row(CAL, CD, "2026-09-10 10:00", 15, "2026-09-29 00:00", "complaint15 paused 1.5 days: lands Sun, rolls",
        pauses=[pause("2026-09-14 00:00", "2026-09-15 12:00")]),
    # ---- time zones: UTC in, Shanghai out -------------------------------------------------------
    row(CAL, X, "2026-01-31 20:00Z", hours(5), "2026-02-01 09:00", "tz 24x7: UTC evening is the next Shanghai morning"),
    row(CAL, X, "2025-09-30 16:30Z", hours(1), "2025-10-01 01:30", "tz 24x7: into National Day in Shanghai"),
    row(CAL, WD, "2026-02-13 17:00Z", 1, "2026-02-25 00:00", "tz wd: receipt date is the Shanghai date 02-14"),
    row(CAL, BH, "2026-03-02 01:00Z", hours(1), "2026-03-02 10:00", "tz bh: 01:00Z is 09:00 in Shanghai"),
]
# fmt: on


@pytest.mark.parametrize(("cal", "kind", "start", "amount", "pauses", "expected", "fallback", "computed"), GOLDEN)
def test_golden_deadline(cal, kind, start, amount, pauses, expected, fallback, computed):
    result = deadline_info(cal, kind, at(start), amount, pauses)
    assert result.at == at(expected)
    assert result.at.utcoffset() == dt.timedelta(hours=8)  # always handed back in Shanghai time
    assert result.at.tzinfo == SHANGHAI
    assert result.fallback_years == fallback
    assert result.used_fallback is bool(fallback)
    assert result.computed_years == computed


def test_the_golden_table_is_big_enough():
    assert len(GOLDEN) >= 60
