"""Reads of emergency plans: the list, one plan with its versions and steps, versions in force, a diff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from training.models import EmergencyPlan, PlanStep, PlanVersion
from yuqing.tenancy.models import Department, Tenant


def plan_list(*, tenant: Tenant) -> QuerySet[EmergencyPlan]:
    """Every plan, each with `in_force` (a list of 0 or 1 versions) and `open` (its draft or version in review).

    Three queries whatever the number of plans."""
    versions = PlanVersion.objects.for_tenant(tenant)
    return (
        EmergencyPlan.objects.for_tenant(tenant)
        .prefetch_related(
            Prefetch("versions", queryset=versions.filter(is_in_force=True), to_attr="in_force"),
            Prefetch("versions", queryset=versions.filter(status__in=PlanVersion.OPEN_STATUSES), to_attr="open"),
        )
        .order_by("severity", "scenario", "pk")
    )


def plan_versions(*, tenant: Tenant, plan: EmergencyPlan) -> list[PlanVersion]:
    """The plan's versions, newest first, each with its steps and people (a fixed number of queries)."""
    return list(
        PlanVersion.objects.for_tenant(tenant)
        .filter(plan=plan)
        .select_related("author", "submitted_by", "reviewed_by", "approved_by")
        .prefetch_related(Prefetch("steps", queryset=PlanStep.objects.for_tenant(tenant).order_by("order")))
        .order_by("-number")
    )


def versions_in_force(*, tenant: Tenant, severity: int) -> list[PlanVersion]:
    """The version in force of each plan of `severity`, with its plan and steps."""
    return list(
        PlanVersion.objects.for_tenant(tenant)
        .filter(is_in_force=True, plan__severity=severity)
        .select_related("plan")
        .prefetch_related(Prefetch("steps", queryset=PlanStep.objects.for_tenant(tenant).order_by("order")))
        .order_by("plan__scenario", "plan__pk")
    )


def review_overdue(plan: EmergencyPlan, today: dt.date) -> bool:
    """Whether the plan's yearly review date has passed."""
    return plan.next_review_at is not None and plan.next_review_at < today


def department_kind_label(kind: str) -> str:
    return str(Department.Kind(kind).label) if kind in Department.Kind.values else kind


@dataclass(frozen=True)
class StepChange:
    kind: str  # "added", "removed", "changed", "same"
    old: PlanStep | None
    new: PlanStep | None
    fields: tuple[str, ...] = ()


DIFF_FIELDS = ("order", "department_kind", "description", "target_minutes")


def _keyed(steps: list[PlanStep]) -> dict[tuple[str, int], PlanStep]:
    """Steps keyed by their title and its occurrence (a title used twice is two keys)."""
    seen: dict[str, int] = {}
    keyed = {}
    for step in steps:
        title = step.title.strip()
        seen[title] = seen.get(title, 0) + 1
        keyed[(title, seen[title])] = step
    return keyed


def _steps(tenant: Tenant, version: PlanVersion) -> list[PlanStep]:
    prefetched = getattr(version, "_prefetched_objects_cache", {}).get("steps")
    if prefetched is not None:
        return list(prefetched)
    return list(PlanStep.objects.for_tenant(tenant).filter(version=version).order_by("order"))


def version_diff(*, tenant: Tenant, old: PlanVersion, new: PlanVersion) -> list[StepChange]:
    """Steps added, removed and changed from `old` to `new`, matched by title, in `new`'s order
    (removed steps where they stood in `old`)."""
    old_steps = _steps(tenant, old)
    new_steps = _steps(tenant, new)
    old_keyed, new_keyed = _keyed(old_steps), _keyed(new_steps)
    changes: list[StepChange] = []
    for key, step in new_keyed.items():
        before = old_keyed.get(key)
        if before is None:
            changes.append(StepChange("added", None, step))
            continue
        fields = tuple(name for name in DIFF_FIELDS if getattr(before, name) != getattr(step, name))
        changes.append(StepChange("changed" if fields else "same", before, step, fields))
    for key, step in old_keyed.items():
        if key not in new_keyed:
            position = next(
                (i for i, change in enumerate(changes) if (change.old or change.new).order > step.order),
                len(changes),
            )
            changes.insert(position, StepChange("removed", step, None))
    return changes
