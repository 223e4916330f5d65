"""The post-incident review: root cause required, timings from the incident, improvement actions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.models import ImprovementAction, IncidentReview, Phase
from incidents.selectors import improvement_actions_open
from incidents.services.review import improvement_action_complete, review_record
from tests.incidents.factories import advance_to, member, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Role

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def reviewed(tenant_a, admin_a):
    """An incident opened at T0, first response at T0+20 min, in 复盘 from T0+26 h."""
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    with time_machine.travel(T0 + dt.timedelta(hours=26), tick=False):
        return advance_to(incident, Phase.REVIEW, actor=admin_a.user)


def test_a_review_needs_a_root_cause(tenant_a, admin_a, reviewed) -> None:
    with pytest.raises(ValidationError) as caught:
        review_record(tenant=tenant_a, actor=admin_a.user, incident=reviewed, root_cause="  ")
    assert caught.value.message_dict == {"root_cause": ["请填写根本原因。"]}


def test_the_timings_come_from_the_incident(tenant_a, admin_a, reviewed) -> None:
    review = review_record(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=reviewed,
        root_cause="还款提醒短信措辞生硬",
        what_worked="客服 20 分钟内回电",
        what_did_not="口径确认耗时过长",
    )
    assert review.time_to_first_response == dt.timedelta(minutes=20)
    assert review.time_to_resolution == dt.timedelta(hours=26)
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="incident.review_record")
    assert event.changes["time_to_first_response"] == "0:20:00"


def test_actions_are_recorded_with_owners_and_become_training_needs(tenant_a, admin_a, reviewed) -> None:
    trainer = member(tenant_a, "trainer", Role.HANDLER)
    due = dt.date(2026, 4, 30)
    review_record(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=reviewed,
        root_cause="一线人员应对话术不足",
        actions=[
            {"kind": "training_need", "title": "开展应对话术培训", "owner": trainer, "due_date": due},
            {"kind": "plan_revision", "title": "修订负面舆情应急预案", "owner": admin_a, "due_date": due},
            {"kind": "action", "title": "优化短信模板", "owner": trainer, "due_date": due},
        ],
    )
    assert [a.title for a in improvement_actions_open(tenant=tenant_a, kind="training_need")] == ["开展应对话术培训"]
    assert [a.title for a in improvement_actions_open(tenant=tenant_a, kind="plan_revision")] == [
        "修订负面舆情应急预案"
    ]
    assert improvement_actions_open(tenant=tenant_a).count() == 3
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=trainer, kind="assignment").count() == 2

    action = ImprovementAction.objects.for_tenant(tenant_a).get(kind="training_need")
    improvement_action_complete(tenant=tenant_a, actor=trainer.user, action=action)
    assert not improvement_actions_open(tenant=tenant_a, kind="training_need").exists()
    with pytest.raises(ValidationError):
        improvement_action_complete(tenant=tenant_a, actor=trainer.user, action=action)


def test_each_incomplete_action_is_named_by_its_row(tenant_a, tenant_b, admin_a, admin_b, reviewed) -> None:
    with pytest.raises(ValidationError) as caught:
        review_record(
            tenant=tenant_a,
            actor=admin_a.user,
            incident=reviewed,
            root_cause="原因",
            actions=[
                {"kind": "action", "title": "", "owner": admin_a, "due_date": dt.date(2026, 4, 1)},
                {"kind": "action", "title": "跨租户", "owner": admin_b, "due_date": None},
            ],
        )
    rows = caught.value.message_dict["actions"]
    assert rows[0].startswith("第 1 项改进措施：请填写措施内容")
    assert rows[1].startswith("第 2 项改进措施：负责人必须是本机构的在职成员")
    assert "请填写完成期限" in rows[1]
    assert not IncidentReview.objects.for_tenant(tenant_a).exists()


def test_a_review_is_only_recorded_in_the_review_phase(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        review_record(tenant=tenant_a, actor=admin_a.user, incident=incident, root_cause="原因")
    assert caught.value.messages == ["只有处于“复盘总结”阶段的事件可以记录复盘。"]


def test_recording_again_updates_the_texts_and_adds_actions(tenant_a, admin_a, reviewed) -> None:
    review_record(tenant=tenant_a, actor=admin_a.user, incident=reviewed, root_cause="初稿")
    action = {"kind": "action", "title": "补充", "owner": admin_a, "due_date": dt.date(2026, 5, 1)}
    review = review_record(tenant=tenant_a, actor=admin_a.user, incident=reviewed, root_cause="定稿", actions=[action])
    assert IncidentReview.objects.for_tenant(tenant_a).get().root_cause == "定稿"
    assert ImprovementAction.objects.for_tenant(tenant_a).filter(review=review).count() == 1


def test_another_tenants_action_cannot_be_completed_here(tenant_a, tenant_b, admin_a, admin_b) -> None:
    with time_machine.travel(T0, tick=False):
        incident = advance_to(open_incident(tenant_b, admin_b.user), Phase.REVIEW, actor=admin_b.user)
    action = {"kind": "action", "title": "整改", "owner": admin_b, "due_date": dt.date(2026, 5, 1)}
    review_record(tenant=tenant_b, actor=admin_b.user, incident=incident, root_cause="原因", actions=[action])
    foreign = ImprovementAction.objects.for_tenant(tenant_b).get()
    with pytest.raises(ValidationError):
        improvement_action_complete(tenant=tenant_a, actor=admin_a.user, action=foreign)
    assert improvement_actions_open(tenant=tenant_a).count() == 0
