"""`manage.py load_holidays`: every row checked first, errors by line number in Chinese, all or nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.workcalendar.test_deadlines_golden import at
from yuqing.audit.models import AuditEvent
from yuqing.workcalendar.deadlines import ClockKind, deadline_info
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride
from yuqing.workcalendar.selectors import calendar_for_tenant
from yuqing.workcalendar.services.holiday_file import holiday_file_parse

SCHEDULE_2027 = """date,kind,note
2027-01-01,休息日,元旦
2027-02-06,工作日,春节调休
2027-02-07,休息日,春节
2027-02-08,休息日,春节
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "holidays.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def load(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_holidays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def overrides_of(tenant) -> dict[dt.date, tuple[str, str]]:
    return {o.date: (o.kind, o.note) for o in CalendarOverride.objects.for_tenant(tenant)}


def test_it_imports_a_schedule_into_the_named_tenant_only(tenant_a, tenant_b, tmp_path):
    out, _ = load("--tenant", "tenant-a", write(tmp_path, SCHEDULE_2027))
    assert "新增 4" in out
    assert overrides_of(tenant_a) == {
        dt.date(2027, 1, 1): ("day_off", "元旦"),
        dt.date(2027, 2, 6): ("working_day", "春节调休"),
        dt.date(2027, 2, 7): ("day_off", "春节"),
        dt.date(2027, 2, 8): ("day_off", "春节"),
    }
    assert overrides_of(tenant_b) == {}
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="calendar.overrides_import")
    assert event.changes["created"] == 4
    assert event.actor_label == "system"


def test_a_bad_row_imports_nothing_and_names_its_line(tenant_a, tmp_path):
    CalendarOverride.objects.create(tenant=tenant_a, date=dt.date(2027, 1, 1), kind="working_day", note="旧")
    bad = SCHEDULE_2027 + "2027-02-30,休息日,春节\n"
    with pytest.raises(CommandError, match="1 处错误，未导入任何数据"):
        load("--tenant", "tenant-a", write(tmp_path, bad))
    # The good rows were not written, and the existing override kept its old value.
    assert overrides_of(tenant_a) == {dt.date(2027, 1, 1): ("working_day", "旧")}


def test_every_error_is_reported_at_once_with_its_line_number(tenant_a, tmp_path):
    text = (
        "日期,类别,说明\n"  # line 1: header
        "2027-01-01,休息日,元旦\n"
        "2027/13/01,休息日,\n"  # line 3: no 13th month
        "2027-02-07,放羊,\n"  # line 4: unknown kind
        "\n"
        "2027-01-01,工作日,又一次\n"  # line 6: duplicate of line 2
        "2027-02-09\n"  # line 7: one column
        "2207-02-10,休息日,\n"  # line 8: typo year
    )
    err = StringIO()
    with pytest.raises(CommandError, match="5 处错误"):
        call_command("load_holidays", "--tenant", "tenant-a", write(tmp_path, text), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "第 3 行：日期“2027/13/01”无效，应写作 YYYY-MM-DD，例如 2027-01-01。",
        "第 4 行：类别“放羊”无效，应为“休息日”或“工作日”。",
        "第 6 行：日期 2027-01-01 与第 2 行重复。",
        "第 7 行：应为 2 或 3 列（日期,类别,说明），实际为 1 列。",
        "第 8 行：日期 2207-02-10 超出 2000–2100 年的范围。",
    ]
    assert overrides_of(tenant_a) == {}


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tenant_a, tmp_path):
    path = write(tmp_path, SCHEDULE_2027)
    load("--tenant", "tenant-a", path)
    out, _ = load("--tenant", "tenant-a", path)
    assert "新增 0，更新 0，未变 4" in out
    assert CalendarOverride.objects.for_tenant(tenant_a).count() == 4


def test_a_new_kind_for_a_known_date_updates_it(tenant_a, tmp_path):
    load("--tenant", "tenant-a", write(tmp_path, SCHEDULE_2027))
    out, _ = load("--tenant", "tenant-a", write(tmp_path, "2027-02-06,休息日,取消调休\n"))
    assert "更新 1" in out
    assert overrides_of(tenant_a)[dt.date(2027, 2, 6)] == ("day_off", "取消调休")


def test_excel_files_in_gb18030_or_with_a_bom_and_loose_dates_are_read(tenant_a, tmp_path):
    load("--tenant", "tenant-a", write(tmp_path, "日期,类别,说明\r\n2027/1/1,休,元旦,,\r\n", "gb18030"))
    load("--tenant", "tenant-a", write(tmp_path, "2027-02-06,班,调休\n", "utf-8-sig"))
    assert overrides_of(tenant_a) == {
        dt.date(2027, 1, 1): ("day_off", "元旦"),
        dt.date(2027, 2, 6): ("working_day", "调休"),
    }


def test_complete_years_silence_the_computed_days_note(tenant_a, tmp_path):
    start = at("2026-12-31 10:00")
    assert deadline_info(calendar_for_tenant(tenant=tenant_a), ClockKind.WORKING_DAYS, start, 1).basis == "computed"
    out, _ = load("--tenant", "tenant-a", "--complete-years", write(tmp_path, SCHEDULE_2027))
    assert "2027" in out
    assert BusinessCalendar.objects.for_tenant(tenant_a).get().schedule_years == "2027"
    result = deadline_info(calendar_for_tenant(tenant=tenant_a), ClockKind.WORKING_DAYS, start, 1)
    assert result.at == at("2027-01-05 00:00")  # 01-01 a day off: Monday 01-04 is day 1
    assert result.basis == "" and not result.used_fallback


def test_a_dry_run_checks_without_importing(tenant_a, tmp_path):
    out, _ = load("--tenant", "tenant-a", "--dry-run", write(tmp_path, SCHEDULE_2027))
    assert "检查通过：4 行" in out
    assert overrides_of(tenant_a) == {}


def test_an_unknown_tenant_or_missing_file_is_a_clear_error(tenant_a, tmp_path):
    with pytest.raises(CommandError, match="找不到标识为“nobody”的租户"):
        load("--tenant", "nobody", write(tmp_path, SCHEDULE_2027))
    with pytest.raises(CommandError, match="无法读取文件"):
        load("--tenant", "tenant-a", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件中没有数据行"),
        (b"date,kind,note\n", "文件中没有数据行"),
        (b"\xff\xfe\x00\x00\xff", "无法识别文件编码"),
        ("2027-01-01,休息日,".encode() + "长".encode() * 201, "说明超过 200 个字"),
    ],
)
def test_the_parser_explains_empty_unreadable_and_oversized_input(data, message):
    parsed = holiday_file_parse(data)
    assert not parsed.is_valid
    assert message in parsed.errors[0]
