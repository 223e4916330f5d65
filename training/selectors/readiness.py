"""Training readiness per department, in a constant number of queries whatever the tenant's size.

Queries: the departments; the required courses and their audiences (3); per member, computed by
the database in one grouped query, how many required courses of their own audience they hold a
valid certification in; the active members. Python then only adds up rows already fetched.
Customer service (客服) comes first: front-line staff are the first audience.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from training.models import Certification, CourseDepartment, CourseRole
from training.services import required_audiences
from yuqing.tenancy.models import Department, Membership, Tenant

KIND_ORDER = [Department.Kind.CUSTOMER_SERVICE]


@dataclass
class OverduePerson:
    member_id: int
    name: str
    missing: int


@dataclass
class DepartmentReadiness:
    department_id: int | None
    name: str
    kind: str
    members: int = 0
    certified: int = 0  # members with every required course of their audience valid now
    overdue: int = 0  # required course × member pairs missing or expired
    overdue_people: list[OverduePerson] = field(default_factory=list)

    @property
    def share_certified(self) -> float:
        return self.certified / self.members if self.members else 1.0

    @property
    def share_percent(self) -> int:
        return round(self.share_certified * 100)

    @property
    def is_front_line(self) -> bool:
        return self.kind == Department.Kind.CUSTOMER_SERVICE


def _valid_required_counts(tenant: Tenant, now: dt.datetime, everyone: list[int]) -> dict[int, int]:
    """Per active member: the distinct required courses of their own audience held valid at `now`.

    One grouped query over the certifications (≤ one row per member): a certification counts when
    its course is for everyone, or for the member's department, or for the member's role.
    """
    for_department = CourseDepartment.objects.for_tenant(tenant).filter(
        course=OuterRef("course"), department=OuterRef("member__department")
    )
    for_role = CourseRole.objects.for_tenant(tenant).filter(course=OuterRef("course"), role=OuterRef("member__role"))
    rows = (
        Certification.objects.for_tenant(tenant)
        .filter(member__is_active=True, course__is_required=True, course__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(course_id__in=everyone) | Exists(for_department) | Exists(for_role))
        .order_by()
        .values("member")
        .annotate(n=Count("course", distinct=True))
        .values_list("member", "n")
    )
    return dict(rows)


def department_readiness(*, tenant: Tenant, now: dt.datetime, people_limit: int = 50) -> list[DepartmentReadiness]:
    """One entry per active department with members (and one for members without a department)."""
    audiences = list(required_audiences(tenant).values())
    departments = {
        d.pk: DepartmentReadiness(d.pk, d.name, d.kind)
        for d in Department.objects.for_tenant(tenant).filter(is_active=True)
    }
    everyone = [course.pk for course, audience in audiences if not audience.departments and not audience.roles]
    valid_counts = _valid_required_counts(tenant, now, everyone)
    rows = (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .values_list("pk", "department_id", "role", "user__display_name", "user__username")
        .order_by("user__display_name", "user__username")
    )
    required_cache: dict[tuple[int | None, str], int] = {}
    no_department: DepartmentReadiness | None = None
    for pk, department_id, role, display_name, username in rows:
        valid = valid_counts.get(pk, 0)
        entry = departments.get(department_id)
        if entry is None:
            if no_department is None:
                no_department = DepartmentReadiness(None, "", Department.Kind.OTHER)
            entry = no_department
        key = (department_id, role)
        if key not in required_cache:
            required_cache[key] = sum(1 for _course, audience in audiences if audience.includes(department_id, role))
        missing = max(required_cache[key] - valid, 0)
        entry.members += 1
        if missing:
            entry.overdue += missing
            if len(entry.overdue_people) < people_limit:
                entry.overdue_people.append(OverduePerson(pk, display_name or username, missing))
        else:
            entry.certified += 1
    result = [entry for entry in departments.values() if entry.members]
    if no_department is not None:
        result.append(no_department)
    result.sort(key=lambda e: (e.kind not in KIND_ORDER, e.department_id is None, e.name))
    return result
