"""Feedback services: registration rules, the status flow, extensions with approval, escalation."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import ComplaintPolicy, Customer, Feedback
from customers.services import feedback as services
from customers.services.policies import complaint_policies_ensure
from tests.factories import MembershipFactory, UserFactory
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Role

SH = ZoneInfo("Asia/Shanghai")
MOBILE = "13812345678"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def manager_a(tenant_a):
    return MembershipFactory(tenant=tenant_a, user=UserFactory(username="manager_a"), role=Role.MANAGER)


def register(tenant, actor, received: str = "2025-09-30 10:00", **extra) -> Feedback:
    values = {
        "channel": Feedback.Channel.PHONE,
        "subject": "提前还款违约金计算有异议",
        "content": "合同约定 2%，实际收取 3%。",
        "reporter_name": "李先生",
        "received_at": at(received),
    } | extra
    with time_machine.travel(at(received) + dt.timedelta(minutes=5), tick=False):
        return services.feedback_register(tenant=tenant, actor=actor, **values)


def events(tenant, feedback: Feedback, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.for_tenant(tenant).filter(
            object_type="customers.feedback", object_id=str(feedback.pk), action=f"feedback.{action}"
        )
    )


# --- registration ----------------------------------------------------------------------------


def test_registering_stores_the_mobile_encrypted_and_audits_only_the_mask(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user, reporter_mobile=MOBILE, handler=handler_a)
    assert feedback.reporter_mobile_masked == "138****5678"
    assert MOBILE not in feedback.reporter_mobile_encrypted
    [event] = events(tenant_a, feedback, "register")
    assert MOBILE not in str(event.changes)
    assert event.changes["reporter_mobile"]["after"] == "138****5678"
    assert event.changes["status"]["after"] == "received"


def test_an_unknown_person_needs_a_name(tenant_a, handler_a):
    with pytest.raises(ValidationError) as error:
        register(tenant_a, handler_a.user, reporter_name="  ")
    assert "反映人姓名" in str(error.value.message_dict["reporter_name"])


def test_a_customer_of_another_tenant_is_refused(tenant_a, tenant_b, handler_a):
    other = Customer.objects.create(tenant=tenant_b, kind="enterprise", name="乙方客户")
    with pytest.raises(ValidationError) as error:
        register(tenant_a, handler_a.user, customer=other, reporter_name="")
    assert "customer" in error.value.message_dict
    assert Feedback.objects.for_tenant(tenant_a).count() == 0


def test_a_customer_of_the_tenant_needs_no_reporter_name(tenant_a, handler_a):
    customer = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="华信建设")
    assert register(tenant_a, handler_a.user, customer=customer, reporter_name="").customer == customer


def test_the_receipt_time_cannot_be_in_the_future(tenant_a, handler_a):
    with time_machine.travel(at("2025-09-30 10:00"), tick=False), pytest.raises(ValidationError) as error:
        services.feedback_register(
            tenant=tenant_a,
            actor=handler_a.user,
            channel="phone",
            subject="s",
            content="c",
            reporter_name="李先生",
            received_at=at("2025-10-01 10:00"),
        )
    assert "不能晚于当前时间" in str(error.value.message_dict["received_at"])


def test_a_bad_mobile_number_is_refused_in_chinese(tenant_a, handler_a):
    with pytest.raises(ValidationError) as error:
        register(tenant_a, handler_a.user, reporter_mobile="12345")
    assert "手机号码" in str(error.value.message_dict["reporter_mobile"])


def test_the_handler_must_be_a_member_who_may_write(tenant_a, tenant_b, handler_a, viewer_a, admin_b):
    with pytest.raises(ValidationError):
        register(tenant_a, handler_a.user, handler=admin_b)
    with pytest.raises(ValidationError) as error:
        register(tenant_a, handler_a.user, handler=viewer_a)
    assert "只读" in str(error.value.message_dict["handler"])


def test_a_viewer_cannot_register(tenant_a, viewer_a):
    with pytest.raises(PermissionDenied):
        register(tenant_a, viewer_a.user)


# --- status flow -----------------------------------------------------------------------------


def test_the_full_flow_records_each_step(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user)
    feedback = services.feedback_acknowledge(tenant=tenant_a, actor=handler_a.user, feedback=feedback)
    assert feedback.status == "acknowledged" and feedback.acknowledged_at
    feedback = services.feedback_start(tenant=tenant_a, actor=handler_a.user, feedback=feedback)
    feedback = services.feedback_resolve(
        tenant=tenant_a, actor=handler_a.user, feedback=feedback, resolution="按合同 2% 重新核算并退还差额。"
    )
    assert feedback.status == "resolved" and feedback.resolved_at
    feedback = services.feedback_close(tenant=tenant_a, actor=handler_a.user, feedback=feedback, satisfaction=4)
    assert (feedback.status, feedback.satisfaction) == ("closed", 4)
    actions = list(
        AuditEvent.objects.for_tenant(tenant_a)
        .filter(object_type="customers.feedback", object_id=str(feedback.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "feedback.register",
        "feedback.acknowledge",
        "feedback.start",
        "feedback.resolve",
        "feedback.close",
    ]


@pytest.mark.parametrize(
    ("path", "action", "message"),
    [
        ([], "close", "尚未处理完毕"),
        (["acknowledge"], "close", "尚未处理完毕"),
        (["start"], "close", "尚未处理完毕"),
        ([], "resolve", "请先受理"),
        (["acknowledge"], "acknowledge", "已受理"),
        (["acknowledge", "resolve", "close"], "start", "已关闭"),
        (["acknowledge", "resolve", "close"], "resolve", "已关闭"),
        (["escalate"], "start", "已升级为事件"),
        (["escalate"], "acknowledge", "已升级为事件"),
        (["acknowledge", "resolve"], "resolve", "不能执行此操作"),
    ],
)
def test_illegal_moves_are_refused_with_a_clear_message(tenant_a, handler_a, path, action, message):
    feedback = register(tenant_a, handler_a.user)
    for step in path:
        feedback = _do(step, tenant_a, handler_a.user, feedback)
    status = feedback.status
    with pytest.raises(ValidationError) as error:
        _do(action, tenant_a, handler_a.user, feedback)
    assert message in " ".join(error.value.messages)
    feedback.refresh_from_db()
    assert feedback.status == status


def _do(action: str, tenant, actor, feedback: Feedback) -> Feedback:
    if action == "resolve":
        return services.feedback_resolve(tenant=tenant, actor=actor, feedback=feedback, resolution="已处理")
    if action == "escalate":
        return services.feedback_escalate(tenant=tenant, actor=actor, feedback=feedback).feedback
    return services.TRANSITION_SERVICES[action](tenant=tenant, actor=actor, feedback=feedback)


def test_a_resolution_is_required(tenant_a, handler_a):
    feedback = _do("acknowledge", tenant_a, handler_a.user, register(tenant_a, handler_a.user))
    with pytest.raises(ValidationError) as error:
        services.feedback_resolve(tenant=tenant_a, actor=handler_a.user, feedback=feedback, resolution="   ")
    assert "处理结果" in str(error.value.message_dict["resolution"])


@pytest.mark.parametrize("score", [0, 6, True])
def test_satisfaction_is_one_to_five(tenant_a, handler_a, score):
    feedback = _do(
        "resolve",
        tenant_a,
        handler_a.user,
        _do("acknowledge", tenant_a, handler_a.user, register(tenant_a, handler_a.user)),
    )
    with pytest.raises(ValidationError):
        services.feedback_close(tenant=tenant_a, actor=handler_a.user, feedback=feedback, satisfaction=score)


def test_a_disputed_resolution_goes_back_to_work(tenant_a, handler_a):
    feedback = _do(
        "resolve",
        tenant_a,
        handler_a.user,
        _do("acknowledge", tenant_a, handler_a.user, register(tenant_a, handler_a.user)),
    )
    feedback = services.feedback_start(tenant=tenant_a, actor=handler_a.user, feedback=feedback)
    assert feedback.status == "in_progress" and feedback.resolved_at is None


def test_a_viewer_cannot_move_an_item(tenant_a, handler_a, viewer_a):
    feedback = register(tenant_a, handler_a.user)
    with pytest.raises(PermissionDenied):
        services.feedback_acknowledge(tenant=tenant_a, actor=viewer_a.user, feedback=feedback)


def test_assigning_changes_the_handler_and_refuses_outsiders(tenant_a, handler_a, admin_a, admin_b):
    feedback = register(tenant_a, handler_a.user)
    feedback = services.feedback_assign(tenant=tenant_a, actor=admin_a.user, feedback=feedback, handler=handler_a)
    assert feedback.handler == handler_a
    assert events(tenant_a, feedback, "assign")[0].changes["handler"]["after"] == handler_a.pk
    with pytest.raises(ValidationError):
        services.feedback_assign(tenant=tenant_a, actor=admin_a.user, feedback=feedback, handler=admin_b)


# --- extensions ------------------------------------------------------------------------------


def _extend(tenant, actor, feedback, when: str, notified: str, reason: str = "需调取扣款流水核实"):
    with time_machine.travel(at(when), tick=False):
        return services.feedback_extend(
            tenant=tenant, actor=actor, feedback=feedback, reason=reason, customer_notified_at=at(notified)
        )


def test_extensions_go_to_30_then_60_days_from_the_receipt_and_no_further(tenant_a, handler_a, manager_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    assert feedback.due_at == at("2025-10-16 00:00")

    # First: 30 days from 10-01 → Thu 10-30, a working day.
    feedback = _extend(tenant_a, handler_a.user, feedback, "2025-10-10 09:00", "2025-10-10 08:30")
    assert (feedback.extension_level, feedback.due_at) == (1, at("2025-10-31 00:00"))
    assert feedback.extension_approved_by is None
    assert feedback.customer_notified_of_extension_at == at("2025-10-10 08:30")

    # Second, with a manager's approval: 60 days from 10-01 → Sat 11-29 → Mon 12-01.
    feedback = _extend(tenant_a, manager_a.user, feedback, "2025-10-28 09:00", "2025-10-28 08:00", "需外部评估")
    assert (feedback.extension_level, feedback.due_at) == (2, at("2025-12-02 00:00"))
    assert feedback.extension_approved_by == manager_a.user
    assert feedback.extension_approved_at == at("2025-10-28 09:00")
    [_first, second] = sorted(events(tenant_a, feedback, "extend"), key=lambda e: e.sequence)
    assert second.actor == manager_a.user and second.changes["approved_by"]["after"] == manager_a.user.pk
    assert second.changes["days"] == {"before": 30, "after": 60}

    # A third is refused: 60 days is the most.
    with pytest.raises(ValidationError) as error:
        _extend(tenant_a, manager_a.user, feedback, "2025-11-20 09:00", "2025-11-20 08:00")
    assert "最长处理时限（60 日）" in " ".join(error.value.messages)
    feedback.refresh_from_db()
    assert (feedback.extension_level, feedback.due_at) == (2, at("2025-12-02 00:00"))


def test_the_second_extension_needs_a_manager(tenant_a, handler_a, admin_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    feedback = _extend(tenant_a, handler_a.user, feedback, "2025-10-10 09:00", "2025-10-10 08:30")
    with pytest.raises(PermissionDenied) as error:
        _extend(tenant_a, handler_a.user, feedback, "2025-10-28 09:00", "2025-10-28 08:00")
    assert "处置人员" in str(error.value)
    feedback.refresh_from_db()
    assert feedback.extension_level == 1
    # An admin holds APPROVE too.
    feedback = _extend(tenant_a, admin_a.user, feedback, "2025-10-28 09:00", "2025-10-28 08:00")
    assert feedback.extension_approved_by == admin_a.user


def test_platform_code_cannot_approve_a_second_extension(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    feedback = _extend(tenant_a, None, feedback, "2025-10-10 09:00", "2025-10-10 08:30")
    with pytest.raises(PermissionDenied):
        _extend(tenant_a, None, feedback, "2025-10-28 09:00", "2025-10-28 08:00")


@pytest.mark.parametrize(
    ("reason", "notified", "field", "message"),
    [
        ("", "2025-10-10 08:30", "reason", "延期理由"),
        ("复杂", None, "customer_notified_at", "告知客户"),
        ("复杂", "2025-09-29 10:00", "customer_notified_at", "不能早于接收时间"),
        ("复杂", "2025-10-11 10:00", "customer_notified_at", "不能晚于当前时间"),
    ],
)
def test_an_extension_needs_a_reason_and_a_real_notice_time(tenant_a, handler_a, reason, notified, field, message):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    with time_machine.travel(at("2025-10-10 09:00"), tick=False), pytest.raises(ValidationError) as error:
        services.feedback_extend(
            tenant=tenant_a,
            actor=handler_a.user,
            feedback=feedback,
            reason=reason,
            customer_notified_at=at(notified) if notified else None,
        )
    assert message in " ".join(error.value.message_dict[field])


def test_an_overdue_item_cannot_be_extended_after_the_fact(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")  # due 10-16 00:00
    with pytest.raises(ValidationError) as error:
        _extend(tenant_a, handler_a.user, feedback, "2025-10-20 09:00", "2025-10-16 09:00")
    assert "期限届满前" in " ".join(error.value.messages)


def test_a_policy_without_extensions_refuses_one(tenant_a, handler_a):
    complaint_policies_ensure(tenant=tenant_a)
    policy = ComplaintPolicy.objects.for_tenant(tenant_a).get(template_code="consumer_law_46")
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00", policy=policy)
    with pytest.raises(ValidationError) as error:
        _extend(tenant_a, handler_a.user, feedback, "2025-10-09 09:00", "2025-10-09 08:00")
    assert "7 日" in " ".join(error.value.messages)


def test_the_2012_working_day_policy_extends_once_to_60_working_days(tenant_a, handler_a):
    complaint_policies_ensure(tenant=tenant_a)
    policy = ComplaintPolicy.objects.for_tenant(tenant_a).get(template_code="cbrc_2012")
    feedback = register(tenant_a, handler_a.user, "2025-11-14 21:30", policy=policy)
    feedback = _extend(tenant_a, handler_a.user, feedback, "2025-11-20 09:00", "2025-11-20 08:00")
    # 60 working days from Mon 2025-11-17: 11-17..12-31 is 33 working days; 2026-01-01 (元旦) off,
    # 01-02 is off too, Sun 01-04 is a make-up day: 01-04, 01-05..01-09 → 39; 01-12..02-06 → 59; 02-09 → 60.
    assert (feedback.extension_level, feedback.due_at) == (1, at("2026-02-10 00:00"))
    assert feedback.extension_approved_by is None


def test_a_closed_item_cannot_be_extended(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    feedback = _do("resolve", tenant_a, handler_a.user, _do("acknowledge", tenant_a, handler_a.user, feedback))
    with pytest.raises(ValidationError) as error:
        _extend(tenant_a, handler_a.user, feedback, "2025-10-10 09:00", "2025-10-10 08:30")
    assert "未办结" in " ".join(error.value.messages)


# --- escalation ------------------------------------------------------------------------------


def test_escalation_calls_the_given_opener_once_and_records_it(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user)
    incident = mock.Mock(pk=77, _meta=mock.Mock(label_lower="incidents.incident"))
    opener = mock.Mock(return_value=incident)
    escalation = services.feedback_escalate(
        tenant=tenant_a, actor=handler_a.user, feedback=feedback, open_incident=opener
    )
    opener.assert_called_once()
    [passed] = opener.call_args.args
    assert passed.pk == feedback.pk and passed.status == "escalated"
    assert escalation.incident is incident
    feedback.refresh_from_db()
    assert feedback.status == "escalated"
    assert events(tenant_a, feedback, "escalate")[0].changes["status"] == {"before": "received", "after": "escalated"}
    assert events(tenant_a, feedback, "incident_linked")[0].changes == {"incident": "incidents.incident:77"}


def test_escalation_without_an_opener_marks_it_escalated_with_no_incident(tenant_a, handler_a):
    escalation = services.feedback_escalate(
        tenant=tenant_a, actor=handler_a.user, feedback=register(tenant_a, handler_a.user)
    )
    assert escalation.incident is None and escalation.feedback.status == "escalated"
    assert not events(tenant_a, escalation.feedback, "incident_linked")


def test_a_failing_opener_rolls_the_escalation_back(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user)
    with pytest.raises(RuntimeError):
        services.feedback_escalate(
            tenant=tenant_a, actor=handler_a.user, feedback=feedback, open_incident=mock.Mock(side_effect=RuntimeError)
        )
    feedback.refresh_from_db()
    assert feedback.status == "received"
    assert not events(tenant_a, feedback, "escalate")


def test_the_registered_opener_is_what_the_portal_uses(tenant_a):
    opener = mock.Mock()
    previous = services.incident_opener()
    services.incident_opener_register(opener)
    try:
        assert services.incident_opener() is opener
    finally:
        services.incident_opener_register(previous)
