"""Builders for the training tests: courses, sessions and passes through the services."""

from __future__ import annotations

import datetime as dt

from training.models import Course, TrainingSession
from training.services import AttendanceEntry, CourseData, attendance_record, course_create, session_schedule
from yuqing.tenancy.models import Department, Membership, Tenant

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 Beijing time, a Monday


def course(tenant: Tenant, title: str = "舆情敏感性基础", **kwargs: object) -> Course:
    return course_create(tenant=tenant, actor=None, data=CourseData(title=title, **kwargs))


def session(tenant: Tenant, course: Course, ends_at: dt.datetime, **kwargs: object) -> TrainingSession:
    return session_schedule(
        tenant=tenant,
        actor=None,
        course=course,
        starts_at=ends_at - dt.timedelta(hours=2),
        ends_at=ends_at,
        place=kwargs.pop("place", "总部三楼培训室"),
        **kwargs,
    )


def passed(tenant: Tenant, session: TrainingSession, *members: Membership, score: int = 90) -> None:
    attendance_record(
        tenant=tenant,
        actor=None,
        session=session,
        entries=[AttendanceEntry(member=m, attended=True, score=score) for m in members],
    )


def department(tenant: Tenant, kind: str) -> Department:
    return Department.objects.for_tenant(tenant).get(kind=kind)
