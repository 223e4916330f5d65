"""Training pages: course list and detail, sessions, attendance entry, calendar, my record, readiness."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.training.support import NOW, course, passed, session
from training.demo import seed_training
from training.models import Attendance, Certification, Course, TrainingPlanItem, TrainingSession
from training.selectors.readiness import department_readiness
from yuqing.tenancy.demo import DemoData
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    return response.content.decode()


def test_the_course_list_and_creation(client_a, tenant_a):
    cs = Department.objects.for_tenant(tenant_a).get(kind=Department.Kind.CUSTOMER_SERVICE)
    response = client_a.post(
        reverse("training:course-create"),
        {
            "title": "客服应对话术",
            "topic": "scripts",
            "is_required": "on",
            "validity_months": 12,
            "pass_mark": 80,
            "departments": [cs.pk],
        },
    )
    created = Course.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302 and response["Location"] == reverse("training:course-detail", args=[created.pk])
    page = text(client_a.get(reverse("training:course-list")))
    assert "客服应对话术" in page and "必修" in page
    detail = text(client_a.get(reverse("training:course-detail", args=[created.pk])))
    assert "客服中心" in detail and "安排场次" in detail


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "", "topic": "scripts", "validity_months": 12, "pass_mark": 60},
        {"title": "x", "topic": "nope", "validity_months": 12, "pass_mark": 60},
        {"title": "x", "topic": "other", "validity_months": 12, "pass_mark": 1000},
        {"title": "x", "topic": "other", "validity_months": "十二", "pass_mark": 60},
        {"title": "x", "topic": "other", "validity_months": 12, "pass_mark": 60, "departments": ["999999"]},
    ],
)
def test_hostile_course_input_is_a_400_with_nothing_written(client_a, tenant_a, payload):
    assert client_a.post(reverse("training:course-create"), payload).status_code == 400
    assert not Course.objects.for_tenant(tenant_a).exists()


def test_a_handler_sees_the_pages_but_cannot_manage(client_for, handler_a, tenant_a):
    c = course(tenant_a)
    client = client_for(handler_a)
    assert client.get(reverse("training:course-list")).status_code == 200
    assert 'data-form="session-create"' not in text(client.get(reverse("training:course-detail", args=[c.pk])))
    assert client.get(reverse("training:course-create")).status_code == 403


def test_scheduling_a_session_with_materials_and_downloading_them(client_a, tenant_a, admin_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = course(tenant_a)
    response = client_a.post(
        reverse("training:session-create", args=[c.pk]),
        {
            "starts_at": "2026-06-20T09:00",
            "ends_at": "2026-06-20T11:00",
            "trainer": admin_a.pk,
            "place": "三楼",
            "materials": SimpleUploadedFile("讲义.pdf", b"%PDF-1.7 demo"),
        },
    )
    created = TrainingSession.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302
    assert created.starts_at == dt.datetime(2026, 6, 20, 1, 0, tzinfo=dt.UTC)  # entered in Beijing time
    download = client_a.get(reverse("training:materials-download", args=[created.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.7 demo"
    assert download["Cache-Control"] == "private, no-store"
    assert client_a.get(reverse("training:session-create", args=[c.pk])).status_code == 405


def test_a_fake_file_or_a_bad_time_range_is_refused(client_a, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = course(tenant_a)
    response = client_a.post(
        reverse("training:session-create", args=[c.pk]),
        {
            "starts_at": "2026-06-20T09:00",
            "ends_at": "2026-06-20T08:00",
            "place": "三楼",
            "materials": SimpleUploadedFile("讲义.pdf", b"<html><script>"),
        },
    )
    assert response.status_code == 400
    assert "结束时间应晚于开始时间" in text(response) and "文件内容与扩展名" in text(response)
    assert not TrainingSession.objects.for_tenant(tenant_a).exists()


def test_attendance_entry_issues_certifications(client_a, tenant_a, admin_a, handler_a):
    s = session(tenant_a, course(tenant_a, pass_mark=60), ends_at=NOW - dt.timedelta(days=1))
    url = reverse("training:attendance-save", args=[s.pk])
    response = client_a.post(
        url,
        {
            f"attended_{admin_a.pk}": "on",
            f"score_{admin_a.pk}": "75",
            f"attended_{handler_a.pk}": "on",
            f"score_{handler_a.pk}": "59",
        },
    )
    assert response.status_code == 302
    assert list(Certification.objects.for_tenant(tenant_a).values_list("member", flat=True)) == [admin_a.pk]
    page = text(client_a.get(reverse("training:session-detail", args=[s.pk])))
    assert "未通过" in page and "通过" in page


@pytest.mark.parametrize("score", ["abc", "101", "-1", "1e2", "<script>"])
def test_hostile_scores_are_a_400_with_nothing_written(client_a, tenant_a, admin_a, score):
    s = session(tenant_a, course(tenant_a), ends_at=NOW)
    response = client_a.post(
        reverse("training:attendance-save", args=[s.pk]), {f"attended_{admin_a.pk}": "on", f"score_{admin_a.pk}": score}
    )
    assert response.status_code == 400 and "成绩应为 0 到 100 的整数" in text(response)
    assert not Attendance.objects.for_tenant(tenant_a).exists()


def test_the_calendar_shows_the_months_sessions_and_survives_a_bad_month(client_a, tenant_a):
    c = course(tenant_a, "个人信息保护")
    session(tenant_a, c, ends_at=dt.datetime(2026, 6, 18, 3, 0, tzinfo=dt.UTC))
    session(tenant_a, c, ends_at=dt.datetime(2026, 7, 2, 3, 0, tzinfo=dt.UTC))
    page = text(client_a.get(reverse("training:calendar")))
    assert 'data-day="2026-06-18"' in page and "09:00 个人信息保护" in page and "1 个场次" in page
    assert "1 个场次" in text(client_a.get(reverse("training:calendar") + "?month=2026-07"))
    for bad in ("2026-13", "x", "99999-1", "2026-06-01' OR 1=1"):
        assert client_a.get(reverse("training:calendar"), {"month": bad}).status_code == 200


def test_my_record_shows_certifications_expiring_and_missing(client_a, tenant_a, admin_a):
    expiring = course(tenant_a, "应对话术", validity_months=12)
    passed(tenant_a, session(tenant_a, expiring, ends_at=NOW - dt.timedelta(days=350)), admin_a)
    course(tenant_a, "个人信息保护", is_required=True)
    page = text(client_a.get(reverse("training:my-record")))
    missing = page.split('data-section="missing"')[1].split('data-section="expiring"')[0]
    expiring_part = page.split('data-section="expiring"')[1].split('data-section="certifications"')[0]
    assert "个人信息保护" in missing and "应对话术" in expiring_part


def test_the_readiness_page_puts_customer_service_first(client_a, tenant_a, admin_a):
    course(tenant_a, "个人信息保护", is_required=True)
    cs = Department.objects.for_tenant(tenant_a).get(kind=Department.Kind.CUSTOMER_SERVICE)
    admin_a.department = cs
    admin_a.save()
    page = text(client_a.get(reverse("training:readiness")))
    assert "一线客服" in page and "持证齐全 0/1（0%） · 逾期 1 项" in page


def test_the_demo_seeds_every_staff_member_with_some_expiring_and_some_missing(tenant_a, admin_a, handler_a, viewer_a):
    for i in range(6):
        MembershipFactory(tenant=tenant_a, user=UserFactory(username=f"staff{i}"))
    demo = DemoData(log=lambda line: None, tenants={"a": tenant_a})
    seed_training(demo)
    assert Course.objects.for_tenant(tenant_a).count() == 5
    assert TrainingSession.objects.for_tenant(tenant_a).filter(starts_at__gt=NOW).count() == 3
    readiness = department_readiness(tenant=tenant_a, now=NOW)
    assert sum(d.overdue for d in readiness) > 0 and sum(d.certified for d in readiness) > 0
    assert TrainingPlanItem.objects.for_tenant(tenant_a).filter(year=2026).count() == 8
    seed_training(demo)  # a rerun adds nothing
    assert Course.objects.for_tenant(tenant_a).count() == 5


def test_the_yearly_plan_per_department(client_a, client_for, handler_a, tenant_a):
    c = course(tenant_a, "个人信息保护", is_required=True)
    department = Department.objects.for_tenant(tenant_a).get(kind=Department.Kind.CUSTOMER_SERVICE)
    url = reverse("training:training-plan")
    form = {"department": department.pk, "course": c.pk, "year": 2026, "quarter": 3}
    response = client_a.post(url, form)
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    page = text(client_a.get(url, {"year": 2026}))
    assert "客服中心" in page and "Q3" in page and "个人信息保护" in page
    assert client_a.post(url, form).status_code == 400  # the same line twice
    assert client_a.post(url, {**form, "quarter": 9}).status_code == 400
    assert client_a.post(url, {**form, "course": 10**6}).status_code == 400
    assert client_a.get(url, {"year": "x' OR 1=1"}).status_code == 200
    assert client_for(handler_a).post(url, {**form, "year": 2027}).status_code == 403
    assert TrainingPlanItem.objects.for_tenant(tenant_a).count() == 1
