"""An admin loads the State Council notice in the portal: preview, confirm, replace, audited, own tenant only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.workcalendar.deadlines import SHANGHAI, Basis, ClockKind, DaySource, deadline_info
from yuqing.workcalendar.models import HolidayNotice
from yuqing.workcalendar.selectors import calendar_for_tenant
from yuqing.workcalendar.services import holiday_notice_load

NOTICE_2026 = (Path(__file__).parent / "fixtures" / "notice_2026.txt").read_text(encoding="utf-8")
NOTICE_2027 = (
    "国务院办公厅关于2027年部分节假日安排的通知\n"
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。"
    "2月20日（周六）上班。\n"
)
LOAD = reverse("workcalendar:notice-load")


def notices(tenant) -> list[HolidayNotice]:
    return list(HolidayNotice.objects.for_tenant(tenant).order_by("year"))


def test_the_preview_shows_days_off_and_make_up_days_and_stores_nothing(client_a, tenant_a):
    response = client_a.post(LOAD, {"year": 2026, "text": NOTICE_2026, "action": "preview"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "放假 33 天，调休上班 6 天。" in body
    assert 'data-holiday="春节"' in body and "02-28" in body
    assert 'value="confirm"' in body
    assert notices(tenant_a) == []
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="calendar.notice").exists()


def test_confirming_stores_the_notice_and_its_audit_event_and_deadlines_follow_it(client_a, tenant_a, admin_a):
    start = dt.datetime(2027, 2, 4, 10, tzinfo=SHANGHAI)
    before = deadline_info(calendar_for_tenant(tenant=tenant_a), ClockKind.WORKING_DAYS, start, 1)
    assert before.basis is Basis.COMPUTED
    response = client_a.post(LOAD, {"year": 2027, "text": NOTICE_2027, "action": "confirm"})
    (notice,) = notices(tenant_a)
    assert response.status_code == 302 and response.url == reverse("workcalendar:notice-detail", args=[notice.pk])
    assert notice.year == 2027 and notice.loaded_by == admin_a.user and notice.text == NOTICE_2027
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="calendar.notice_load")
    assert event.object_id == str(notice.pk)
    assert event.changes["after"]["working_days"] == ["2027-02-20"]
    cal = calendar_for_tenant(tenant=tenant_a)
    assert cal.day_status(dt.date(2027, 2, 20)).is_working  # a Saturday made a working day
    assert cal.day_status(dt.date(2027, 3, 1)).source is DaySource.NOTICE
    after = deadline_info(cal, ClockKind.WORKING_DAYS, start, 1)
    assert after.at == dt.datetime(2027, 2, 16, tzinfo=SHANGHAI)  # 02-05..02-12 off, then Mon 02-15
    assert after.basis is Basis.ANNOUNCED
    detail = client_a.get(response.url).content.decode()
    assert "2027-02-20" in detail and "工作日" in detail


def test_an_uploaded_gbk_text_file_is_read(client_a, tenant_a):
    upload = SimpleUploadedFile("2026.txt", NOTICE_2026.encode("gb18030"), content_type="text/plain")
    response = client_a.post(LOAD, {"year": 2026, "file": upload, "action": "confirm"})
    assert response.status_code == 302
    assert len(notices(tenant_a)[0].days) == 39


def test_replacing_a_year_keeps_one_row_and_audits_before_and_after(client_a, tenant_a):
    client_a.post(LOAD, {"year": 2027, "text": NOTICE_2027, "action": "confirm"})
    preview = client_a.post(
        LOAD, {"year": 2027, "text": NOTICE_2027.replace("2月20日", "2月13日"), "action": "preview"}
    )
    assert "确认后将替换" in preview.content.decode()
    client_a.post(LOAD, {"year": 2027, "text": NOTICE_2027.replace("2月20日", "2月13日"), "action": "confirm"})
    (notice,) = notices(tenant_a)
    assert {day["date"] for day in notice.days if day["kind"] == "working_day"} == {"2027-02-13"}
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="calendar.notice_replace")
    assert event.changes["before"]["working_days"] == ["2027-02-20"]
    assert event.changes["after"]["working_days"] == ["2027-02-13"]


def test_a_notice_with_an_error_stores_nothing_and_keeps_the_previous_one(client_a, tenant_a):
    client_a.post(LOAD, {"year": 2027, "text": NOTICE_2027, "action": "confirm"})
    broken = NOTICE_2027.replace("2月20日（周六）", "2月20日（周日）")
    response = client_a.post(LOAD, {"year": 2027, "text": broken, "action": "confirm"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "2月20日 是周六，通知中写作“周日”" in body
    assert 'value="confirm"' not in body
    (notice,) = notices(tenant_a)
    assert notice.text == NOTICE_2027
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="calendar.notice_replace").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": 2027, "text": "  "}, "请粘贴通知正文或上传 .txt 文件。"),
        ({"year": 2024, "text": NOTICE_2027}, "2025"),
        ({"year": "二〇二七", "text": NOTICE_2027}, "整数"),
    ],
)
def test_a_bad_form_is_answered_in_chinese(client_a, tenant_a, data, message):
    response = client_a.post(LOAD, {**data, "action": "confirm"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert notices(tenant_a) == []


def test_a_binary_upload_is_refused_with_a_clear_error(client_a, tenant_a):
    upload = SimpleUploadedFile("2027.txt", b"\xff\xfe\xfa\x00", content_type="text/plain")
    response = client_a.post(LOAD, {"year": 2027, "file": upload, "action": "confirm"})
    assert response.status_code == 400
    assert "无法识别文件编码" in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["handler_a", "viewer_a", "auditor_a"])
def test_only_admins_can_load_a_notice(request, client_for, tenant_a, role_fixture):
    member = request.getfixturevalue(role_fixture)
    client = client_for(member)
    response = client.post(LOAD, {"year": 2027, "text": NOTICE_2027, "action": "confirm"})
    assert response.status_code == 403
    assert notices(tenant_a) == []
    assert client.get(reverse("workcalendar:notice-list")).status_code == 200  # reading is allowed
    assert 'data-form="notice-load"' not in client.get(reverse("workcalendar:notice-list")).content.decode()


def test_the_service_refuses_a_non_admin_and_an_invalid_text(tenant_a, handler_a, admin_a):
    with pytest.raises(PermissionDenied):
        holiday_notice_load(tenant=tenant_a, actor=handler_a.user, year=2027, text=NOTICE_2027)
    with pytest.raises(ValidationError):
        holiday_notice_load(tenant=tenant_a, actor=admin_a.user, year=2027, text="一、元旦：2月30日放假。")
    assert notices(tenant_a) == []


def test_the_audit_event_is_in_the_same_transaction_as_the_notice(tenant_a, admin_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        holiday_notice_load(tenant=tenant_a, actor=admin_a.user, year=2027, text=NOTICE_2027)
        raise RuntimeError("rolled back after the service")
    assert notices(tenant_a) == []
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="calendar.notice_load").exists()


def test_another_tenants_notice_is_a_404_and_never_changes_this_tenants_calendar(
    client_a, client_b, tenant_a, tenant_b
):
    client_a.post(LOAD, {"year": 2027, "text": NOTICE_2027, "action": "confirm"})
    (notice,) = notices(tenant_a)
    assert client_b.get(reverse("workcalendar:notice-detail", args=[notice.pk])).status_code == 404
    assert (
        "2027"
        not in client_b.get(reverse("workcalendar:notice-list"))
        .content.decode()
        .split('data-section="notices"')[1]
        .split("</table>")[0]
    )
    assert calendar_for_tenant(tenant=tenant_b).day_status(dt.date(2027, 2, 20)).is_working is False
    assert calendar_for_tenant(tenant=tenant_b).notice_years == frozenset()


def test_an_upload_that_is_not_a_text_file_or_too_long_is_refused(client_a, tenant_a):
    pdf = SimpleUploadedFile("2027.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client_a.post(LOAD, {"year": 2027, "file": pdf, "action": "confirm"})
    assert response.status_code == 400 and "请上传 .txt 纯文本文件。" in response.content.decode()
    response = client_a.post(LOAD, {"year": 2027, "text": "一" * 20_001, "action": "confirm"})
    assert response.status_code == 400
    assert notices(tenant_a) == []
