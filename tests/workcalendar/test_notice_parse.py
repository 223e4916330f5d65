"""Reading the State Council's 调休 notice: the 2026 notice agrees with chinese-calendar, bad lines are named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from yuqing.workcalendar.deadlines import Calendar, DaySource
from yuqing.workcalendar.services.holiday_file import text_decode
from yuqing.workcalendar.services.notice import notice_parse

NOTICE_2026 = (Path(__file__).parent / "fixtures" / "notice_2026.txt").read_text(encoding="utf-8")
D = dt.date


def calendar_of(parsed) -> Calendar:
    return Calendar(
        notice_days={day.date: day.kind == "working_day" for day in parsed.days}, notice_years={parsed.year}
    )


def test_the_2026_notice_gives_every_day_of_2026_as_chinese_calendar_does():
    parsed = notice_parse(NOTICE_2026, year=2026)
    assert parsed.errors == []
    cal = calendar_of(parsed)
    day, differences = D(2026, 1, 1), []
    while day.year == 2026:
        status = cal.day_status(day)
        assert status.source is DaySource.NOTICE
        if status.is_working != chinese_calendar.is_workday(day):
            differences.append(day)
        day += dt.timedelta(days=1)
    assert differences == []


def test_the_2026_notice_lists_the_make_up_working_days_and_spring_festival():
    parsed = notice_parse(NOTICE_2026, year=2026)
    assert parsed.working_days == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    spring = next(item for item in parsed.items if item.name == "春节")
    assert spring.days_off == tuple(D(2026, 2, day) for day in range(15, 24))
    assert [item.name for item in parsed.items] == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    assert len(parsed.days_off) == 33


def test_it_reads_the_notice_pasted_as_one_paragraph_in_half_width_characters():
    text = (
        "一、元旦:1月1日(周四)至3日(周六)放假调休,共3天。1月4日(周日)上班。"
        "二、春节:2月15日(农历腊月二十八、周日)至23日(农历正月初七、周一)放假调休,共9天。"
        "2月14日(周六)、2月28日(周六)上班。"
    )
    parsed = notice_parse(text, year=2026)
    assert parsed.errors == []
    assert [item.name for item in parsed.items] == ["元旦", "春节"]
    assert parsed.working_days == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28)]


def test_it_reads_a_single_day_without_make_up_and_a_range_across_months():
    text = (
        "一、元旦：1月1日（周三）放假1天，不调休。\n"
        "二、国庆节、中秋节：9月30日（周二）至10月2日（周四）放假调休，共3天。9月28日（星期日）上班。"
    )
    parsed = notice_parse(text, year=2025)
    assert parsed.errors == []
    assert parsed.days_off == [D(2025, 1, 1), D(2025, 9, 30), D(2025, 10, 1), D(2025, 10, 2)]
    assert parsed.working_days == [D(2025, 9, 28)]


def test_a_make_up_day_in_the_previous_december_keeps_its_year():
    text = "一、元旦：2018年12月30日（周日）至2019年1月1日（周二）放假调休，共3天。2018年12月29日（周六）上班。"
    parsed = notice_parse(text, year=2019)
    assert parsed.errors == []
    assert parsed.days_off == [D(2018, 12, 30), D(2018, 12, 31), D(2019, 1, 1)]
    assert parsed.working_days == [D(2018, 12, 29)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。", "1月1日 是周四，通知中写作“周五”"),
        ("一、元旦：1月1日（周四）至3日（周六）放假调休，共4天。", "写明“共4天”，但日期范围是 3 天"),
        ("一、元旦：1月3日至1日放假调休。", "放假结束日期早于开始日期"),
        ("一、春节：2月30日放假。", "日期“2月30日”不存在"),
        ("一、春节：2月1日至28日放假。", "一次放假超过 15 天"),
        ("一、元旦：1月1日照常安排。", "无法判断“1月1日照常安排”中的日期是放假还是上班"),
        ("一、元旦：全国放假。", "没有找到放假或上班日期"),
        ("一、元旦：2030年1月1日放假。", "不在 2026 年前后"),
        ("一、元旦 1月1日放假。", "第 1 行：无法识别“一、元旦 1月1日放假。”"),
    ],
)
def test_a_line_it_cannot_understand_is_named_with_its_number_in_chinese(line, message):
    parsed = notice_parse(line, year=2026)
    assert not parsed.is_valid
    assert any(message in error for error in parsed.errors), parsed.errors
    assert parsed.errors[0].startswith("第 1 行")


def test_a_day_both_off_and_working_is_refused():
    text = "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。\n二、补充：1月3日（周六）上班。"
    parsed = notice_parse(text, year=2026)
    assert parsed.errors == ["第 2 行（补充）：2026-01-03 与第 1 行矛盾：不能既放假又上班。"]
    assert [item.name for item in parsed.items] == ["元旦"]  # the good line is still shown


def test_the_other_lines_of_the_notice_are_ignored_but_a_stray_date_line_is_reported():
    text = NOTICE_2026 + "\n另外，3月2日上班。\n"
    parsed = notice_parse(text, year=2026)
    assert len(parsed.errors) == 1
    assert "无法识别“另外，3月2日上班。”" in parsed.errors[0]
    assert len(parsed.items) == 7


def test_a_notice_for_another_year_is_refused():
    parsed = notice_parse(NOTICE_2026, year=2027)
    assert "通知标题是 2026 年的放假安排，与所选年份 2027 不符。" in parsed.errors


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "各省、自治区、直辖市人民政府：",
        "\x00一、元旦：1月1日放假。",
        "一、元旦：1月1日放假。\ud800",
        "一" * 20_001,
    ],
)
def test_hostile_or_empty_text_gives_an_error_not_a_crash(text):
    parsed = notice_parse(text, year=2026)
    assert not parsed.is_valid
    assert parsed.days == []


def test_an_upload_is_read_as_utf8_or_gbk():
    assert text_decode(NOTICE_2026.encode("gb18030")) == NOTICE_2026
    assert text_decode("\ufeff".encode() + NOTICE_2026.encode()) == NOTICE_2026
    assert text_decode(b"\xff\xfe\xfa") is None
