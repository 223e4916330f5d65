"""Courses, sessions and attendance: the rules of passing, certification expiry, hostile input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import MembershipFactory, UserFactory
from tests.training.support import NOW, course, passed, session
from training.models import Attendance, Certification, CourseDepartment, CourseRole, Topic
from training.services import (
    AttendanceEntry,
    CourseData,
    add_months,
    attendance_record,
    course_create,
    course_update,
    plan_item_add,
    session_schedule,
)
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.datetime(2026, 1, 31, tzinfo=dt.UTC), 1) == dt.datetime(2026, 2, 28, tzinfo=dt.UTC)
    assert add_months(dt.datetime(2027, 11, 30, tzinfo=dt.UTC), 3) == dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert add_months(dt.datetime(2026, 6, 15, tzinfo=dt.UTC), 24) == dt.datetime(2028, 6, 15, tzinfo=dt.UTC)


def test_a_course_keeps_its_audience_as_tenant_owned_links_and_is_audited(tenant_a, admin_a):
    cs = Department.objects.for_tenant(tenant_a).get(kind=Department.Kind.CUSTOMER_SERVICE)
    created = course_create(
        tenant=tenant_a,
        actor=admin_a.user,
        data=CourseData(
            title="应对话术",
            topic=Topic.SCRIPTS,
            is_required=True,
            departments=[cs],
            roles=[Role.MANAGER, Role.MANAGER],
        ),
    )
    assert list(CourseDepartment.objects.for_tenant(tenant_a).values_list("department", flat=True)) == [cs.pk]
    assert list(CourseRole.objects.for_tenant(tenant_a).values_list("role", flat=True)) == [Role.MANAGER]
    course_update(
        tenant=tenant_a, actor=admin_a.user, course=created, data=CourseData(title="应对话术", pass_mark=80, roles=[])
    )
    assert not CourseDepartment.objects.for_tenant(tenant_a).exists()
    assert not CourseRole.objects.for_tenant(tenant_a).exists()
    actions = list(
        AuditEvent.objects.for_tenant(tenant_a)
        .filter(action__startswith="training.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["training.course_create", "training.course_update"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a", "pass_mark": 101}, "pass_mark"),
        ({"title": "a", "pass_mark": -1}, "pass_mark"),
        ({"title": "a", "validity_months": 121}, "validity_months"),
        ({"title": "a", "topic": "<script>"}, "topic"),
        ({"title": "a", "roles": ["root"]}, "roles"),
    ],
)
def test_course_input_is_checked(tenant_a, data, field):
    with pytest.raises(ValidationError) as error:
        course_create(tenant=tenant_a, actor=None, data=CourseData(**data))
    assert field in error.value.message_dict


def test_titles_are_unique_per_tenant_not_globally(tenant_a, tenant_b):
    course(tenant_a, "个人信息保护")
    course(tenant_b, "个人信息保护")
    with pytest.raises(ValidationError):
        course(tenant_a, "个人信息保护")


def test_another_tenants_department_cannot_be_an_audience(tenant_a, tenant_b):
    foreign = Department.objects.for_tenant(tenant_b).first()
    with pytest.raises(ValidationError):
        course_create(tenant=tenant_a, actor=None, data=CourseData(title="x", departments=[foreign]))


def test_handlers_may_not_manage_courses(tenant_a, handler_a):
    with pytest.raises(PermissionDenied):
        course_create(tenant=tenant_a, actor=handler_a.user, data=CourseData(title="x"))


def test_a_pass_issues_a_certification_that_expires_after_the_validity(tenant_a, admin_a, handler_a):
    c = course(tenant_a, validity_months=12, pass_mark=70)
    s = session(tenant_a, c, ends_at=NOW)
    attendance_record(
        tenant=tenant_a,
        actor=admin_a.user,
        session=s,
        entries=[
            AttendanceEntry(member=admin_a, attended=True, score=70),
            AttendanceEntry(member=handler_a, attended=True, score=69),
        ],
    )
    certification = Certification.objects.for_tenant(tenant_a).get()
    assert certification.member == admin_a
    assert certification.issued_at == NOW
    assert certification.expires_at == dt.datetime(2027, 6, 15, 2, 0, tzinfo=dt.UTC)
    assert list(Attendance.objects.for_tenant(tenant_a).order_by("score").values_list("passed", flat=True)) == [
        False,
        True,
    ]


def test_validity_zero_never_expires_and_recording_twice_issues_once(tenant_a, admin_a):
    c = course(tenant_a, validity_months=0)
    s = session(tenant_a, c, ends_at=NOW)
    passed(tenant_a, s, admin_a)
    passed(tenant_a, s, admin_a)
    assert Certification.objects.for_tenant(tenant_a).get().expires_at is None
    assert Attendance.objects.for_tenant(tenant_a).count() == 1


def test_a_corrected_fail_withdraws_the_certification_of_that_attendance(tenant_a, admin_a):
    s = session(tenant_a, course(tenant_a), ends_at=NOW)
    passed(tenant_a, s, admin_a, score=95)
    passed(tenant_a, s, admin_a, score=20)
    assert not Certification.objects.for_tenant(tenant_a).exists()


@pytest.mark.parametrize("score", [101, -5, "90"])
def test_scores_out_of_range_are_refused(tenant_a, admin_a, score):
    s = session(tenant_a, course(tenant_a), ends_at=NOW)
    with pytest.raises(ValidationError):
        attendance_record(
            tenant=tenant_a,
            actor=None,
            session=s,
            entries=[AttendanceEntry(member=admin_a, attended=True, score=score)],
        )


def test_absent_members_cannot_score_and_foreign_members_are_refused(tenant_a, tenant_b, admin_a):
    s = session(tenant_a, course(tenant_a), ends_at=NOW)
    with pytest.raises(ValidationError):
        attendance_record(
            tenant=tenant_a, actor=None, session=s, entries=[AttendanceEntry(member=admin_a, attended=False, score=90)]
        )
    foreign = MembershipFactory(tenant=tenant_b, user=UserFactory(username="b_person"))
    with pytest.raises(ValidationError):
        attendance_record(
            tenant=tenant_a, actor=None, session=s, entries=[AttendanceEntry(member=foreign, attended=True, score=90)]
        )


def test_a_session_needs_an_order_a_place_and_a_real_url(tenant_a):
    c = course(tenant_a)
    with pytest.raises(ValidationError) as error:
        session_schedule(tenant=tenant_a, actor=None, course=c, starts_at=NOW, ends_at=NOW)
    assert {"ends_at", "place"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        session_schedule(
            tenant=tenant_a,
            actor=None,
            course=c,
            starts_at=NOW,
            ends_at=NOW + dt.timedelta(hours=1),
            online_url="javascript:alert(1)",
        )
    assert "online_url" in error.value.message_dict


def test_materials_are_sniffed_by_content(tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = course(tenant_a)
    fake = SimpleUploadedFile("slides.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        session(tenant_a, c, ends_at=NOW, materials=fake)
    assert "materials" in error.value.message_dict
    with pytest.raises(ValidationError):
        session(tenant_a, c, ends_at=NOW, materials=SimpleUploadedFile("run.exe", b"MZ"))
    good = session(tenant_a, c, ends_at=NOW, materials=SimpleUploadedFile("讲义.pdf", b"%PDF-1.7\n..."))
    assert good.materials.name.startswith(f"training/{tenant_a.pk}/{c.pk}/")
    assert good.materials_type == "application/pdf" and len(good.materials_sha256) == 64


def test_plan_items_are_unique_per_department_year_and_course(tenant_a):
    c = course(tenant_a)
    department = Department.objects.for_tenant(tenant_a).first()
    plan_item_add(tenant=tenant_a, actor=None, department=department, year=2026, course=c, quarter=2)
    with pytest.raises(ValidationError):
        plan_item_add(tenant=tenant_a, actor=None, department=department, year=2026, course=c, quarter=3)
    with pytest.raises(ValidationError):
        plan_item_add(tenant=tenant_a, actor=None, department=department, year=2027, course=c, quarter=5)
