"""Read queries of incidents, tasks and the timeline. Every one takes the tenant; lists cost a fixed
number of queries.

The SLA state of an incident (on track / at risk / breached / paused) is defined once, as query
conditions, in `incidents.selectors.sla`; the list and the board annotate it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django_filters import FilterSet

from incidents.models import ImprovementAction, Incident, IncidentTask, Phase, SlaClock, TimelineEntry
from incidents.selectors.sla import sla_state_annotation
from yuqing.tenancy.models import Department, Membership, Tenant
from yuqing.tenancy.selectors import get_for_tenant

BOARD_PHASES = [Phase.RESPONSE, Phase.ANALYSIS, Phase.PLANNING, Phase.IMPLEMENTATION, Phase.REVIEW]
BOARD_CARDS = 30  # per column; the column links to the filtered list for the rest


def _incidents(tenant: Tenant) -> QuerySet[Incident]:
    return Incident.objects.for_tenant(tenant).select_related("nature", "owner__user")


def _sla_basis(tenant: Tenant) -> Subquery:
    """The least certain calendar basis of the incident's counting clocks, "" when all were published.

    One correlated subquery in the list's own query, no per-row work: the basis is stored on each
    clock when its deadline is computed. "fallback" sorts after "computed", so the first row is the worst.
    """
    counting = (
        SlaClock.objects.for_tenant(tenant)
        .filter(incident=OuterRef("pk"), stopped_at__isnull=True)
        .exclude(state=SlaClock.State.CANCELLED)
        .exclude(calendar_basis="")
        .order_by("-calendar_basis")
        .values("calendar_basis")[:1]
    )
    return Subquery(counting)


def incident_list(
    *, tenant: Tenant, filters: FilterSet | Mapping[str, Any] | None = None, now: dt.datetime | None = None
) -> QuerySet[Incident]:
    """The tenant's incidents, newest first, each with `sla_state`, through IncidentFilter.

    `filters` is the request's data (a mapping) or an IncidentFilter the view built for its form.
    """
    # At call time: the filter module imports this package's choice and SLA selectors.
    from incidents.filters import IncidentFilter

    now = now or getattr(filters, "now", None) or timezone.now()
    queryset = (
        _incidents(tenant)
        .annotate(sla_state=sla_state_annotation(tenant=tenant, now=now), sla_basis=_sla_basis(tenant))
        .order_by("-opened_at", "-pk")
    )
    if filters is None:
        return queryset
    if not isinstance(filters, FilterSet):
        filters = IncidentFilter(filters or None, tenant=tenant, now=now)
    filters.queryset = queryset
    if hasattr(filters, "_qs"):
        del filters._qs
    return filters.qs


def incident_get(*, tenant: Tenant, pk: object) -> Incident:
    """One incident of the tenant, or Http404 (another tenant's and a missing one look alike)."""
    return get_for_tenant(_incidents(tenant).select_related("created_by"), tenant=tenant, pk=pk)


@dataclass(frozen=True)
class BoardColumn:
    phase: str
    label: str
    total: int
    incidents: list[Incident]


def incident_board(*, tenant: Tenant, now: dt.datetime | None = None) -> list[BoardColumn]:
    """One column per open phase: the most severe first, then the oldest; six queries in all."""
    now = now or timezone.now()
    totals = dict(
        Incident.objects.for_tenant(tenant)
        .filter(phase__in=BOARD_PHASES)
        .values_list("phase")
        .annotate(total=Count("pk"))
        .order_by()
    )
    columns = []
    for phase in BOARD_PHASES:
        cards = (
            _incidents(tenant)
            .filter(phase=phase)
            .annotate(sla_state=sla_state_annotation(tenant=tenant, now=now), sla_basis=_sla_basis(tenant))
            .order_by("severity", "opened_at", "pk")[:BOARD_CARDS]
            if totals.get(phase)
            else []
        )
        columns.append(
            BoardColumn(phase=phase, label=str(phase.label), total=totals.get(phase, 0), incidents=list(cards))
        )
    return columns


def _tasks(tenant: Tenant) -> QuerySet[IncidentTask]:
    return (
        IncidentTask.objects.for_tenant(tenant)
        .select_related("incident", "department", "assignee__user")
        .order_by("status", "due_at", "pk")
    )


def task_queue(*, tenant: Tenant, department: Department | None) -> QuerySet[IncidentTask]:
    """A department's tasks (all departments when None), open first, soonest due first."""
    tasks = _tasks(tenant)
    if department is not None:
        if department.tenant_id != tenant.pk:
            return tasks.none()
        tasks = tasks.filter(department=department)
    return tasks


def my_tasks(*, tenant: Tenant, membership: Membership | None) -> QuerySet[IncidentTask]:
    """The member's own tasks."""
    if membership is None or membership.tenant_id != tenant.pk:
        return _tasks(tenant).none()
    return _tasks(tenant).filter(assignee=membership)


def timeline(*, tenant: Tenant, incident: Incident, kinds: Iterable[str] | None = None) -> QuerySet[TimelineEntry]:
    """The incident's timeline, newest first, optionally only some kinds."""
    entries = (
        TimelineEntry.objects.for_tenant(tenant)
        .filter(incident_id=incident.pk)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )
    kinds = [kind for kind in (kinds or []) if kind in TimelineEntry.Kind.values]
    return entries.filter(kind__in=kinds) if kinds else entries


def improvement_actions_open(*, tenant: Tenant, kind: str | None = None) -> QuerySet[ImprovementAction]:
    """Open improvement actions, soonest due first: what the training module picks up
    (kind training_need → a training need; plan_revision → a plan revision request)."""
    actions = (
        ImprovementAction.objects.for_tenant(tenant)
        .filter(status=ImprovementAction.Status.OPEN)
        .select_related("owner__user", "review__incident")
        .order_by("due_date", "pk")
    )
    return actions.filter(kind=kind) if kind else actions
