"""The audit trail in the portal: who may read it, filtering, paging, htmx, and tenant isolation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.audit.support import append_only_suspended
from tests.factories import MembershipFactory, UserFactory
from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record, changes_between
from yuqing.tenancy.models import Membership, Role, Tenant

pytestmark = pytest.mark.django_db

LIST_URL = reverse("audit:event-list")
ROW_LINK = re.compile(r'href="/audit/(\d+)/"')


def _row_ids(response) -> list[int]:
    return [int(pk) for pk in ROW_LINK.findall(response.content.decode())]


@pytest.fixture
def auditor_client(auditor_a: Membership, client_for) -> Client:
    return client_for(auditor_a)


@pytest.fixture
def events(tenant_a: Tenant, admin_a: Membership, handler_a: Membership) -> dict[str, AuditEvent]:
    """A small trail of tenant A: two people, the system, several actions and objects."""
    return {
        "role": audit_record(
            tenant=tenant_a,
            actor=admin_a.user,
            action="membership.update",
            target=handler_a,
            changes=changes_between({"role": "viewer", "is_active": True}, {"role": "handler", "is_active": False}),
            ip_address="10.0.0.8",
        ),
        "incident": audit_record(
            tenant=tenant_a,
            actor=handler_a.user,
            action="incident.open",
            object_type="incidents.incident",
            object_id="42",
            object_repr="网传甲银行暴雷",
        ),
        "sweep": audit_record(tenant=tenant_a, actor=None, action="sla.sweep", object_repr="SLA 巡检"),
    }


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_admins_and_auditors_see_the_trail(tenant_a: Tenant, events, client_for, role: str) -> None:
    member = MembershipFactory(tenant=tenant_a, user=UserFactory(username=f"reader_{role}"), role=role)

    response = client_for(member).get(LIST_URL)

    assert response.status_code == 200
    assert "网传甲银行暴雷" in response.content.decode()
    assert set(_row_ids(response)) >= {event.pk for event in events.values()}


@pytest.mark.parametrize("role", [Role.HANDLER, Role.VIEWER, Role.MANAGER])
def test_other_roles_are_refused(tenant_a: Tenant, events, client_for, role: str) -> None:
    member = MembershipFactory(tenant=tenant_a, user=UserFactory(username=f"other_{role}"), role=role)
    client = client_for(member)

    assert client.get(LIST_URL).status_code == 403
    assert client.get(reverse("audit:event-detail", args=[events["role"].pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(events) -> None:
    response = Client().get(LIST_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_list_shows_only_the_current_tenants_events(auditor_client: Client, events, tenant_b: Tenant) -> None:
    other = audit_record(tenant=tenant_b, actor=None, action="secret.b_only", object_repr="乙信托内部事项")

    content = auditor_client.get(LIST_URL).content.decode()

    assert "乙信托内部事项" not in content
    assert "secret.b_only" not in content
    assert other.pk not in _row_ids(auditor_client.get(LIST_URL))


def test_filtering_by_action(auditor_client: Client, events) -> None:
    response = auditor_client.get(LIST_URL, {"action": "incident.open"})

    assert _row_ids(response) == [events["incident"].pk]


def test_filtering_by_actor_and_by_the_system(auditor_client: Client, events, handler_a: Membership) -> None:
    assert _row_ids(auditor_client.get(LIST_URL, {"actor": handler_a.user.pk})) == [events["incident"].pk]
    # "null" picks the events no person did (here the sweep and the tenant's creation).
    system_rows = _row_ids(auditor_client.get(LIST_URL, {"actor": "null"}))
    assert events["sweep"].pk in system_rows
    assert events["role"].pk not in system_rows


def test_filtering_by_object_type_id_and_text(auditor_client: Client, events) -> None:
    assert _row_ids(auditor_client.get(LIST_URL, {"object_type": "incidents.incident"})) == [events["incident"].pk]
    assert _row_ids(auditor_client.get(LIST_URL, {"object_id": "42"})) == [events["incident"].pk]
    assert _row_ids(auditor_client.get(LIST_URL, {"q": "暴雷"})) == [events["incident"].pk]
    assert _row_ids(auditor_client.get(LIST_URL, {"q": "sla"})) == [events["sweep"].pk]


def test_filters_combine(auditor_client: Client, events, admin_a: Membership) -> None:
    response = auditor_client.get(LIST_URL, {"actor": admin_a.user.pk, "action": "incident.open"})

    assert _row_ids(response) == []
    assert "没有符合条件的记录" in response.content.decode()


def test_dates_are_the_tenants_local_dates(tenant_a: Tenant, auditor_client: Client) -> None:
    tenant_a.time_zone = "America/New_York"
    tenant_a.save(update_fields=["time_zone"])
    # 03:00 UTC on 2 March is still 1 March (22:00) in New York, and already 2 March in Shanghai.
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        late_evening = audit_record(tenant=tenant_a, actor=None, action="test.late")

    first_of_march = {"date_from": "2026-03-01", "date_to": "2026-03-01", "action": "test.late"}
    second_of_march = {"date_from": "2026-03-02", "date_to": "2026-03-02", "action": "test.late"}

    assert _row_ids(auditor_client.get(LIST_URL, first_of_march)) == [late_evening.pk]
    assert _row_ids(auditor_client.get(LIST_URL, second_of_march)) == []
    assert _row_ids(auditor_client.get(LIST_URL, {"date_from": "2026-03-01", "action": "test.late"})) == [
        late_evening.pk
    ]
    assert _row_ids(auditor_client.get(LIST_URL, {"date_to": "2026-02-28", "action": "test.late"})) == []
    # Shown in the tenant's time too.
    assert "2026-03-01 22:00:00" in auditor_client.get(LIST_URL, first_of_march).content.decode()


def test_a_start_date_after_the_end_date_is_explained(auditor_client: Client, events) -> None:
    response = auditor_client.get(LIST_URL, {"date_from": "2026-05-02", "date_to": "2026-05-01"})

    assert response.status_code == 200
    assert "开始日期不能晚于结束日期。" in response.content.decode()


def test_choices_offer_only_the_tenants_members_and_actions(
    auditor_client: Client, events, admin_b: Membership, handler_a: Membership
) -> None:
    audit_record(tenant=admin_b.tenant, actor=admin_b.user, action="secret.b_only")

    form = auditor_client.get(LIST_URL).context["filterset"].form

    actor_ids = {value for value, _label in form.fields["actor"].choices if value not in ("", "null")}
    assert handler_a.user.pk in {int(str(value)) for value in actor_ids}
    assert admin_b.user.pk not in {int(str(value)) for value in actor_ids}
    actions = {value for value, _label in form.fields["action"].choices}
    assert {"membership.update", "incident.open", "sla.sweep"} <= actions
    assert "secret.b_only" not in actions


def test_another_tenants_member_is_not_a_valid_actor_filter(
    auditor_client: Client, events, admin_b: Membership
) -> None:
    audit_record(tenant=admin_b.tenant, actor=admin_b.user, action="secret.b_only", object_repr="乙信托内部事项")

    response = auditor_client.get(LIST_URL, {"actor": admin_b.user.pk})

    content = response.content.decode()
    assert response.status_code == 200
    assert "乙信托内部事项" not in content
    assert 'class="errorlist' in content


def test_htmx_gets_only_the_rows_fragment(auditor_client: Client, events) -> None:
    response = auditor_client.get(LIST_URL, {"action": "incident.open"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="audit-results"' in content
    assert _row_ids(response) == [events["incident"].pk]
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(auditor_client: Client, events) -> None:
    response = auditor_client.get(LIST_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def test_the_list_pages_by_fifty(tenant_a: Tenant, auditor_client: Client) -> None:
    for number in range(59):
        audit_record(tenant=tenant_a, actor=None, action="test.bulk", object_id=str(number))
    # With tenant_create's event: 60 in all.

    first = auditor_client.get(LIST_URL)
    second = auditor_client.get(LIST_URL, {"page": 2})

    assert len(_row_ids(first)) == 50
    assert len(_row_ids(second)) == 10
    assert set(_row_ids(first)).isdisjoint(_row_ids(second))
    # Newest first.
    newest = AuditEvent.objects.for_tenant(tenant_a).order_by("-sequence").first()
    assert _row_ids(first)[0] == newest.pk


def test_page_links_keep_the_filters(tenant_a: Tenant, auditor_client: Client) -> None:
    for _ in range(51):
        audit_record(tenant=tenant_a, actor=None, action="test.bulk")

    content = auditor_client.get(LIST_URL, {"action": "test.bulk"}).content.decode()

    assert "action=test.bulk&amp;page=2" in content


def test_the_list_does_not_query_per_row(tenant_a: Tenant, auditor_client: Client, admin_a: Membership) -> None:
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert auditor_client.get(LIST_URL).status_code == 200
        return len(captured)

    audit_record(tenant=tenant_a, actor=admin_a.user, action="test.one")
    few = queries_for_page()
    for _ in range(30):
        audit_record(tenant=tenant_a, actor=admin_a.user, action="test.many")

    assert queries_for_page() == few


def test_the_detail_shows_the_changes_and_the_hashes(auditor_client: Client, events) -> None:
    event = events["role"]

    response = auditor_client.get(reverse("audit:event-detail", args=[event.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<td[^>]*>role</td>\s*<td>viewer</td>\s*<td>handler</td>", content)
    assert re.search(r"<td[^>]*>is_active</td>\s*<td>是</td>\s*<td>否</td>", content)
    assert event.hash in content
    assert event.previous_hash in content
    assert "校验通过" in content
    assert "10.0.0.8" in content


def test_the_detail_flags_a_tampered_event(tenant_a: Tenant, auditor_client: Client, events) -> None:
    event = events["incident"]
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["无事发生", event.pk])

    content = auditor_client.get(reverse("audit:event-detail", args=[event.pk])).content.decode()

    assert "校验未通过" in content
    assert "哈希无法复算" in content


def test_another_tenants_event_is_not_found(auditor_client: Client, events, tenant_b: Tenant) -> None:
    other = audit_record(tenant=tenant_b, actor=None, action="secret.b_only", object_repr="乙信托内部事项")

    response = auditor_client.get(reverse("audit:event-detail", args=[other.pk]))
    missing = auditor_client.get(reverse("audit:event-detail", args=[other.pk + 1000]))

    assert response.status_code == 404
    assert missing.status_code == 404
    assert "乙信托内部事项" not in response.content.decode()
