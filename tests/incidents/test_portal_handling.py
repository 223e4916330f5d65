"""The actions on an incident's page: phase moves with their fields, going back, SLA pause and
resume, notes, the review and closing, emergency plans. Each through the services, with Chinese errors."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents.models import (
    ImprovementAction,
    Incident,
    IncidentReview,
    IncidentTask,
    Phase,
    Severity,
    SlaClock,
    TimelineEntry,
)
from incidents.services import plans
from incidents.services.incidents import incident_natures_ensure
from incidents.services.review import review_record
from tests.incidents.factories import PHASE_FACTS, advance_to, department_of, open_incident
from tests.incidents.portal_support import NOW, html, messages_of
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", args=[incident.pk])


def reload(incident: Incident) -> Incident:
    return Incident.objects.for_tenant(incident.tenant).get(pk=incident.pk)


def clock(incident: Incident, kind: str) -> SlaClock:
    return SlaClock.objects.for_tenant(incident.tenant).get(incident=incident, kind=kind)


@pytest.fixture
def incident(tenant_a, admin_a) -> Incident:
    return open_incident(tenant_a, admin_a.user, title="网传监管约谈", severity=Severity.III)


# --- moving forward -------------------------------------------------------------------------------


def test_the_response_form_marks_what_moving_on_needs(client_a, incident):
    text = html(client_a.get(url("incident-detail", incident)))
    for name in ("owner", "facts_who", "facts_what", "facts_when"):
        assert f'name="{name}" ' in text or f'name="{name}"' in text
    assert "完成本阶段，进入“分析研判”" in text


def test_advancing_saves_the_facts_and_moves_on(client_a, incident, admin_a):
    response = client_a.post(
        url("incident-advance", incident), {"owner": admin_a.pk, **PHASE_FACTS["response"]}, follow=True
    )
    row = reload(incident)
    assert row.phase == Phase.ANALYSIS
    assert row.facts_who == PHASE_FACTS["response"]["facts_who"]
    assert row.first_response_at == NOW
    assert "事件已进入“分析研判”阶段。" in messages_of(response)
    assert clock(row, SlaClock.Kind.FIRST_RESPONSE).state == SlaClock.State.MET


def test_advancing_with_missing_fields_names_them_and_keeps_the_phase(client_a, incident, admin_a):
    response = client_a.post(url("incident-advance", incident), {"owner": admin_a.pk, "facts_who": "博主"})
    text = html(response)
    assert response.status_code == 400
    assert "进入下一阶段前请填写“事件经过（什么）”。" in text
    assert "进入下一阶段前请填写“发生时间（何时）”。" in text
    assert "博主</textarea>" in text  # what was typed stays in the form
    assert reload(incident).phase == Phase.RESPONSE
    assert reload(incident).facts_who == ""  # nothing saved when the move fails


def test_saving_a_draft_needs_nothing_and_does_not_move(client_a, incident):
    response = client_a.post(url("incident-save-phase", incident), {"facts_who": "匿名博主"}, follow=True)
    row = reload(incident)
    assert (row.phase, row.facts_who) == (Phase.RESPONSE, "匿名博主")
    assert "已保存本阶段信息。" in messages_of(response)


def test_the_analysis_form_offers_only_this_tenants_natures(client_a, tenant_a, tenant_b, admin_a, incident):
    incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    incident_natures_ensure(tenant=tenant_b)
    foreign = incident_natures_ensure(tenant=tenant_b)[0]
    response = client_a.post(
        url("incident-advance", incident),
        {"nature": foreign.pk, "media_level": "self_media", "analysis": "谣言"},
    )
    assert response.status_code == 400
    assert "请选择本机构的事件性质。" in html(response)
    assert reload(incident).phase == Phase.ANALYSIS


def test_a_service_refusal_shows_on_the_form(client_a, tenant_a, admin_a, incident):
    incident = advance_to(incident, Phase.IMPLEMENTATION, actor=admin_a.user)
    IncidentTask.objects.create(
        tenant=tenant_a, incident=incident, department=department_of(tenant_a, Department.Kind.LEGAL), title="法律意见"
    )
    response = client_a.post(url("incident-advance", incident), PHASE_FACTS["implementation"])
    assert response.status_code == 400
    assert "还有 1 项协同任务未完成，请完成或取消后再进入复盘。" in html(response)
    assert reload(incident).phase == Phase.IMPLEMENTATION
    assert reload(incident).actions_taken == ""  # the update rolled back with the move


def test_moving_needs_a_post(client_a, incident):
    assert client_a.get(url("incident-advance", incident)).status_code == 405


def test_a_viewer_cannot_move(client_for, viewer_a, incident, admin_a):
    response = client_for(viewer_a).post(url("incident-advance", incident), {"owner": admin_a.pk})
    assert response.status_code == 403
    assert reload(incident).phase == Phase.RESPONSE


# --- going back -------------------------------------------------------------------------------


def test_going_back_needs_a_reason(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.PLANNING, actor=admin_a.user)
    response = client_a.post(url("incident-move-back", incident), {"back-to_phase": "response", "back-reason": ""})
    assert response.status_code == 400 and "退回上一阶段必须填写原因。" in html(response)
    assert reload(incident).phase == Phase.PLANNING


def test_going_back_cannot_go_forward(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    response = client_a.post(url("incident-move-back", incident), {"back-to_phase": "review", "back-reason": "试试"})
    assert "只能退回到更早的阶段。" in html(response)


def test_going_back_with_a_reason_moves_and_records_it(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.PLANNING, actor=admin_a.user)
    response = client_a.post(
        url("incident-move-back", incident), {"back-to_phase": "response", "back-reason": "当事人身份有误"}, follow=True
    )
    assert reload(incident).phase == Phase.RESPONSE
    assert "事件已退回“响应与信息收集”阶段。" in messages_of(response)
    assert "原因：当事人身份有误" in html(response)


# --- SLA pause and resume, and the live fragment ------------------------------------------------


def test_pausing_needs_a_reason(client_a, incident):
    response = client_a.post(url("incident-pause", incident), {"pause-reason": " "})
    assert response.status_code == 400 and "暂停计时必须填写原因。" in html(response)


def test_pause_then_resume_moves_the_deadline(client_a, tenant_a, admin_a):
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)  # 24 h on a 7×24 clock
    before = clock(incident, SlaClock.Kind.RESOLUTION).deadline_at
    response = client_a.post(url("incident-pause", incident), {"pause-reason": "等待客户补充材料"}, follow=True)
    assert "已暂停计时。恢复前不计入处置时限。" in messages_of(response)
    assert clock(incident, SlaClock.Kind.RESOLUTION).state == SlaClock.State.PAUSED
    assert 'data-form="resume"' in html(response) and 'data-sla="paused"' in html(response)
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        response = client_a.post(url("incident-resume", incident), follow=True)
    assert "已恢复计时，截止时间已顺延暂停的时长。" in messages_of(response)
    after = clock(incident, SlaClock.Kind.RESOLUTION)
    assert after.state == SlaClock.State.RUNNING and after.deadline_at == before + dt.timedelta(hours=2)


def test_resuming_with_nothing_paused_says_so(client_a, incident):
    response = client_a.post(url("incident-resume", incident), follow=True)
    assert "当前没有已暂停的计时。" in messages_of(response)


def test_the_sla_fragment_is_the_clocks_alone_and_polls_every_30_seconds(client_a, incident):
    response = client_a.get(url("incident-sla", incident))
    text = html(response)
    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="sla-clocks"')
    assert 'hx-trigger="every 30s"' in text and f'hx-get="{url("incident-sla", incident)}"' in text
    assert "<html" not in text and 'data-form="pause"' not in text  # the form stays out of the refresh
    deadline = clock(incident, SlaClock.Kind.FIRST_RESPONSE).deadline_at
    assert f'data-deadline="{deadline.astimezone(NOW.tzinfo).isoformat()}"' in text


def test_the_sla_fragment_follows_time(client_a, incident):
    assert 'data-state="on_track"' in html(client_a.get(url("incident-sla", incident)))
    with time_machine.travel(NOW + dt.timedelta(hours=3, minutes=30), tick=False):  # III: 4 h first response
        assert 'data-clock="first_response" data-state="at_risk"' in html(client_a.get(url("incident-sla", incident)))
    with time_machine.travel(NOW + dt.timedelta(hours=5), tick=False):
        text = html(client_a.get(url("incident-sla", incident)))
    assert 'data-clock="first_response" data-state="breached"' in text and "已超时" in text


# --- notes and the timeline ---------------------------------------------------------------------


def test_a_note_goes_on_the_timeline(client_a, incident):
    response = client_a.post(
        url("incident-note", incident), {"note-kind": "communication_out", "note-body": "官微发布情况说明"}, follow=True
    )
    assert "已记入时间线。" in messages_of(response)
    entry = TimelineEntry.objects.for_tenant(incident.tenant).filter(incident=incident).first()
    assert (entry.kind, entry.body) == ("communication_out", "官微发布情况说明")


def test_an_empty_note_is_refused(client_a, incident):
    response = client_a.post(url("incident-note", incident), {"note-kind": "note", "note-body": ""})
    assert response.status_code == 400 and "请填写内容。" in html(response)


def test_the_timeline_filters_by_kind_and_htmx_gets_the_list_alone(client_a, incident, admin_a):
    client_a.post(url("incident-note", incident), {"note-kind": "note", "note-body": "内部备注一则"})
    response = client_a.get(
        url("incident-detail", incident), {"kind": "note"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline"
    )
    text = html(response)
    assert text.lstrip().startswith("{") is False and 'id="timeline"' in text and "<html" not in text
    assert "内部备注一则" in text
    assert "登记事件" not in text  # a phase entry, filtered out
    assert 'data-kind="note"' in text and 'data-kind="phase"' not in text


def test_the_timeline_is_newest_first(client_a, incident):
    client_a.post(url("incident-note", incident), {"note-kind": "note", "note-body": "第一条"})
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        client_a.post(url("incident-note", incident), {"note-kind": "note", "note-body": "第二条"})
    text = html(client_a.get(url("incident-detail", incident)))
    assert text.index("第二条") < text.index("第一条") < text.index("登记事件")


# --- review and closing -------------------------------------------------------------------------


def test_the_review_form_appears_in_review_and_records_actions(client_a, tenant_a, admin_a, handler_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    assert 'data-form="review"' in html(client_a.get(url("incident-detail", incident)))
    data = {
        "root_cause": "自媒体未经核实发布",
        "what_worked": "2 小时内核实",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": "training_need",
        "actions-0-title": "分支机构舆情上报培训",
        "actions-0-owner": handler_a.pk,
        "actions-0-due_date": "2026-04-01",
        "actions-1-kind": "action",  # an untouched row
        "actions-2-kind": "action",
    }
    response = client_a.post(url("incident-review", incident), data, follow=True)
    assert "已记录复盘。确认无误后可关闭事件。" in messages_of(response)
    review = IncidentReview.objects.for_tenant(tenant_a).get(incident=incident)
    action = ImprovementAction.objects.for_tenant(tenant_a).get(review=review)
    assert (action.kind, action.owner, action.due_date) == ("training_need", handler_a, dt.date(2026, 4, 1))
    assert 'data-action="close"' in html(response)


def test_a_half_filled_action_row_is_refused_in_chinese(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    data = {
        "root_cause": "",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": "action",
        "actions-0-title": "完善监测",
    }
    text = html(client_a.post(url("incident-review", incident), data))
    assert "请填写根本原因。" in text and "请选择负责人。" in text and "请填写完成期限。" in text
    assert not IncidentReview.objects.for_tenant(incident.tenant).exists()


def test_closing_without_a_review_is_refused(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    response = client_a.post(url("incident-advance", incident), follow=True)
    assert "请先完成复盘（填写根本原因）再关闭事件。" in messages_of(response)
    assert reload(incident).phase == Phase.REVIEW


def test_closing_after_the_review(client_a, admin_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    review_record(tenant=incident.tenant, actor=admin_a.user, incident=incident, root_cause="谣言")
    response = client_a.post(url("incident-advance", incident), follow=True)
    assert reload(incident).phase == Phase.CLOSED
    assert "事件已进入“已关闭”阶段。" in messages_of(response)
    assert 'data-note="closed"' in html(response) and "谣言" in html(response)


def test_a_handler_may_not_close_and_is_told_why(client_for, admin_a, handler_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    review_record(tenant=incident.tenant, actor=admin_a.user, incident=incident, root_cause="谣言")
    client = client_for(handler_a)
    assert 'data-note="needs-approval"' in html(client.get(url("incident-detail", incident)))
    response = client.post(url("incident-advance", incident), follow=True)
    assert "关闭事件需要主管或管理员审批。" in messages_of(response)
    assert reload(incident).phase == Phase.REVIEW


def test_completing_an_improvement_action(client_a, admin_a, handler_a, incident):
    incident = advance_to(incident, Phase.REVIEW, actor=admin_a.user)
    review = review_record(
        tenant=incident.tenant,
        actor=admin_a.user,
        incident=incident,
        root_cause="谣言",
        actions=[{"kind": "action", "title": "纳入监测", "owner": handler_a, "due_date": dt.date(2026, 4, 1)}],
    )
    action = ImprovementAction.objects.for_tenant(incident.tenant).get(review=review)
    response = client_a.post(reverse("incidents:improvement-action-complete", args=[action.pk]), follow=True)
    assert "改进措施“纳入监测”已完成。" in messages_of(response)
    action.refresh_from_db()
    assert action.status == "done"


# --- emergency plans ----------------------------------------------------------------------------


class _Plans:
    def propose(self, incident: Incident) -> list[plans.PlanProposal]:
        return [
            plans.PlanProposal(
                id="p-1",
                title="群体性维权事件应急预案",
                steps=[
                    plans.PlanStep(Department.Kind.PR, "发布情况说明", dt.timedelta(hours=2)),
                    plans.PlanStep(Department.Kind.LEGAL, "证据保全", dt.timedelta(hours=4)),
                ],
            )
        ]


@pytest.fixture
def plan_provider():
    provider = _Plans()
    plans.register_plan_provider(provider)
    yield provider
    plans.unregister_plan_provider(provider)


def test_a_severe_incident_offers_the_plans_and_launching_makes_tasks(client_a, tenant_a, admin_a, plan_provider):
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    text = html(client_a.get(url("incident-detail", incident)))
    assert "群体性维权事件应急预案" in text and 'data-proposal="p-1"' in text
    response = client_a.post(url("incident-plan-launch", incident), {"proposal": "p-1"}, follow=True)
    assert "已启动预案“群体性维权事件应急预案”，生成 2 项任务。" in messages_of(response)
    assert IncidentTask.objects.for_tenant(tenant_a).filter(incident=incident).count() == 2
    again = client_a.post(url("incident-plan-launch", incident), {"proposal": "p-1"}, follow=True)
    assert "预案“群体性维权事件应急预案”已在本事件中启动。" in messages_of(again)


def test_an_unknown_plan_is_refused(client_a, tenant_a, admin_a, plan_provider):
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.II)
    response = client_a.post(url("incident-plan-launch", incident), {"proposal": "nope"}, follow=True)
    assert "该预案不可用于本事件，请刷新页面后重试。" in messages_of(response)
