"""Moving incidents through the handling phases: what each move needs, going back, closing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import PHASE_ORDER, Incident, IncidentTask, Phase, Severity, SlaClock, TimelineEntry
from incidents.services.incidents import incident_move, incident_natures_ensure, incident_update
from incidents.services.phases import REQUIRED_TO_LEAVE, required_fields
from incidents.services.review import review_record
from incidents.services.tasks import task_create, task_set_status
from tests.incidents.factories import PHASE_FACTS, advance_to, department_of, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _move(incident: Incident, to: str, actor, reason: str = "") -> Incident:
    return incident_move(tenant=incident.tenant, actor=actor, incident=incident, to_phase=to, reason=reason)


def _clock(incident: Incident, kind: str) -> SlaClock:
    return SlaClock.objects.for_tenant(incident.tenant).get(incident=incident, kind=kind)


@pytest.mark.parametrize(
    ("phase", "fields"),
    [
        (Phase.RESPONSE, {"owner", "facts_who", "facts_what", "facts_when"}),
        (Phase.ANALYSIS, {"nature", "media_level", "analysis"}),
        (Phase.PLANNING, {"plan", "responsibilities"}),
        (Phase.IMPLEMENTATION, {"actions_taken"}),
    ],
)
def test_each_forward_move_names_the_fields_the_phase_lacks(tenant_a, admin_a, phase, fields) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), phase, actor=admin_a.user)
    following = PHASE_ORDER[PHASE_ORDER.index(phase) + 1]
    with pytest.raises(ValidationError) as caught:
        _move(incident, following, admin_a.user)
    assert set(caught.value.message_dict) == fields
    label = Incident._meta.get_field(sorted(fields)[0]).verbose_name
    assert f"离开“{Phase(phase).label}”阶段前请填写“{label}”。" in caught.value.messages
    incident.refresh_from_db()
    assert incident.phase == phase


def test_the_rules_table_is_what_the_portal_form_marks_required() -> None:
    assert required_fields(Phase.ANALYSIS) == REQUIRED_TO_LEAVE[Phase.ANALYSIS]
    assert required_fields(Phase.CLOSED) == ()


def test_blank_text_does_not_count_as_filled(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, owner=admin_a)
    incident_update(
        tenant=tenant_a, actor=admin_a.user, incident=incident, **{**PHASE_FACTS["response"], "facts_what": "  "}
    )
    with pytest.raises(ValidationError) as caught:
        _move(incident, Phase.ANALYSIS, admin_a.user)
    assert set(caught.value.message_dict) == {"facts_what"}


def test_a_phase_cannot_be_skipped(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        _move(incident, Phase.PLANNING, admin_a.user)
    assert caught.value.messages == ["不能跳过阶段：请先进入“分析研判”阶段。"]


def test_moving_forward_writes_timeline_and_audit(tenant_a, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.ANALYSIS, actor=admin_a.user)
    entry = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, kind="phase").first()
    assert entry.body == "阶段：响应与信息收集 → 分析研判"
    assert entry.data["direction"] == "forward"
    event = AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.move").get()
    assert event.changes["phase"] == {"before": "response", "after": "analysis"}


def test_leaving_response_is_the_first_response(tenant_a, admin_a) -> None:
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.III)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    assert incident.first_response_at == T0 + dt.timedelta(hours=1)
    clock = _clock(incident, SlaClock.Kind.FIRST_RESPONSE)
    assert (clock.state, clock.stopped_at) == (SlaClock.State.MET, T0 + dt.timedelta(hours=1))
    assert _clock(incident, SlaClock.Kind.RESOLUTION).state == SlaClock.State.RUNNING


def test_a_late_first_response_is_recorded_as_breached(tenant_a, admin_a) -> None:
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.III)  # 4 h, 24x7
    with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
        incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    assert _clock(incident, SlaClock.Kind.FIRST_RESPONSE).state == SlaClock.State.BREACHED


def test_going_back_needs_a_reason_and_keeps_the_first_response(tenant_a, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.PLANNING, actor=admin_a.user)
    with pytest.raises(ValidationError) as caught:
        _move(incident, Phase.RESPONSE, admin_a.user, reason="  ")
    assert caught.value.message_dict == {"reason": ["退回到更早的阶段必须填写原因。"]}
    responded = incident.first_response_at
    incident = _move(incident, Phase.RESPONSE, admin_a.user, reason="当事人身份有误，重新核实")
    assert incident.phase == Phase.RESPONSE
    assert incident.first_response_at == responded
    entry = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, kind="phase").first()
    assert entry.body == "退回：制定方案 → 响应与信息收集。原因：当事人身份有误，重新核实"
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.move").first().changes["reason"]


def test_entering_review_needs_every_task_finished(tenant_a, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.IMPLEMENTATION, actor=admin_a.user)
    incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, **PHASE_FACTS["implementation"])
    task = task_create(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=incident,
        department=department_of(tenant_a, Department.Kind.LEGAL),
        title="出具法律意见",
    )
    with pytest.raises(ValidationError) as caught:
        _move(incident, Phase.REVIEW, admin_a.user)
    assert caught.value.messages == ["还有 1 项协同任务未完成，请完成或取消后再进入复盘。"]
    task_set_status(tenant=tenant_a, actor=admin_a.user, task=task, status=IncidentTask.Status.DONE)
    incident = _move(incident, Phase.REVIEW, admin_a.user)
    assert incident.resolved_at is not None
    assert _clock(incident, SlaClock.Kind.RESOLUTION).state == SlaClock.State.MET


def test_closing_without_a_review_is_refused(tenant_a, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.REVIEW, actor=admin_a.user)
    with pytest.raises(ValidationError) as caught:
        _move(incident, Phase.CLOSED, admin_a.user)
    assert caught.value.messages == ["请先完成复盘（填写根本原因）再关闭事件。"]


def test_closing_needs_a_manager_and_reopening_too(tenant_a, admin_a, handler_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.REVIEW, actor=handler_a.user)
    review_record(tenant=tenant_a, actor=handler_a.user, incident=incident, root_cause="产品说明不清晰")
    with pytest.raises(PermissionDenied):
        _move(incident, Phase.CLOSED, handler_a.user)
    incident = _move(incident, Phase.CLOSED, admin_a.user)
    assert incident.closed_at is not None
    with pytest.raises(PermissionDenied):
        _move(incident, Phase.IMPLEMENTATION, handler_a.user, reason="客户再次投诉")
    incident = _move(incident, Phase.IMPLEMENTATION, admin_a.user, reason="客户再次投诉")
    assert (incident.phase, incident.closed_at, incident.resolved_at) == (Phase.IMPLEMENTATION, None, None)


def test_reopening_runs_the_resolution_clock_again(tenant_a, admin_a) -> None:
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)  # 24 h resolution, 24x7
        incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    clock = _clock(incident, SlaClock.Kind.RESOLUTION)
    assert clock.state == SlaClock.State.MET
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        incident = _move(incident, Phase.IMPLEMENTATION, admin_a.user, reason="舆情反弹")
    clock.refresh_from_db()
    assert (clock.state, clock.stopped_at, clock.deadline_at) == (
        SlaClock.State.RUNNING,
        None,
        T0 + dt.timedelta(hours=24),
    )


def test_a_closed_incident_cannot_be_edited(tenant_a, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.REVIEW, actor=admin_a.user)
    review_record(tenant=tenant_a, actor=admin_a.user, incident=incident, root_cause="系统故障")
    incident = _move(incident, Phase.CLOSED, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, title="改")
    assert "已关闭" in caught.value.messages[0]


def test_moving_to_the_current_phase_or_an_unknown_one_is_refused(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError):
        _move(incident, Phase.RESPONSE, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        _move(incident, "escalated", admin_a.user)
    assert caught.value.message_dict == {"to_phase": ["未知的阶段。"]}


def test_the_nature_must_be_the_tenants(tenant_a, tenant_b, admin_a) -> None:
    incident = advance_to(open_incident(tenant_a, admin_a.user), Phase.ANALYSIS, actor=admin_a.user)
    with pytest.raises(ValidationError) as caught:
        incident_update(
            tenant=tenant_a, actor=admin_a.user, incident=incident, nature=incident_natures_ensure(tenant=tenant_b)[0]
        )
    assert "nature" in caught.value.message_dict
    incident.refresh_from_db()
    assert incident.nature_id is None
