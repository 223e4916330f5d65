"""Readiness per department: figures on a hand-built tenant, customer service first, constant queries."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import MembershipFactory, UserFactory
from tests.training.support import NOW, course
from training.models import Certification
from training.selectors.readiness import department_readiness
from yuqing.tenancy.models import Department, Role
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.django_db

VALID = NOW + dt.timedelta(days=200)
EXPIRED = NOW - dt.timedelta(days=1)


def _person(tenant, username, department, role=Role.HANDLER, **kwargs):
    return MembershipFactory(
        tenant=tenant,
        user=UserFactory(username=username, display_name=username),
        department=department,
        role=role,
        **kwargs,
    )


def _cert(tenant, member, c, expires_at):
    Certification.objects.create(
        tenant=tenant,
        member=member,
        course=c,
        issued_at=(expires_at or NOW) - dt.timedelta(days=365),
        expires_at=expires_at,
    )


@pytest.fixture
def ready():
    tenant = tenant_create(slug="ready", name="就绪银行")
    cs = Department.objects.for_tenant(tenant).get(kind=Department.Kind.CUSTOMER_SERVICE)
    pr = Department.objects.for_tenant(tenant).get(kind=Department.Kind.PR)
    r_cs = course(tenant, "客服应对话术", is_required=True, departments=[cs])
    r_all = course(tenant, "个人信息保护", is_required=True)
    course(tenant, "舆情研判（主管）", is_required=True, roles=[Role.MANAGER])
    optional = course(tenant, "选修：媒体沟通")
    c1, c2 = _person(tenant, "c1", cs), _person(tenant, "c2", cs)
    c3 = _person(tenant, "c3", cs, role=Role.MANAGER)
    p1, p2, p3 = _person(tenant, "p1", pr), _person(tenant, "p2", pr), _person(tenant, "p3", pr)
    _person(tenant, "gone", cs, is_active=False)
    for member, c, expires_at in [
        (c1, r_cs, VALID),
        (c1, r_all, None),  # never expires
        (c2, r_cs, VALID),
        (c2, r_all, EXPIRED),  # expired: overdue
        (c3, r_cs, VALID),
        (c3, r_all, VALID),  # missing the managers' course
        (p1, r_all, VALID),
        (p1, r_all, EXPIRED),  # an old one beside the valid one
        (p2, r_cs, VALID),  # not their audience: does not count
        (p3, optional, VALID),
    ]:
        _cert(tenant, member, c, expires_at)
    return tenant


def test_figures_per_department_with_customer_service_first(ready):
    result = department_readiness(tenant=ready, now=NOW)
    assert [(d.name, d.members, d.certified, d.overdue) for d in result] == [
        ("客服中心", 3, 1, 2),
        ("公关部", 3, 1, 2),
    ]
    assert result[0].is_front_line and result[0].share_percent == 33
    assert [p.name for p in result[0].overdue_people] == ["c2", "c3"]
    assert [(p.name, p.missing) for p in result[1].overdue_people] == [("p2", 1), ("p3", 1)]


def test_time_moving_on_expires_certifications(ready):
    later = department_readiness(tenant=ready, now=VALID + dt.timedelta(days=1))
    assert [(d.certified, d.overdue) for d in later] == [(0, 6), (0, 3)]  # c1 keeps the one that never expires


def test_members_without_a_department_come_last(ready):
    _person(ready, "drifter", None)
    result = department_readiness(tenant=ready, now=NOW)
    assert result[-1].department_id is None and result[-1].members == 1 and result[-1].overdue == 1


def _grow(tenant, n: int) -> None:
    departments = list(Department.objects.for_tenant(tenant))
    extra = [
        course(tenant, f"必修课{n}-{i}", is_required=True, departments=departments[i % 3 : i % 3 + 2]) for i in range(n)
    ]
    for i in range(n * 3):
        member = _person(
            tenant, f"grow{n}-{i}", departments[i % len(departments)], role=[Role.HANDLER, Role.MANAGER][i % 2]
        )
        _cert(tenant, member, extra[i % n], VALID)


def test_the_query_count_does_not_grow_with_the_tenant(ready, django_assert_num_queries):
    with django_assert_num_queries(6):
        small = department_readiness(tenant=ready, now=NOW)
    _grow(ready, 8)
    with django_assert_num_queries(6):
        big = department_readiness(tenant=ready, now=NOW)
    assert sum(d.members for d in big) == sum(d.members for d in small) + 24
