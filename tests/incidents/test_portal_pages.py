"""Incident portal pages: list, board, detail, creation, editing; Chinese errors; tenant isolation."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident, Phase, Severity, SlaClock, TimelineEntry
from incidents.services.incidents import incident_natures_ensure
from tests.incidents.factories import advance_to, department_of, member, open_incident
from tests.incidents.portal_support import NOW, html
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db


def clocks(incident: Incident):
    return SlaClock.objects.for_tenant(incident.tenant).filter(incident=incident)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_list_shows_code_severity_phase_and_sla(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, title="网传城投平台逾期", severity=Severity.II)
    text = html(client_a.get(reverse("incidents:incident-list")))
    assert incident.code in text and "网传城投平台逾期" in text
    assert 'class="badge level-orange" data-severity="2"' in text
    assert 'data-sla="on_track"' in text
    assert "响应与信息收集" in text


def test_the_board_has_a_column_per_open_phase(client_a, tenant_a, admin_a):
    incident = advance_to(open_incident(tenant_a, admin_a.user, title="看板事件"), Phase.PLANNING, actor=admin_a.user)
    text = html(client_a.get(reverse("incidents:incident-board")))
    for phase in (Phase.RESPONSE, Phase.ANALYSIS, Phase.PLANNING, Phase.IMPLEMENTATION, Phase.REVIEW):
        assert f'data-column="{phase}"' in text
    planning = text.split('data-column="planning"')[1].split("data-column=")[0]
    assert f'data-incident="{incident.pk}"' in planning and incident.code in planning


def test_the_detail_page_shows_everything_about_the_incident(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, title="项目停工业主维权", severity=Severity.I, owner=admin_a)
    text = html(client_a.get(reverse("incidents:incident-detail", args=[incident.pk])))
    assert incident.code in text and "项目停工业主维权" in text
    assert 'data-clock="first_response"' in text and 'data-clock="resolution"' in text
    assert "data-countdown" in text
    assert 'id="plans"' in text and "暂无适用于本事件级别的现行应急预案" in text
    assert 'data-form="advance"' in text and 'data-form="task"' in text and 'data-form="evidence"' in text
    assert "登记事件" in text  # the timeline


def test_the_plan_panel_is_only_for_severity_one_and_two(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.III)
    assert 'id="plans"' not in html(client_a.get(reverse("incidents:incident-detail", args=[incident.pk])))


def test_a_viewer_sees_the_incident_but_no_forms(client_for, tenant_a, admin_a, viewer_a):
    incident = open_incident(tenant_a, admin_a.user)
    text = html(client_for(viewer_a).get(reverse("incidents:incident-detail", args=[incident.pk])))
    assert incident.code in text
    assert "data-form=" not in text.replace('data-form="timeline-filter"', "")


def test_creating_an_incident_opens_it_with_clocks(client_a, tenant_a, admin_a):
    natures = incident_natures_ensure(tenant=tenant_a)
    response = client_a.post(
        reverse("incidents:incident-create"),
        {
            "title": "客户投诉暴力催收被自媒体转载",
            "severity": Severity.II,
            "nature": natures[0].pk,
            "summary": "黑猫投诉帖被转载",
            "departments": [department_of(tenant_a, Department.Kind.PR).pk],
            "media_level": "self_media",
            "estimated_reach": "35000",
        },
    )
    incident = Incident.objects.for_tenant(tenant_a).get(title="客户投诉暴力催收被自媒体转载")
    assert response.status_code == 302 and response["Location"] == reverse(
        "incidents:incident-detail", args=[incident.pk]
    )
    assert incident.owner == admin_a  # left blank: the creator answers for it
    assert clocks(incident).count() == 2
    assert incident.estimated_reach == 35000


def test_creating_needs_a_title_and_says_so_in_chinese(client_a, tenant_a):
    response = client_a.post(
        reverse("incidents:incident-create"), {"title": "", "severity": "9", "estimated_reach": "x"}
    )
    text = html(response)
    assert response.status_code == 200
    assert "请填写事件标题。" in text
    assert "选择一个有效的选项" in text or "有效" in text
    assert "请填写整数。" in text
    assert not Incident.objects.for_tenant(tenant_a).exists()


def test_creating_refuses_another_tenants_department(client_a, tenant_a, tenant_b):
    foreign = department_of(tenant_b, Department.Kind.PR)
    response = client_a.post(
        reverse("incidents:incident-create"), {"title": "跨租户", "severity": 4, "departments": [foreign.pk]}
    )
    assert "请选择本机构的部门。" in html(response)
    assert not Incident.objects.for_tenant(tenant_a).exists()


def test_a_future_discovery_time_is_refused(client_a, tenant_a):
    response = client_a.post(
        reverse("incidents:incident-create"), {"title": "未来事件", "severity": 4, "opened_at": "2026-03-10T10:00"}
    )
    assert "发现时间不能晚于当前时间。" in html(response)


def test_a_viewer_cannot_create(client_for, viewer_a):
    client = client_for(viewer_a)
    assert client.get(reverse("incidents:incident-create")).status_code == 403
    assert client.post(reverse("incidents:incident-create"), {"title": "x", "severity": 4}).status_code == 403


def test_editing_the_severity_recomputes_and_records_it(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.IV, owner=admin_a)
    before = clocks(incident).get(kind="resolution").deadline_at
    response = client_a.post(
        reverse("incidents:incident-edit", args=[incident.pk]),
        {"title": incident.title, "severity": Severity.I, "owner": admin_a.pk},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == Severity.I
    assert clocks(incident).get(kind="resolution").deadline_at < before
    assert TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, body__contains="级别").exists()


def test_editing_with_nothing_changed_says_so(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, owner=admin_a)
    response = client_a.post(
        reverse("incidents:incident-edit", args=[incident.pk]),
        {"title": incident.title, "severity": incident.severity, "owner": admin_a.pk},
        follow=True,
    )
    assert "没有需要保存的修改。" in html(response)


def test_a_closed_incident_cannot_be_edited(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, owner=admin_a)
    Incident.objects.for_tenant(tenant_a).filter(pk=incident.pk).update(phase=Phase.CLOSED)
    response = client_a.post(
        reverse("incidents:incident-edit", args=[incident.pk]), {"title": "改标题", "severity": 4, "owner": admin_a.pk}
    )
    assert "事件已关闭，不能再修改" in html(response)


def test_an_owner_without_write_rights_is_refused(client_a, tenant_a, admin_a):
    viewer = member(tenant_a, "kan_only", Role.VIEWER)
    incident = open_incident(tenant_a, admin_a.user, owner=admin_a)
    response = client_a.post(
        reverse("incidents:incident-edit", args=[incident.pk]),
        {"title": incident.title, "severity": incident.severity, "owner": viewer.pk},
    )
    assert "只读角色不能担任负责人。" in html(response)


# --- from a feedback item -------------------------------------------------------------------------


@pytest.fixture
def complaint(tenant_a):
    from customers.models import Customer
    from tests.customers.factories import FeedbackFactory

    customer = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="某建工集团", tier="vip")
    return FeedbackFactory(tenant=tenant_a, customer=customer, subject="催收电话骚扰家人和同事")


def test_the_feedback_page_links_to_escalation(client_a, complaint):
    text = html(client_a.get(reverse("customers:feedback-detail", args=[complaint.pk])))
    assert f'href="{reverse("incidents:incident-create")}?feedback={complaint.pk}"' in text


def test_escalating_a_feedback_item_opens_a_linked_incident(client_a, tenant_a, complaint):
    url = reverse("incidents:incident-create") + f"?feedback={complaint.pk}"
    assert 'value="催收电话骚扰家人和同事"' in html(client_a.get(url))
    response = client_a.post(url, {"title": "客户投诉暴力催收", "severity": Severity.II}, follow=True)
    incident = Incident.objects.for_tenant(tenant_a).get()
    assert (incident.title, incident.severity) == ("客户投诉暴力催收", Severity.II)
    with tenant_context(tenant_a):
        assert list(incident.feedback.all()) == [complaint]
        assert [c.name for c in incident.customers.all()] == ["某建工集团"]
    complaint.refresh_from_db()
    assert complaint.status == "escalated"
    assert "已将反馈“催收电话骚扰家人和同事”升级为事件" in html(response)
    # The incident shows the feedback; the feedback shows the incident, with a link.
    assert reverse("customers:feedback-detail", args=[complaint.pk]) in html(response)
    feedback_page = html(client_a.get(reverse("customers:feedback-detail", args=[complaint.pk])))
    assert f'href="{reverse("incidents:incident-detail", args=[incident.pk])}"' in feedback_page
    assert incident.code in feedback_page


def test_an_escalated_item_cannot_be_escalated_again(client_a, tenant_a, complaint):
    url = reverse("incidents:incident-create") + f"?feedback={complaint.pk}"
    client_a.post(url, {"title": "第一次", "severity": Severity.II})
    response = client_a.post(url, {"title": "第二次", "severity": Severity.II})
    assert response.status_code == 200
    assert Incident.objects.for_tenant(tenant_a).count() == 1
    assert "已升级为事件" in html(response)  # the customers service says why, on the form


def test_escalating_needs_a_title(client_a, tenant_a, complaint):
    url = reverse("incidents:incident-create") + f"?feedback={complaint.pk}"
    response = client_a.post(url, {"title": "", "severity": Severity.II})
    assert "请填写事件标题。" in html(response)
    assert not Incident.objects.for_tenant(tenant_a).exists()
