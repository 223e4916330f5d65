"""Emergency-plan services: create a plan, draft a version, edit its steps, submit, approve, reject.

Every write locks the plan row first (`_locked_plan`), so version numbers are taken one after
another without gaps and two approvals of one plan cannot both put a version in force. Approval is
maker-checker: the approver needs Permission.APPROVE and is not the version's author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Severity
from training.models import TARGET_MINUTES_MAX, EmergencyPlan, PlanStep, PlanVersion, Scenario
from yuqing.audit.services import audit_record
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

REVIEW_INTERVAL = relativedelta(months=12)
MAX_STEPS = 50


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _locked_plan(tenant: Tenant, plan: EmergencyPlan) -> EmergencyPlan:
    if plan.tenant_id != tenant.pk:
        raise ValidationError(_("预案不属于本机构。"))
    return EmergencyPlan.objects.for_tenant(tenant).select_for_update().get(pk=plan.pk)


def _locked_version(tenant: Tenant, version: PlanVersion) -> tuple[EmergencyPlan, PlanVersion]:
    if version.tenant_id != tenant.pk:
        raise ValidationError(_("预案版本不属于本机构。"))
    plan = _locked_plan(tenant, version.plan)
    return plan, PlanVersion.objects.for_tenant(tenant).select_for_update().get(pk=version.pk)


def _require_status(version: PlanVersion, status: str, message: str) -> None:
    if version.status != status:
        raise ValidationError(message, code="status")


def _audit(tenant: Tenant, actor: User | None, action: str, target: Any, changes: dict[str, Any]) -> None:
    audit_record(tenant=tenant, actor=_user(actor), action=action, target=target, changes=changes)


@tenant_service(Permission.WRITE)
def plan_create(
    *, tenant: Tenant, actor: User | None, scenario: str, severity: int, title: str, draft: bool = True
) -> EmergencyPlan:
    """A new plan for a scenario and severity (one per pair), with an empty first draft unless `draft=False`."""
    if scenario not in Scenario.values:
        raise ValidationError({"scenario": _("请选择有效的场景。")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("请选择有效的级别。")})
    plan = EmergencyPlan(tenant=tenant, scenario=scenario, severity=severity, title=title, created_by=_user(actor))
    plan.full_clean(exclude=["tenant", "created_by"], validate_unique=False, validate_constraints=False)
    if EmergencyPlan.objects.for_tenant(tenant).filter(scenario=scenario, severity=severity).exists():
        raise ValidationError(
            {
                "scenario": _("本机构已有“%(scenario)s · %(severity)s”的预案。")
                % {
                    "scenario": Scenario(scenario).label,
                    "severity": Severity(severity).label,
                }
            },
            code="duplicate",
        )
    plan.save()
    _audit(tenant, actor, "plan.create", plan, {"scenario": scenario, "severity": severity, "title": title})
    if draft:
        version_draft(tenant=tenant, actor=actor, plan=plan)
    return plan


@tenant_service(Permission.WRITE)
def version_draft(*, tenant: Tenant, actor: User | None, plan: EmergencyPlan, change_note: str = "") -> PlanVersion:
    """The next version, a draft: a copy of the steps of the version in force, or empty."""
    plan = _locked_plan(tenant, plan)
    versions = PlanVersion.objects.for_tenant(tenant).filter(plan=plan)
    if versions.filter(status__in=PlanVersion.OPEN_STATUSES).exists():
        raise ValidationError(_("该预案已有未批准的版本（草稿或审核中），请先完成它。"), code="open_version")
    number = (versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = PlanVersion(tenant=tenant, plan=plan, number=number, change_note=change_note, author=_user(actor))
    version.full_clean(exclude=["tenant", "plan", "author"], validate_unique=False, validate_constraints=False)
    version.save()
    in_force = versions.filter(is_in_force=True).first()
    copied = 0
    if in_force is not None:
        steps = [
            PlanStep(
                tenant=tenant,
                version=version,
                order=step.order,
                department_kind=step.department_kind,
                title=step.title,
                description=step.description,
                target_minutes=step.target_minutes,
            )
            for step in PlanStep.objects.for_tenant(tenant).filter(version=in_force).order_by("order")
        ]
        PlanStep.objects.bulk_create(steps)
        copied = len(steps)
    _audit(
        tenant,
        actor,
        "plan.version_draft",
        version,
        {"number": number, "copied_from": in_force.number if in_force else None, "steps": copied},
    )
    return version


def _clean_steps(tenant: Tenant, rows: Iterable[Mapping[str, Any]]) -> list[PlanStep]:
    steps: list[PlanStep] = []
    errors: list[str] = []
    for position, row in enumerate(rows, start=1):
        step = PlanStep(
            tenant=tenant,
            order=position,
            department_kind=row.get("department_kind") or "",
            title=(row.get("title") or "").strip(),
            description=(row.get("description") or "").strip(),
            target_minutes=row.get("target_minutes"),
        )
        try:
            step.full_clean(exclude=["tenant", "version"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for messages in error.message_dict.values():
                errors.extend(f"{_('第 %(n)d 步') % {'n': position}}：{message}" for message in messages)
            continue
        if step.target_minutes > TARGET_MINUTES_MAX:
            errors.append(
                _("第 %(n)d 步：目标时限不能超过 %(max)d 分钟。") % {"n": position, "max": TARGET_MINUTES_MAX}
            )
        steps.append(step)
    if len(steps) > MAX_STEPS:
        errors.append(_("一个预案最多 %(max)d 个步骤。") % {"max": MAX_STEPS})
    if errors:
        raise ValidationError(errors, code="steps")
    return steps


@tenant_service(Permission.WRITE)
def version_steps_set(
    *,
    tenant: Tenant,
    actor: User | None,
    version: PlanVersion,
    steps: Iterable[Mapping[str, Any]],
    change_note: str | None = None,
) -> PlanVersion:
    """Replace a draft's steps (in the given order) and, when given, its change note."""
    _plan, version = _locked_version(tenant, version)
    _require_status(version, PlanVersion.Status.DRAFT, _("只有草稿版本的步骤可以编辑。"))
    cleaned = _clean_steps(tenant, steps)
    before = list(
        PlanStep.objects.for_tenant(tenant).filter(version=version).order_by("order").values_list("title", flat=True)
    )
    if change_note is not None and change_note != version.change_note:
        version.change_note = change_note
        version.full_clean(exclude=["tenant", "plan", "author"], validate_unique=False, validate_constraints=False)
        version.save(update_fields=["change_note"])
    PlanStep.objects.for_tenant(tenant).filter(version=version).delete()
    for step in cleaned:
        step.version = version
    PlanStep.objects.bulk_create(cleaned)
    _audit(
        tenant,
        actor,
        "plan.version_steps",
        version,
        {"steps": [before, [step.title for step in cleaned]]},
    )
    return version


