"""Feedback pages: list, detail, registration and actions, masking, roles and tenant isolation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import ComplaintPolicy, Customer, Feedback
from customers.services import feedback as services
from customers.services.policies import complaint_policies_ensure, complaint_policy_default
from tests.customers.factories import FeedbackFactory
from tests.factories import MembershipFactory, UserFactory
from yuqing.tenancy.models import Role

SH = ZoneInfo("Asia/Shanghai")
MOBILE = "13812345678"
NOW = dt.datetime(2025, 10, 10, 12, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(tenant_a) -> ComplaintPolicy:
    complaint_policies_ensure(tenant=tenant_a)
    return complaint_policy_default(tenant=tenant_a)


@pytest.fixture
def customer_a(tenant_a) -> Customer:
    return Customer.objects.create(tenant=tenant_a, kind="enterprise", name="华信建设集团")


@pytest.fixture
def feedback_a(tenant_a, handler_a, policy, customer_a) -> Feedback:
    return services.feedback_register(
        tenant=tenant_a,
        actor=handler_a.user,
        customer=customer_a,
        reporter_name="李经理",
        reporter_mobile=MOBILE,
        channel=Feedback.Channel.PHONE,
        subject="放款进度慢",
        content="审批通过一个月仍未放款。",
        received_at=dt.datetime(2025, 9, 30, 10, 0, tzinfo=SH),
        handler=handler_a,
    )


def urls_of(feedback: Feedback) -> dict[str, str]:
    return {
        name: reverse(f"customers:{name}", kwargs={"pk": feedback.pk})
        for name in (
            "feedback-detail",
            "feedback-transition",
            "feedback-extend",
            "feedback-assign",
            "feedback-escalate",
        )
    }


# --- list ------------------------------------------------------------------------------------


def test_the_list_shows_the_due_time_with_the_time_left_and_only_the_masked_mobile(client_a, feedback_a):
    body = client_a.get(reverse("customers:feedback-list")).content.decode()
    assert "放款进度慢" in body and "华信建设集团" in body
    # Received 09-30: due at the end of 10-15; at 10-10 12:00 five days and twelve hours are left.
    assert "2025-10-15 24:00" in body
    assert "剩余 5 天" in body
    assert "138****5678" in body
    assert MOBILE not in body and feedback_a.reporter_mobile_encrypted not in body


def test_an_overdue_item_is_shown_in_red_with_the_days_overdue(client_a, feedback_a):
    with time_machine.travel(dt.datetime(2025, 10, 18, 9, 0, tzinfo=SH), tick=False):
        body = client_a.get(reverse("customers:feedback-list") + "?overdue=yes").content.decode()
    assert "已逾期 2 天" in body
    assert 'badge badge-danger" data-due="danger"' in body


def test_htmx_gets_only_the_rows(client_a, feedback_a):
    response = client_a.get(reverse("customers:feedback-list") + "?q=放款", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "放款进度慢" in body
    assert "<html" in client_a.get(reverse("customers:feedback-list")).content.decode()


def test_the_list_filters_and_counts_the_tabs(client_a, feedback_a, tenant_a, policy):
    FeedbackFactory(tenant=tenant_a, policy=policy, subject="已解决的咨询", status="resolved")
    response = client_a.get(reverse("customers:feedback-list"), {"status": "resolved"})
    body = response.content.decode()
    assert "已解决的咨询" in body and "放款进度慢" not in body
    assert response.context["counts"] == {"open": 1, "overdue": 0, "due_soon": 0}


def test_the_list_paginates_by_50(client_a, tenant_a, policy):
    for _ in range(51):
        FeedbackFactory(tenant=tenant_a, policy=policy)
    response = client_a.get(reverse("customers:feedback-list"))
    assert len(response.context["page_obj"].object_list) == 50
    assert response.context["page_obj"].paginator.num_pages == 2


def test_the_list_query_count_does_not_grow_with_the_items(client_a, tenant_a, handler_a, policy, customer_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(reverse("customers:feedback-list")).status_code == 200
        return len(queries)

    FeedbackFactory(tenant=tenant_a, policy=policy, customer=customer_a, handler=handler_a)
    few = count()
    for index in range(30):
        other = Customer.objects.create(tenant=tenant_a, kind="enterprise", name=f"客户{index}")
        FeedbackFactory(tenant=tenant_a, policy=policy, customer=other, handler=handler_a)
    assert count() == few


# --- detail ----------------------------------------------------------------------------------


def test_the_detail_shows_history_policy_and_masked_mobile(client_a, feedback_a, handler_a, tenant_a):
    services.feedback_acknowledge(tenant=tenant_a, actor=handler_a.user, feedback=feedback_a)
    body = client_a.get(urls_of(feedback_a)["feedback-detail"]).content.decode()
    assert "138****5678" in body and MOBILE not in body
    assert "2025-10-15 24:00" in body
    assert "2020 年第 3 号" in body  # the legal basis of the policy
    assert "第二百零三条" in body  # how the days are counted
    assert "登记" in body and "受理" in body and "已接收 → 已受理" in body
    assert 'value="start"' in body and 'value="acknowledge"' not in body  # the actions of the status


def test_a_viewer_sees_the_item_but_no_actions_and_cannot_post(client_for, viewer_a, feedback_a):
    client = client_for(viewer_a)
    body = client.get(urls_of(feedback_a)["feedback-detail"]).content.decode()
    assert "放款进度慢" in body and 'name="action"' not in body
    response = client.post(urls_of(feedback_a)["feedback-transition"], {"action": "acknowledge"})
    assert response.status_code == 403
    feedback_a.refresh_from_db()
    assert feedback_a.status == "received"


def test_the_detail_shows_the_extension_history(client_a, feedback_a, tenant_a, admin_a):
    services.feedback_extend(
        tenant=tenant_a,
        actor=admin_a.user,
        feedback=feedback_a,
        reason="需调取扣款流水",
        customer_notified_at=dt.datetime(2025, 10, 9, 15, 0, tzinfo=SH),
    )
    body = client_a.get(urls_of(feedback_a)["feedback-detail"]).content.decode()
    assert "第 1 次延期，至 30 日" in body and "需调取扣款流水" in body
    assert "2025-10-30 24:00" in body


# --- actions ---------------------------------------------------------------------------------


def test_acknowledge_resolve_and_close_through_the_page(client_a, feedback_a):
    urls = urls_of(feedback_a)
    assert client_a.post(urls["feedback-transition"], {"action": "acknowledge"}).status_code == 302
    assert (
        client_a.post(urls["feedback-transition"], {"action": "resolve", "resolution": "已按合同放款。"}).status_code
        == 302
    )
    assert client_a.post(urls["feedback-transition"], {"action": "close", "satisfaction": "5"}).status_code == 302
    feedback_a.refresh_from_db()
    assert (feedback_a.status, feedback_a.resolution, feedback_a.satisfaction) == ("closed", "已按合同放款。", 5)


def test_closing_an_unresolved_item_is_refused_with_a_message(client_a, feedback_a):
    response = client_a.post(urls_of(feedback_a)["feedback-transition"], {"action": "close"}, follow=True)
    assert "尚未处理完毕的反馈不能关闭" in response.content.decode()
    feedback_a.refresh_from_db()
    assert feedback_a.status == "received"


def test_resolving_without_a_resolution_shows_the_error_on_the_page(client_a, feedback_a):
    client_a.post(urls_of(feedback_a)["feedback-transition"], {"action": "acknowledge"})
    response = client_a.post(urls_of(feedback_a)["feedback-transition"], {"action": "resolve", "resolution": " "})
    assert response.status_code == 400
    assert "请填写处理结果" in response.content.decode()


def test_the_second_extension_page_asks_for_a_manager(client_for, handler_a, admin_a, feedback_a, tenant_a):
    services.feedback_extend(
        tenant=tenant_a,
        actor=handler_a.user,
        feedback=feedback_a,
        reason="复杂",
        customer_notified_at=dt.datetime(2025, 10, 9, 15, 0, tzinfo=SH),
    )
    url = urls_of(feedback_a)["feedback-extend"]
    data = {"reason": "需外部评估", "customer_notified_at": "2025-10-10T09:00"}
    handler = client_for(handler_a)
    assert "需经主管或管理员审批" in handler.get(url).content.decode()
    assert handler.post(url, data).status_code == 403
    response = client_for(admin_a).post(url, data)
    assert response.status_code == 302
    feedback_a.refresh_from_db()
    assert (feedback_a.extension_level, feedback_a.extension_approved_by) == (2, admin_a.user)
    # The notice time typed into the form is the tenant's local time.
    assert feedback_a.customer_notified_of_extension_at == dt.datetime(2025, 10, 10, 9, 0, tzinfo=SH)


def test_an_extension_without_a_reason_is_refused_in_chinese(client_a, feedback_a):
    response = client_a.post(urls_of(feedback_a)["feedback-extend"], {"customer_notified_at": "2025-10-10T09:00"})
    assert response.status_code == 200 and "请填写延期理由" in response.content.decode()


def test_assigning_through_the_page(client_a, feedback_a, tenant_a):
    manager = MembershipFactory(tenant=tenant_a, user=UserFactory(username="mgr"), role=Role.MANAGER)
    assert client_a.post(urls_of(feedback_a)["feedback-assign"], {"handler": manager.pk}).status_code == 302
    feedback_a.refresh_from_db()
    assert feedback_a.handler == manager


@pytest.fixture
def no_incident_opener():
    """As when the incidents app is not installed: nothing registered to open an incident."""
    previous = services.incident_opener()
    services.incident_opener_register(None)
    yield
    services.incident_opener_register(previous)


def test_escalating_without_an_incident_opener_says_none_was_opened(client_a, feedback_a, no_incident_opener):
    response = client_a.post(urls_of(feedback_a)["feedback-escalate"], follow=True)
    body = response.content.decode()
    assert "事件模块上线后将自动创建事件" in body
    feedback_a.refresh_from_db()
    assert feedback_a.status == "escalated"
    assert 'value="start"' not in body  # nothing leaves escalated


def test_post_only_actions_refuse_get(client_a, feedback_a):
    for name in ("feedback-transition", "feedback-assign", "feedback-escalate"):
        assert client_a.get(urls_of(feedback_a)[name]).status_code == 405


# --- registration ----------------------------------------------------------------------------


def test_registering_from_the_list(client_a, customer_a, handler_a, tenant_a, policy):
    response = client_a.post(
        reverse("customers:feedback-create"),
        {
            "customer": customer_a.pk,
            "kind": "complaint",
            "channel": "regulator",
            "category": "pricing",
            "subject": "利率与合同不一致",
            "content": "合同 4.35%，实际 5.1%。",
            "received_at": "2025-09-30T10:00",
            "reporter_mobile": "139 1234 5678",
            "handler": handler_a.pk,
        },
    )
    feedback = Feedback.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302 and response["Location"] == urls_of(feedback)["feedback-detail"]
    assert feedback.received_at == dt.datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    assert feedback.due_at == dt.datetime(2025, 10, 16, 0, 0, tzinfo=SH)
    assert feedback.reporter_mobile_masked == "139****5678"


def test_the_form_errors_are_in_chinese(client_a, policy):
    response = client_a.post(
        reverse("customers:feedback-create"),
        {
            "kind": "complaint",
            "channel": "phone",
            "category": "other",
            "subject": "",
            "content": "x",
            "received_at": "2025-10-11T10:00",
            "reporter_mobile": "12345",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "未选择客户时，请填写反映人姓名" in body
    assert "手机号码应为 11 位" in body
    assert "请填写主题" in body
    assert not Feedback.objects.dangerously_all_tenants().exists()


def test_a_future_receipt_time_is_refused(client_a, policy):
    response = client_a.post(
        reverse("customers:feedback-create"),
        {
            "kind": "complaint",
            "channel": "phone",
            "category": "other",
            "subject": "s",
            "content": "x",
            "reporter_name": "李先生",
            "received_at": "2025-10-11T10:00",
        },
    )
    assert "接收时间不能晚于当前时间" in response.content.decode()


def test_the_customer_is_preselected_from_its_page(client_a, customer_a, tenant_a):
    Customer.objects.create(tenant=tenant_a, kind="enterprise", name="另一家客户")
    response = client_a.get(reverse("customers:feedback-create") + f"?customer={customer_a.pk}")
    field = response.context["form"].fields["customer"]
    assert list(field.queryset) == [customer_a] and field.initial == customer_a.pk


def test_the_customer_choices_are_the_tenants_only(client_a, customer_a, tenant_b):
    other = Customer.objects.create(tenant=tenant_b, kind="enterprise", name="乙方客户")
    response = client_a.get(reverse("customers:feedback-create"))
    assert list(response.context["form"].fields["customer"].queryset) == [customer_a]
    assert "乙方客户" not in response.content.decode()
    # Preselecting another tenant's customer is a 404; posting its id is refused.
    assert client_a.get(reverse("customers:feedback-create") + f"?customer={other.pk}").status_code == 404
    response = client_a.post(
        reverse("customers:feedback-create"),
        {
            "customer": other.pk,
            "kind": "complaint",
            "channel": "phone",
            "category": "other",
            "subject": "s",
            "content": "c",
            "received_at": "2025-10-10T10:00",
        },
    )
    assert "请选择本机构的客户" in response.content.decode()
    assert not Feedback.objects.for_tenant(other.tenant).exists()


# --- isolation -------------------------------------------------------------------------------


def test_another_tenants_feedback_is_404_on_every_url(client_b, feedback_a):
    for name, url in urls_of(feedback_a).items():
        for method in ("get", "post"):
            response = getattr(client_b, method)(url, {"action": "acknowledge"} if method == "post" else None)
            assert response.status_code == 404, f"{method} {name}"
    feedback_a.refresh_from_db()
    assert feedback_a.status == "received"


def test_another_tenants_list_does_not_show_the_item(client_b, feedback_a):
    body = client_b.get(reverse("customers:feedback-list") + "?q=放款").content.decode()
    assert "放款进度慢" not in body and "华信建设集团" not in body


def test_an_incident_opened_on_escalation_is_linked_both_ways(client_a, feedback_a, tenant_a, tenant_b):
    from django.apps import apps

    try:
        Incident = apps.get_model("incidents", "Incident")
    except LookupError:
        pytest.skip("the incidents app has no Incident model yet")

    def open_incident(feedback: Feedback) -> object:
        incident = Incident.objects.create(
            tenant=feedback.tenant, code="2025-0001", title="客户投诉放款慢升级", opened_at=NOW
        )
        incident.feedback.add(feedback, through_defaults={"tenant": incident.tenant})
        return incident

    previous = services.incident_opener()
    services.incident_opener_register(open_incident)
    try:
        response = client_a.post(urls_of(feedback_a)["feedback-escalate"], follow=True)
    finally:
        services.incident_opener_register(previous)
    body = response.content.decode()
    assert "客户投诉放款慢升级" in body
    assert "事件模块上线后将自动创建事件" not in body
    incident = Incident.objects.for_tenant(tenant_a).get()
    assert list(Feedback.objects.for_tenant(tenant_a).filter(incidents=incident)) == [feedback_a]
    from customers.selectors.feedback import feedback_incidents

    assert feedback_incidents(tenant=tenant_a, feedback=feedback_a) == [incident]
