"""Reads for the training pages: the calendar, courses, a session's roster, a member's own record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from training.models import Attendance, Certification, Course, TrainingPlanItem, TrainingSession
from training.services import required_audiences
from training.services.courses import EXPIRY_NOTICE_DAYS
from yuqing.tenancy.models import Membership, Tenant


def sessions_between(*, tenant: Tenant, start: dt.datetime, end: dt.datetime) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.for_tenant(tenant)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("course", "trainer__user")
        .order_by("starts_at")
    )


def course_list(*, tenant: Tenant) -> QuerySet[Course]:
    return (
        Course.objects.for_tenant(tenant)
        .annotate(
            session_count=Count("sessions", distinct=True),
            holder_count=Count("certifications__member", distinct=True),
        )
        .order_by("-is_required", "title")
    )


def course_sessions(*, tenant: Tenant, course: Course) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.for_tenant(tenant)
        .filter(course=course)
        .select_related("trainer__user")
        .annotate(
            attended_count=Count("attendances", filter=Q(attendances__attended=True)),
            passed_count=Count("attendances", filter=Q(attendances__passed=True)),
        )
        .order_by("-starts_at")
    )


def session_roster(*, tenant: Tenant, session: TrainingSession) -> list[tuple[Membership, Attendance | None]]:
    """Every active member with their attendance row of this session (or None): two queries."""
    attendances = {a.member_id: a for a in Attendance.objects.for_tenant(tenant).filter(session=session)}
    members = (
        Membership.objects.for_tenant(tenant)
        .filter(Q(is_active=True) | Q(pk__in=list(attendances)))
        .select_related("user", "department")
        .order_by("department__name", "user__display_name", "user__username")
    )
    return [(member, attendances.get(member.pk)) for member in members]


@dataclass
class MyRecord:
    certifications: list[Certification]
    expiring: list[Certification]
    missing: list[Course]


def my_record(*, tenant: Tenant, member: Membership, now: dt.datetime) -> MyRecord:
    certifications = list(
        Certification.objects.for_tenant(tenant).filter(member=member).select_related("course").order_by("-issued_at")
    )
    valid = {c.course_id for c in certifications if c.expires_at is None or c.expires_at > now}
    horizon = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    renewed = {
        c.course_id for c in certifications if c.expires_at is None or c.expires_at > horizon
    }  # a later one covers the expiring one
    expiring = [
        c
        for c in certifications
        if c.expires_at is not None and now < c.expires_at <= horizon and c.course_id not in renewed
    ]
    missing = [
        course
        for course, audience in required_audiences(tenant).values()
        if audience.includes(member.department_id, member.role) and course.pk not in valid
    ]
    return MyRecord(certifications, expiring, missing)


def upcoming_sessions(*, tenant: Tenant, courses: list[Course], now: dt.datetime) -> dict[int, TrainingSession]:
    """The next session of each of `courses` (one query)."""
    result: dict[int, TrainingSession] = {}
    for session in (
        TrainingSession.objects.for_tenant(tenant)
        .filter(course__in=courses, starts_at__gt=now)
        .order_by("starts_at")
        .prefetch_related(Prefetch("course"))
    ):
        result.setdefault(session.course_id, session)
    return result


def plan_items(*, tenant: Tenant, year: int) -> QuerySet[TrainingPlanItem]:
    """The year's training plan, by department then quarter."""
    return (
        TrainingPlanItem.objects.for_tenant(tenant)
        .filter(year=year)
        .select_related("department", "course")
        .order_by("department__name", "quarter", "course__title")
    )
