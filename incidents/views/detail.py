"""What the incident detail page shows: one context builder, used on GET and when a form on it fails."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from incidents import selectors
from incidents.forms import (
    PHASE_FIELDS,
    EvidenceForm,
    ImprovementActionFormSet,
    MoveBackForm,
    NoteForm,
    PauseForm,
    PhaseFieldsForm,
    ReviewForm,
    TaskForm,
    TimelineFilterForm,
)
from incidents.models import PHASE_ORDER, Incident, Phase, SlaClock
from incidents.services import plans
from incidents.services.phases import required_fields
from yuqing.tenancy.roles import Permission, has_permission

TIMELINE_LIMIT = 200  # the newest entries; the kind filter narrows further back


def phase_steps(incident: Incident) -> list[dict[str, Any]]:
    current = PHASE_ORDER.index(Phase(incident.phase))
    return [
        {"phase": phase, "is_done": index < current, "is_current": index == current}
        for index, phase in enumerate(PHASE_ORDER)
    ]


def next_phase(incident: Incident) -> Phase | None:
    index = PHASE_ORDER.index(Phase(incident.phase))
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def advance_form(request: HttpRequest, incident: Incident, data: Any = None) -> PhaseFieldsForm | None:
    """The fields the current phase collects, with those needed to move on marked required."""
    if incident.phase not in PHASE_FIELDS:
        return None
    return PhaseFieldsForm(
        data,
        instance=incident,
        tenant=request.tenant,
        phase=incident.phase,
        required=required_fields(incident.phase),
    )


def timeline_kinds(request: HttpRequest) -> tuple[TimelineFilterForm, list[str] | None]:
    form = TimelineFilterForm(request.GET or None)
    kinds = form.cleaned_data["kind"] if form.is_valid() and form.cleaned_data["kind"] else None
    return form, kinds


def sla_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """What the SLA card needs: on the detail page and in the 30-second refresh alike."""
    clocks = selectors.sla_clock_views(tenant=request.tenant, incident=incident)
    return {
        "incident": incident,
        "now": timezone.now(),
        "can_write": has_permission(request.membership, Permission.WRITE),
        "is_open": incident.phase != Phase.CLOSED,
        "clocks": clocks,
        "has_running_clock": any(view.clock.state == SlaClock.State.RUNNING for view in clocks),
        "has_paused_clock": any(view.clock.state == SlaClock.State.PAUSED for view in clocks),
    }


def timeline_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    timeline_form, kinds = timeline_kinds(request)
    entries = list(selectors.timeline(tenant=request.tenant, incident=incident, kinds=kinds)[: TIMELINE_LIMIT + 1])
    return {
        "incident": incident,
        "timeline": entries[:TIMELINE_LIMIT],
        "timeline_truncated": len(entries) > TIMELINE_LIMIT,
        "timeline_form": timeline_form,
        "timeline_kinds": kinds or [],
    }


def detail_context(request: HttpRequest, incident: Incident, **bound: forms.Form | Any) -> dict[str, Any]:
    tenant = request.tenant
    context = {**sla_context(request, incident), **timeline_context(request, incident)}
    is_open = context["is_open"]
    review = incident.review if incident.has_review else None
    show_plans = incident.severity in plans.PLAN_SEVERITIES and is_open
    context.update(
        {
            "can_approve": has_permission(request.membership, Permission.APPROVE),
            "steps": phase_steps(incident),
            "next_phase": next_phase(incident),
            "tasks": list(
                incident.tasks.select_related("department", "assignee__user").order_by("status", "due_at", "pk")
            ),
            "evidence": list(incident.evidence.select_related("uploaded_by").order_by("-created_at")),
            "customers": list(incident.customers.order_by("name")),
            "feedback_items": list(incident.feedback.order_by("-received_at")),
            "departments": list(incident.departments.order_by("name")),
            "review": review,
            "review_actions": list(review.actions.select_related("owner__user")) if review else [],
            "show_plans": show_plans,
            "proposals": plans.plan_proposals(incident) if show_plans else [],
            "no_plans_message": plans.NO_PLANS_MESSAGE,
            "advance_form": bound.get("advance_form") or advance_form(request, incident),
            "back_form": bound.get("back_form") or MoveBackForm(phase=incident.phase),
            "pause_form": bound.get("pause_form") or PauseForm(),
            "note_form": bound.get("note_form") or NoteForm(),
            "task_form": bound.get("task_form") or TaskForm(tenant=tenant),
            "evidence_form": bound.get("evidence_form") or EvidenceForm(),
            "review_form": bound.get("review_form") or ReviewForm(),
            "action_formset": bound.get("action_formset") or ImprovementActionFormSet(tenant=tenant, prefix="actions"),
            "open_section": bound.get("open_section", ""),
        }
    )
    return context
