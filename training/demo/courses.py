"""Demo data of training: courses, past and upcoming sessions, attendance and certifications.

Relative to now: for every demo tenant, the required courses (customer-service scripts for the
front line, personal-information protection for everyone), an optional one, sessions from a year
ago (their certifications expire within the month), three months ago and in the coming weeks; most
staff certified, some expiring soon, some missing. A tenant that already has its courses is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from training.models import Course, Topic
from training.services import (
    AttendanceEntry,
    CourseData,
    attendance_record,
    course_create,
    plan_item_add,
    session_schedule,
)
from yuqing.tenancy.demo import DemoData
from yuqing.tenancy.models import Department, Membership, Role

COURSES = (
    # title, topic, required, validity months, pass mark, department kinds, roles
    ("一线客服舆情应对话术", Topic.SCRIPTS, True, 12, 80, (Department.Kind.CUSTOMER_SERVICE,), ()),
    ("个人信息保护与数据安全", Topic.PERSONAL_INFORMATION, True, 12, 70, (), ()),
    (
        "金融消费者权益保护实务",
        Topic.CONSUMER_PROTECTION,
        True,
        24,
        70,
        (Department.Kind.CUSTOMER_SERVICE, Department.Kind.LEGAL),
        (),
    ),
    ("舆情敏感性与研判", Topic.SENSITIVITY, True, 12, 75, (Department.Kind.PR,), (Role.MANAGER,)),
    ("媒体沟通技巧（选修）", Topic.OTHER, False, 0, 60, (), ()),
)


def _session(tenant, course, trainer, ends_at, place="总部三楼培训室", online_url=""):  # type: ignore[no-untyped-def]
    return session_schedule(
        tenant=tenant,
        actor=None,
        course=course,
        starts_at=ends_at - dt.timedelta(hours=2),
        ends_at=ends_at,
        trainer=trainer,
        place=place,
        online_url=online_url,
    )


def seed_training(demo: DemoData) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for slug, tenant in demo.tenants.items():
        if Course.objects.for_tenant(tenant).exists():
            continue
        departments = {d.kind: d for d in Department.objects.for_tenant(tenant)}
        staff = list(
            Membership.objects.for_tenant(tenant)
            .filter(is_active=True)
            .select_related("user", "department")
            .order_by("pk")
        )
        trainer = next((m for m in staff if m.role == Role.MANAGER), None)
        courses = []
        for title, topic, required, months, mark, kinds, roles in COURSES:
            courses.append(
                course_create(
                    tenant=tenant,
                    actor=None,
                    data=CourseData(
                        title=title,
                        topic=topic,
                        is_required=required,
                        validity_months=months,
                        pass_mark=mark,
                        departments=[departments[k] for k in kinds if k in departments],
                        roles=list(roles),
                    ),
                )
            )
        scripts, privacy, consumer, sensitivity, media = courses
        # A year ago less three weeks: those certifications expire within the month.
        year_ago = _session(tenant, scripts, trainer, now - dt.timedelta(days=365 - 20))
        recent = _session(
            tenant, privacy, trainer, now - dt.timedelta(days=90), online_url="https://meeting.example.com/privacy"
        )
        consumer_past = _session(tenant, consumer, trainer, now - dt.timedelta(days=200))
        sensitivity_past = _session(tenant, sensitivity, trainer, now - dt.timedelta(days=60))
        _session(tenant, scripts, trainer, now + dt.timedelta(days=14))
        _session(
            tenant, privacy, trainer, now + dt.timedelta(days=40), online_url="https://meeting.example.com/privacy-2"
        )
        _session(tenant, media, trainer, now + dt.timedelta(days=7), place="分公司会议室")
        front_line = [m for m in staff if m.department and m.department.kind == Department.Kind.CUSTOMER_SERVICE]
        # Everyone but the last two took the privacy course; one in the middle failed it.
        takers = staff[:-2] if len(staff) >= 6 else staff
        failed = staff[len(staff) // 2] if len(staff) >= 6 else None
        attendance_record(
            tenant=tenant,
            actor=None,
            session=recent,
            entries=[
                AttendanceEntry(member=m, attended=True, score=62 if m is failed else 85 + i % 10)
                for i, m in enumerate(takers)
            ],
        )
        attendance_record(
            tenant=tenant,
            actor=None,
            session=year_ago,
            entries=[AttendanceEntry(member=m, attended=True, score=88) for m in front_line],
        )
        attendance_record(
            tenant=tenant,
            actor=None,
            session=consumer_past,
            entries=[
                AttendanceEntry(member=m, attended=True, score=90)
                for m in staff
                if m.department and m.department.kind in (Department.Kind.CUSTOMER_SERVICE, Department.Kind.LEGAL)
            ][:-1],
        )
        attendance_record(
            tenant=tenant,
            actor=None,
            session=sensitivity_past,
            entries=[
                AttendanceEntry(member=m, attended=True, score=80)
                for m in staff
                if (m.department and m.department.kind == Department.Kind.PR) or m.role == Role.MANAGER
            ],
        )
        year = timezone.localdate().year
        for kind, plan in (
            (Department.Kind.CUSTOMER_SERVICE, ((scripts, 1), (privacy, 2), (consumer, 3))),
            (Department.Kind.PR, ((sensitivity, 1), (privacy, 2), (media, 4))),
            (Department.Kind.LEGAL, ((consumer, 2), (privacy, 2))),
        ):
            if kind in departments:
                for planned, quarter in plan:
                    plan_item_add(
                        tenant=tenant,
                        actor=None,
                        department=departments[kind],
                        year=year,
                        course=planned,
                        quarter=quarter,
                    )
        demo.created += len(courses)
        demo.log(f"培训 {slug}：{len(courses)} 门课程、7 个场次")
