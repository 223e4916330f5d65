"""seed_demo loads two demo tenants with staff everywhere, and a second run changes nothing."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.demo import DEMO_PASSWORD
from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.services import DEFAULT_DEPARTMENTS


@pytest.fixture(autouse=True)
def frozen_clock():
    # A make-up working Saturday, at night: the hours when the demo used to fail (no wall clock in tests).
    with time_machine.travel(dt.datetime(2026, 2, 14, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The demo sets ~25 passwords; the default PBKDF2 would make each test take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def memberships(slug: str):
    tenant = Tenant.objects.get(slug=slug)
    return Membership.objects.for_tenant(tenant).select_related("user", "department")


def test_it_creates_two_tenants_each_with_its_admin(db):
    seed()
    assert set(Tenant.objects.values_list("slug", flat=True)) == {"demo-a", "demo-b"}
    assert memberships("demo-a").get(user__username="admin_a").role == Role.ADMIN
    assert memberships("demo-b").get(user__username="admin_b").role == Role.ADMIN
    assert not memberships("demo-a").filter(user__username="admin_b").exists()


def test_every_default_department_is_staffed_in_several_roles(db):
    seed()
    for slug in ("demo-a", "demo-b"):
        rows = list(memberships(slug))
        staffed = {membership.department.kind for membership in rows if membership.department}
        assert staffed == {kind for kind, _name in DEFAULT_DEPARTMENTS}
        assert {membership.role for membership in rows} >= {
            Role.ADMIN,
            Role.MANAGER,
            Role.HANDLER,
            Role.VIEWER,
            Role.AUDITOR,
        }
        assert all(membership.user.display_name for membership in rows)
        assert Department.objects.for_tenant(Tenant.objects.get(slug=slug)).count() == 6


def test_wangmin_is_manager_in_demo_a_and_auditor_in_demo_b(db):
    seed()
    wangmin = User.objects.get(username="wangmin")
    assert wangmin.display_name == "王敏"
    assert memberships("demo-a").get(user=wangmin).role == Role.MANAGER
    assert memberships("demo-b").get(user=wangmin).role == Role.AUDITOR
    assert memberships("demo-a").get(user=wangmin).title == "集团舆情中心"


def test_demo_users_sign_in_with_the_printed_password(db, client):
    output = seed()
    assert DEMO_PASSWORD in output
    assert "admin_a" in output and "wangmin" in output and "http://" in output
    assert all(user.check_password(DEMO_PASSWORD) for user in User.objects.all())
    response = client.post(reverse("login"), {"username": "wangmin", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_the_audit_trail_records_the_demo_data(db):
    seed()
    tenant = Tenant.objects.get(slug="demo-a")
    actions = list(AuditEvent.objects.for_tenant(tenant).values_list("action", flat=True))
    assert "tenant.create" in actions
    assert actions.count("membership.add") == memberships("demo-a").count()


def test_running_it_twice_changes_nothing(db):
    seed()
    wangmin_hash = User.objects.get(username="wangmin").password

    def snapshot():
        return (
            Tenant.objects.count(),
            User.objects.count(),
            Membership.objects.dangerously_all_tenants().count(),
            Department.objects.dangerously_all_tenants().count(),
            AuditEvent.objects.dangerously_all_tenants().count(),
        )

    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert User.objects.get(username="wangmin").password == wangmin_hash
    assert "未做任何修改" in output


def test_it_adds_only_what_is_missing(db):
    seed()
    tenant = Tenant.objects.get(slug="demo-b")
    Membership.objects.for_tenant(tenant).filter(user__username="songlin").delete()
    seed()
    assert memberships("demo-b").get(user__username="songlin").role == Role.AUDITOR