@tenant_service(Permission.WRITE)
def version_submit(*, tenant: Tenant, actor: User | None, version: PlanVersion) -> PlanVersion:
    _plan, version = _locked_version(tenant, version)
    _require_status(version, PlanVersion.Status.DRAFT, _("只有草稿版本可以提交审核。"))
    if not PlanStep.objects.for_tenant(tenant).filter(version=version).exists():
        raise ValidationError(_("预案版本至少需要一个处置步骤才能提交审核。"), code="no_steps")
    version.status = PlanVersion.Status.IN_REVIEW
    version.submitted_by = _user(actor)
    version.submitted_at = timezone.now()
    version.reject_reason = ""
    version.save(update_fields=["status", "submitted_by", "submitted_at", "reject_reason"])
    _audit(tenant, actor, "plan.version_submit", version, {"status": ["draft", "in_review"]})
    return version


def _require_checker(actor: User | None, version: PlanVersion) -> None:
    user = _user(actor)
    if user is not None and version.author_id == user.pk:
        raise PermissionDenied(_("审批人不能是该版本的起草人（双人复核）。"))


@tenant_service(Permission.APPROVE)
def version_approve(*, tenant: Tenant, actor: User | None, version: PlanVersion) -> PlanVersion:
    """Approve a version in review: it comes into force, the previous one is superseded."""
    plan, version = _locked_version(tenant, version)
    _require_checker(actor, version)
    _require_status(version, PlanVersion.Status.IN_REVIEW, _("只有审核中的版本可以批准。"))
    now = timezone.now()
    previous = PlanVersion.objects.for_tenant(tenant).filter(plan=plan, is_in_force=True).first()
    if previous is not None:
        previous.status = PlanVersion.Status.SUPERSEDED
        previous.is_in_force = False
        previous.superseded_at = now
        previous.save(update_fields=["status", "is_in_force", "superseded_at"])
    user = _user(actor)
    version.status = PlanVersion.Status.APPROVED
    version.is_in_force = True
    version.reviewed_by = version.approved_by = user
    version.reviewed_at = version.approved_at = now
    version.save(update_fields=["status", "is_in_force", "reviewed_by", "reviewed_at", "approved_by", "approved_at"])
    old_review = plan.next_review_at
    plan.next_review_at = (timezone.localtime(now) + REVIEW_INTERVAL).date()
    plan.save(update_fields=["next_review_at"])
    _audit(
        tenant,
        actor,
        "plan.version_approve",
        version,
        {
            "status": ["in_review", "approved"],
            "superseded": previous.number if previous else None,
            "next_review_at": [str(old_review) if old_review else None, str(plan.next_review_at)],
        },
    )
    return version


@tenant_service(Permission.APPROVE)
def version_reject(*, tenant: Tenant, actor: User | None, version: PlanVersion, reason: str) -> PlanVersion:
    """Send a version in review back to draft, with the reviewer's reason."""
    _plan, version = _locked_version(tenant, version)
    _require_checker(actor, version)
    _require_status(version, PlanVersion.Status.IN_REVIEW, _("只有审核中的版本可以退回。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因。")}, code="required")
    version.status = PlanVersion.Status.DRAFT
    version.reject_reason = reason
    version.reviewed_by = _user(actor)
    version.reviewed_at = timezone.now()
    try:
        version.full_clean(exclude=["tenant", "plan", "author"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationError({"reason": error.message_dict.get("reject_reason", error.messages)}) from None
    version.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at"])
    _audit(tenant, actor, "plan.version_reject", version, {"status": ["in_review", "draft"], "reason": reason})
    return version
