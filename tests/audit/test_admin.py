"""The audit trail in the Django admin: readable by the tenant's admins, never writable by anyone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.tenancy.models import Membership, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin_a(client_for, admin_a: Membership) -> Client:
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


@pytest.fixture
def superuser_client(db) -> Client:
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _count(tenant: Tenant) -> int:
    return AuditEvent.objects.for_tenant(tenant).count()


def test_a_tenant_admin_reads_only_their_tenants_events(
    staff_admin_a: Client, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    audit_record(tenant=tenant_b, actor=None, action="secret.b_only", object_repr="乙信托内部事项")
    own = audit_record(tenant=tenant_a, actor=None, action="test.own", object_repr="甲行事项")

    listing = staff_admin_a.get(reverse("admin:audit_auditevent_changelist"))
    other = AuditEvent.objects.for_tenant(tenant_b).get(action="secret.b_only")

    assert listing.status_code == 200
    assert "甲行事项" in listing.content.decode()
    assert "乙信托内部事项" not in listing.content.decode()
    assert staff_admin_a.get(reverse("admin:audit_auditevent_change", args=[own.pk])).status_code == 200
    assert staff_admin_a.get(reverse("admin:audit_auditevent_change", args=[other.pk])).status_code == 404


def test_nobody_can_add_change_or_delete_in_the_admin(
    staff_admin_a: Client, superuser_client: Client, tenant_a: Tenant
) -> None:
    event = audit_record(tenant=tenant_a, actor=None, action="test.own", object_repr="甲行事项")
    before = _count(tenant_a)

    for client in (staff_admin_a, superuser_client):
        assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
        assert client.post(reverse("admin:audit_auditevent_add"), {"action": "forged"}).status_code == 403
        assert (
            client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "forged"}).status_code
            == 403
        )
        assert (
            client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
        )
        changelist = client.post(
            reverse("admin:audit_auditevent_changelist"),
            {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
        )
        assert changelist.status_code in (200, 302)

    assert _count(tenant_a) == before
    assert AuditEvent.objects.for_tenant(tenant_a).get(pk=event.pk).action == "test.own"


def test_a_superuser_sees_every_tenants_events(superuser_client: Client, tenant_a: Tenant, tenant_b: Tenant) -> None:
    audit_record(tenant=tenant_b, actor=None, action="secret.b_only", object_repr="乙信托内部事项")
    audit_record(tenant=tenant_a, actor=None, action="test.own", object_repr="甲行事项")

    content = superuser_client.get(reverse("admin:audit_auditevent_changelist")).content.decode()

    assert "甲行事项" in content
    assert "乙信托内部事项" in content


def test_another_tenants_event_answers_404_even_to_writes(staff_admin_a: Client, tenant_b: Tenant) -> None:
    other = audit_record(tenant=tenant_b, actor=None, action="secret.b_only")

    for url in (
        reverse("admin:audit_auditevent_change", args=[other.pk]),
        reverse("admin:audit_auditevent_delete", args=[other.pk]),
        reverse("admin:audit_auditevent_history", args=[other.pk]),
    ):
        assert staff_admin_a.get(url).status_code == 404
        assert staff_admin_a.post(url, {"post": "yes"}).status_code == 404
