"""The incident list's filters narrow correctly with choices of the tenant only; htmx gets rows;
the page costs the same number of queries whatever the number of incidents."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from incidents.models import Incident, Severity
from incidents.services.incidents import incident_natures_ensure, incident_update
from incidents.services.sla import sla_pause
from tests.incidents.factories import advance_to, department_of, open_incident
from tests.incidents.portal_support import HTMX, NOW, html, rows
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:incident-list")


def listed(client, **params) -> set[str]:
    return set(rows(html(client.get(LIST, params))))


def opened(tenant, actor, hours_ago: float, **fields) -> Incident:
    with time_machine.travel(NOW - dt.timedelta(hours=hours_ago), tick=False):
        return open_incident(tenant, actor, **fields)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sla_world(tenant_a, admin_a) -> dict[str, Incident]:
    # Severity III: first response within 4 h on a 7×24 clock, warned at 80 % (3 h 12 min).
    world = {
        "on_track": opened(tenant_a, admin_a.user, 1, title="正常事件", severity=Severity.III),
        "at_risk": opened(tenant_a, admin_a.user, 3.5, title="即将超时事件", severity=Severity.III),
        "breached": opened(tenant_a, admin_a.user, 5, title="已超时事件", severity=Severity.III),
        "paused": opened(tenant_a, admin_a.user, 0.2, title="暂停事件", severity=Severity.I),
    }
    sla_pause(tenant=tenant_a, actor=admin_a.user, incident=world["paused"], reason="等待监管回复")
    return world


@pytest.mark.parametrize("state", ["on_track", "at_risk", "breached", "paused"])
def test_the_sla_filter_finds_each_state(client_a, sla_world, state):
    assert listed(client_a, sla=state) == {str(sla_world[state].pk)}


def test_each_row_shows_its_sla_state(client_a, sla_world):
    text = html(client_a.get(LIST))
    for state, incident in sla_world.items():
        row = text.split(f'data-incident="{incident.pk}"')[1].split("</tr>")[0]
        assert f'data-sla="{state}"' in row


def test_severity_phase_and_text_filters(client_a, tenant_a, admin_a):
    red = open_incident(tenant_a, admin_a.user, title="网传城投平台债务逾期", severity=Severity.I)
    blue = open_incident(tenant_a, admin_a.user, title="客服录音被剪辑", severity=Severity.IV, summary="小红书")
    moved = advance_to(open_incident(tenant_a, admin_a.user, title="监管约谈传闻"), "analysis", actor=admin_a.user)
    assert listed(client_a, severity=1) == {str(red.pk)}
    assert listed(client_a, phase="analysis") == {str(moved.pk)}
    assert listed(client_a, phase="open") == {str(red.pk), str(blue.pk), str(moved.pk)}
    assert listed(client_a, q="城投") == {str(red.pk)}
    assert listed(client_a, q="小红书") == {str(blue.pk)}  # the summary counts
    assert listed(client_a, q=red.code) == {str(red.pk)}


def test_nature_and_department_filters_offer_only_this_tenants_choices(client_a, tenant_a, tenant_b, admin_a):
    natures = incident_natures_ensure(tenant=tenant_a)
    rumour = next(n for n in natures if n.name == "谣言")
    incident_natures_ensure(tenant=tenant_b)
    foreign_nature = incident_natures_ensure(tenant=tenant_b)[0]
    pr = department_of(tenant_a, Department.Kind.PR)
    tagged = open_incident(tenant_a, admin_a.user, title="谣言事件", nature=rumour, departments=[pr])
    open_incident(tenant_a, admin_a.user, title="其他事件")

    assert listed(client_a, nature=rumour.pk) == {str(tagged.pk)}
    assert listed(client_a, department=pr.pk) == {str(tagged.pk)}

    response = client_a.get(LIST)
    form = response.context["filter"].form
    assert set(form.fields["nature"].queryset) == set(natures)
    assert {d.tenant_id for d in form.fields["department"].queryset} == {tenant_a.pk}

    refused = html(client_a.get(LIST, {"nature": foreign_nature.pk}))
    assert "请选择本机构的事件性质。" in refused
    refused = html(client_a.get(LIST, {"department": department_of(tenant_b, Department.Kind.PR).pk}))
    assert "请选择本机构的部门。" in refused


def test_a_department_filter_lists_an_incident_once(client_a, tenant_a, admin_a):
    pr, legal = department_of(tenant_a, Department.Kind.PR), department_of(tenant_a, Department.Kind.LEGAL)
    incident = open_incident(tenant_a, admin_a.user, departments=[pr, legal])
    assert rows(html(client_a.get(LIST, {"department": pr.pk}))) == [str(incident.pk)]


def test_the_tier_filter_follows_the_linked_customers(client_a, tenant_a, admin_a):
    vip = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="某建工集团", tier="vip")
    standard = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="某贸易公司")
    with_vip = open_incident(tenant_a, admin_a.user, title="VIP 事件")
    incident_update(tenant=tenant_a, actor=admin_a.user, incident=with_vip, customers=[vip, standard])
    plain = open_incident(tenant_a, admin_a.user, title="普通事件", customers=[standard])
    assert rows(html(client_a.get(LIST, {"tier": "vip"}))) == [str(with_vip.pk)]
    assert set(rows(html(client_a.get(LIST, {"tier": "standard"})))) == {str(with_vip.pk), str(plain.pk)}


def test_the_date_range_is_in_the_tenants_days(client_a, tenant_a, admin_a):
    # Days are Shanghai days: 07:00 on the 9th belongs to the 9th, though in UTC it is the 8th.
    late = opened(tenant_a, admin_a.user, 10.5, title="昨夜事件")  # 2026-03-08 23:30 Shanghai
    today = opened(tenant_a, admin_a.user, 3, title="今晨事件")  # 2026-03-09 07:00 Shanghai, still the 8th in UTC
    assert listed(client_a, opened_from="2026-03-09") == {str(today.pk)}
    assert listed(client_a, opened_to="2026-03-08") == {str(late.pk)}
    assert listed(client_a, opened_from="2026-03-08", opened_to="2026-03-09") == {str(late.pk), str(today.pk)}


def test_a_reversed_date_range_says_so(client_a):
    text = html(client_a.get(LIST, {"opened_from": "2026-03-09", "opened_to": "2026-03-01"}))
    assert "开始日期不能晚于结束日期。" in text


def test_htmx_gets_only_the_rows(client_a, tenant_a, admin_a):
    open_incident(tenant_a, admin_a.user, title="行内事件")
    response = client_a.get(LIST, {"q": "行内"}, **HTMX)
    text = html(response)
    assert text.lstrip().startswith("{") is False and 'id="incident-rows"' in text and "<html" not in text
    assert "行内事件" in text
    assert "HX-Request" in response["Vary"]


def test_the_list_pages_by_fifty(client_a, tenant_a, admin_a):
    for index in range(51):
        open_incident(tenant_a, admin_a.user, title=f"事件{index}")
    response = client_a.get(LIST)
    assert len(response.context["page_obj"].object_list) == 50
    assert response.context["page_obj"].paginator.num_pages == 2


def test_other_tenants_incidents_never_show(client_b, tenant_a, admin_a):
    open_incident(tenant_a, admin_a.user, title="甲方事件")
    assert "甲方事件" not in html(client_b.get(LIST))
    assert "甲方事件" not in html(client_b.get(reverse("incidents:incident-board")))


def _filled(tenant, admin, count: int, start: int) -> None:
    natures = incident_natures_ensure(tenant=tenant)
    pr = department_of(tenant, Department.Kind.PR)
    for index in range(start, start + count):
        customer = Customer.objects.create(tenant=tenant, kind="enterprise", name=f"客户{index}")
        open_incident(
            tenant,
            admin.user,
            title=f"事件{index}",
            severity=Severity(index % 4 + 1),
            nature=natures[index % len(natures)],
            owner=admin,
            departments=[pr],
            customers=[customer],
        )


@pytest.mark.parametrize("name", ["incidents:incident-list", "incidents:incident-board"])
def test_the_query_count_does_not_grow_with_the_incidents(client_a, tenant_a, admin_a, name):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(reverse(name)).status_code == 200
        return len(queries)

    _filled(tenant_a, admin_a, 5, 0)
    few = count()
    _filled(tenant_a, admin_a, 45, 5)
    assert count() == few
