"""Writes of incidents: open, update, move through the handling phases, open from feedback, notes.

Roles: changing an incident needs Permission.WRITE (handlers, managers, admins). Closing an
incident and reopening a closed one need Permission.APPROVE (managers, admins): closing is the
desk's sign-off that the case is handled and reviewed, and it ends the record the transparency
reports count. Going back to an earlier open phase is a handler's call, with a reason.

Lock order: incident_open locks the tenant row first (audit_record locks it anyway, and the
feedback escalation reaches incident_open already holding it), then the year's code counter.
The other services lock the incident, then its clocks, and audit last (services.common.audit).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Feedback
from customers.services.feedback import feedback_escalate
from incidents.models import (
    PHASE_ORDER,
    Incident,
    IncidentNature,
    IncidentTask,
    MediaLevel,
    Phase,
    Severity,
    SlaClock,
    TimelineEntry,
)
from incidents.services import sla
from incidents.services.codes import incident_code_take
from incidents.services.common import (
    audit,
    check_department,
    check_member,
    check_owned,
    locked_incident,
    require_open,
    timeline_add,
)
from incidents.services.phases import missing_fields
from incidents.services.plans import plan_proposals
from yuqing.audit.services import changes_between
from yuqing.notify.models import Notification
from yuqing.notify.services import notification_send
from yuqing.tenancy.guard import actor_may, actor_membership, tenant_service
from yuqing.tenancy.models import Department, Membership, Tenant, User
from yuqing.tenancy.roles import Permission, has_permission

DEFAULT_NATURES = ["个体言论", "对商业模式的质疑", "对产品或服务的质疑", "谣言", "监管关注", "数据泄露", "其他"]
# How far a discovery time may lie ahead of the server clock (a desk PC running slightly fast).
CLOCK_SKEW = dt.timedelta(minutes=5)
NOTE_KINDS = (TimelineEntry.Kind.NOTE, TimelineEntry.Kind.COMMUNICATION_IN, TimelineEntry.Kind.COMMUNICATION_OUT)
TEXT_FIELDS = (
    "title",
    "summary",
    "regions",
    "facts_who",
    "facts_what",
    "facts_when",
    "background",
    "legal_questions",
    "analysis",
    "plan",
    "responsibilities",
    "actions_taken",
    "communications",
    "customer_feedback_summary",
)
SCALAR_FIELDS = (*TEXT_FIELDS, "severity", "nature", "owner", "estimated_reach", "media_level")
MANY_FIELDS = ("departments", "customers")
# Fields whose old and new values the timeline spells out; long texts are only named.
SHOWN_VALUES = ("title", "severity", "nature", "owner", "estimated_reach", "media_level", "regions", "facts_when")


@tenant_service(None)
def incident_natures_ensure(*, tenant: Tenant) -> list[IncidentNature]:
    """Create the default natures the tenant lacks (by name); return the tenant's natures."""
    have = set(IncidentNature.objects.for_tenant(tenant).values_list("name", flat=True))
    missing = [IncidentNature(tenant=tenant, name=name) for name in DEFAULT_NATURES if name not in have]
    if missing:
        IncidentNature.objects.bulk_create(missing, ignore_conflicts=True)
    return list(IncidentNature.objects.for_tenant(tenant).order_by("name"))


# ------------------------------------------------------------------------------------ validation


def _clean_scalars(tenant: Tenant, values: dict[str, Any]) -> dict[str, Any]:
    """Validated values of the scalar fields given; raises one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in TEXT_FIELDS:
            value = (value or "").strip()
            limit = Incident._meta.get_field(name).max_length
            if name == "title" and not value:
                errors[name] = _("请填写事件标题。")
            elif limit and len(value) > limit:
                errors[name] = _("“%(label)s”不能超过 %(limit)d 个字。") % {
                    "label": Incident._meta.get_field(name).verbose_name,
                    "limit": limit,
                }
        elif name == "severity":
            try:
                value = Severity(int(value))
            except (TypeError, ValueError):
                errors[name] = _("请选择有效的事件级别（I–IV 级）。")
        elif name == "nature":
            if value is not None and (value.tenant_id != tenant.pk or not value.is_active):
                errors[name] = _("请选择本机构启用的事件性质。")
        elif name == "media_level":
            value = value or ""
            if value and value not in MediaLevel.values:
                errors[name] = _("请选择有效的媒体层级。")
        elif name == "estimated_reach":
            if value in ("", None):
                value = None
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors[name] = _("预估传播量应为不小于 0 的整数。")
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    if "owner" in cleaned:
        check_member(tenant, cleaned["owner"], "owner", label=_("负责人"))
    return cleaned


def _clean_many(tenant: Tenant, name: str, rows: Iterable[Any]) -> list[Any]:
    label = {"departments": _("部门"), "customers": _("客户"), "feedback": _("反馈")}[name]
    rows = check_owned(tenant, rows, name, label=label)
    if name == "departments":
        for department in rows:
            check_department(tenant, department, "departments")
    return rows


def _clean_opened_at(opened_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if opened_at is None:
        return now
    if not isinstance(opened_at, dt.datetime) or timezone.is_naive(opened_at):
        raise ValidationError({"opened_at": _("请填写完整的发现时间（日期和时间）。")})
    if opened_at > now + CLOCK_SKEW:
        raise ValidationError({"opened_at": _("发现时间不能晚于当前时间。")})
    return opened_at


def _notify_owner(tenant: Tenant, actor: User | None, incident: Incident, owner: Membership | None) -> None:
    if owner is None or (actor is not None and owner.user_id == actor.pk):
        return
    notification_send(
        tenant=tenant,
        recipients=[owner],
        kind=Notification.Kind.ASSIGNMENT,
        title=_("您被指定为事件 %(code)s 的负责人") % {"code": incident.code},
        body=incident.title,
        link=_incident_link(incident),
    )


def _incident_link(incident: Incident) -> str:
    try:
        return reverse("incidents:incident-detail", kwargs={"pk": incident.pk})
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------------------- writes


@tenant_service(Permission.WRITE)
def incident_open(
    *,
    tenant: Tenant,
    actor: User | None,
    title: str,
    severity: int,
    nature: IncidentNature | None = None,
    summary: str = "",
    opened_at: dt.datetime | None = None,
    owner: Membership | None = None,
    customers: Iterable[Customer] = (),
    feedback: Iterable[Feedback] = (),
    departments: Iterable[Department] = (),
    estimated_reach: int | None = None,
    media_level: str = "",
    regions: str = "",
) -> Incident:
    """Register an incident in 响应与信息收集, with the next code of the year and its SLA clocks running."""
    now = timezone.now()
    values = _clean_scalars(
        tenant,
        {
            "title": title,
            "severity": severity,
            "nature": nature,
            "summary": summary,
            "owner": owner,
            "estimated_reach": estimated_reach,
            "media_level": media_level,
            "regions": regions,
        },
    )
    opened_at = _clean_opened_at(opened_at, now)
    customers = _clean_many(tenant, "customers", customers)
    feedback = _clean_many(tenant, "feedback", feedback)
    departments = _clean_many(tenant, "departments", departments)

    # The tenant row first: see the module docstring (one lock order, no deadlock with escalations).
    Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk).values_list("pk", flat=True).get()
    if not IncidentNature.objects.for_tenant(tenant).exists():
        incident_natures_ensure(tenant=tenant)
    incident = Incident.objects.create(
        tenant=tenant,
        code=incident_code_take(tenant=tenant, now=now),
        opened_at=opened_at,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **values,
    )
    # The links are tenant-owned rows too (through models carrying the tenant).
    links = {"tenant": tenant}
    incident.customers.set(customers, through_defaults=links)
    incident.feedback.set(feedback, through_defaults=links)
    incident.departments.set(departments, through_defaults=links)
    clocks = sla.sla_clocks_start(tenant=tenant, incident=incident)

    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.PHASE,
        actor=actor,
        body=_("登记事件 %(code)s（%(severity)s），进入“%(phase)s”阶段。")
        % {"code": incident.code, "severity": incident.get_severity_display(), "phase": Phase.RESPONSE.label},
        data={"to": Phase.RESPONSE, "code": incident.code},
    )
    if clocks:
        deadlines_text = "；".join(
            _("%(clock)s截止 %(at)s") % {"clock": clock.get_kind_display(), "at": _local(tenant, clock.deadline_at)}
            for clock in sorted(clocks, key=lambda c: c.kind)
        )
        timeline_add(
            tenant=tenant,
            incident=incident,
            kind=TimelineEntry.Kind.SLA,
            body=_("开始计时：%(detail)s") % {"detail": deadlines_text},
            data={"action": "start", "deadlines": {c.kind: c.deadline_at.isoformat() for c in clocks}},
        )
    _propose_plans(tenant, incident)
    _notify_owner(tenant, actor, incident, values["owner"])
    audit(
        tenant,
        actor,
        "incident.open",
        incident,
        changes_between(
            {},
            {
                "code": incident.code,
                "title": incident.title,
                "severity": incident.severity,
                "nature": values["nature"],
                "owner": values["owner"],
                "opened_at": opened_at,
                "customers": sorted(c.pk for c in customers),
                "feedback": sorted(f.pk for f in feedback),
                "departments": sorted(d.pk for d in departments),
            },
        ),
    )
    return incident


def _local(tenant: Tenant, moment: dt.datetime) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).strftime("%Y-%m-%d %H:%M")


def _propose_plans(tenant: Tenant, incident: Incident) -> None:
    """Severity I/II: say in the timeline which emergency plans could be launched (启动应急预案)."""
    proposals = plan_proposals(incident)
    if not proposals:
        return
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.NOTE,
        body=_("建议启动应急预案：%(plans)s") % {"plans": "、".join(p.title for p in proposals)},
        data={"action": "plan_proposed", "plans": [str(p.id) for p in proposals]},
    )


def _display(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "severity":
        return str(Severity(value).label)
    if name == "media_level":
        return str(MediaLevel(value).label)
    if isinstance(value, Membership):
        return str(value.user)
    return str(value)


@tenant_service(Permission.WRITE)
def incident_update(*, tenant: Tenant, actor: User | None, incident: Incident, **fields: Any) -> Incident:
    """Change the incident's facts, scope, owner, departments or customers (not its phase).

    A new severity or a new set of customers (whose tier drives the SLA) recomputes the deadlines.
    Nothing changes on a closed incident.
    """
    unknown = set(fields) - set(SCALAR_FIELDS) - set(MANY_FIELDS)
    if unknown:
        raise TypeError(f"incident_update() cannot change: {', '.join(sorted(unknown))}")
    row = locked_incident(tenant, incident)
    require_open(row)
    scalars = _clean_scalars(tenant, {name: value for name, value in fields.items() if name in SCALAR_FIELDS})
    many = {name: _clean_many(tenant, name, value) for name, value in fields.items() if name in MANY_FIELDS}

    before = {name: getattr(row, name) for name in scalars}
    before.update({name: sorted(getattr(row, name).values_list("pk", flat=True)) for name in many})
    after = dict(scalars)
    after.update({name: sorted(obj.pk for obj in rows) for name, rows in many.items()})
    changes = changes_between(before, after)
    if not changes:
        return row
    changed_scalars = [name for name in scalars if name in changes]
    for name in changed_scalars:
        setattr(row, name, scalars[name])
    if changed_scalars:
        row.save(update_fields=[*changed_scalars, "updated_at"])
    for name, rows in many.items():
        if name in changes:
            getattr(row, name).set(rows, through_defaults={"tenant": tenant})

    if "severity" in changes or "customers" in changes:
        sla.sla_recompute(tenant=tenant, incident=row, actor=actor)
    described = []
    for name in changes:
        label = Incident._meta.get_field(name).verbose_name
        if name in SHOWN_VALUES:
            described.append(f"{label}：{_display(name, before[name])} → {_display(name, after[name])}")
        else:
            described.append(str(label))
    timeline_add(
        tenant=tenant,
        incident=row,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        body=_("修改了 %(fields)s") % {"fields": "；".join(described)},
        data={"action": "update", "changes": changes},
    )
    if "owner" in changes:
        _notify_owner(tenant, actor, row, scalars["owner"])
    audit(tenant, actor, "incident.update", row, changes)
    return row


def _phase_index(phase: str) -> int:
    return PHASE_ORDER.index(Phase(phase))


@tenant_service(Permission.WRITE)
def incident_move(
    *, tenant: Tenant, actor: User | None, incident: Incident, to_phase: str, reason: str = ""
) -> Incident:
    """Move the incident one phase on (checking what the phase being left requires) or back (with a reason).

    Leaving 响应与信息收集 the first time is the first response (its clock is met); entering 复盘
    is the resolution (its clock is met). Closing needs the review and Permission.APPROVE; so does
    reopening a closed incident. Going back before 复盘 reopens the resolution clock.
    """
    try:
        target = Phase(to_phase)
    except ValueError:
        raise ValidationError({"to_phase": _("未知的阶段。")})
    row = locked_incident(tenant, incident)
    current = Phase(row.phase)
    here, there = _phase_index(current), _phase_index(target)
    reason = (reason or "").strip()
    if here == there:
        raise ValidationError(_("事件已处于“%(phase)s”阶段。") % {"phase": current.label}, code="same_phase")
    if there > here:
        _check_forward(tenant, actor, row, current, target)
    else:
        if not reason:
            raise ValidationError({"reason": _("退回到更早的阶段必须填写原因。")})
        if current == Phase.CLOSED:
            if not actor_may(tenant=tenant, actor=actor, permission=Permission.APPROVE):
                raise PermissionDenied(_("重新打开已关闭的事件需要主管或管理员审批。"))

    now = timezone.now()
    fields = ["phase", "updated_at"]
    if there > here:
        if current == Phase.RESPONSE and row.first_response_at is None:
            row.first_response_at = now
            fields.append("first_response_at")
            sla.sla_clock_stop(tenant=tenant, incident=row, kind=SlaClock.Kind.FIRST_RESPONSE, at=now)
        if target == Phase.REVIEW:
            row.resolved_at = now
            fields.append("resolved_at")
            sla.sla_clock_stop(tenant=tenant, incident=row, kind=SlaClock.Kind.RESOLUTION, at=now)
        if target == Phase.CLOSED:
            row.closed_at = now
            fields.append("closed_at")
            sla.sla_clocks_cancel(tenant=tenant, incident=row, at=now)
    else:
        if current == Phase.CLOSED:
            row.closed_at = None
            fields.append("closed_at")
        if there < _phase_index(Phase.REVIEW) and row.resolved_at is not None:
            row.resolved_at = None
            fields.append("resolved_at")
            sla.sla_clock_reopen(tenant=tenant, incident=row, kind=SlaClock.Kind.RESOLUTION)
    row.phase = target
    row.save(update_fields=fields)

    if there > here:
        body = _("阶段：%(from)s → %(to)s") % {"from": current.label, "to": target.label}
    else:
        body = _("退回：%(from)s → %(to)s。原因：%(reason)s") % {
            "from": current.label,
            "to": target.label,
            "reason": reason,
        }
    timeline_add(
        tenant=tenant,
        incident=row,
        kind=TimelineEntry.Kind.PHASE,
        actor=actor,
        body=body,
        data={"from": current, "to": target, "reason": reason, "direction": "forward" if there > here else "back"},
    )
    audit(
        tenant,
        actor,
        "incident.move",
        row,
        {"phase": {"before": current, "after": target}, **({"reason": reason} if reason else {})},
    )
    return row


def _check_forward(tenant: Tenant, actor: User | None, row: Incident, current: Phase, target: Phase) -> None:
    if _phase_index(target) != _phase_index(current) + 1:
        following = PHASE_ORDER[_phase_index(current) + 1]
        raise ValidationError(
            _("不能跳过阶段：请先进入“%(next)s”阶段。") % {"next": following.label}, code="skip_phase"
        )
    missing = missing_fields(row)
    if missing:
        raise ValidationError(missing)
    if target == Phase.REVIEW:
        open_tasks = (
            IncidentTask.objects.for_tenant(tenant)
            .filter(incident=row, status__in=[IncidentTask.Status.OPEN, IncidentTask.Status.IN_PROGRESS])
            .count()
        )
        if open_tasks:
            raise ValidationError(
                _("还有 %(count)d 项协同任务未完成，请完成或取消后再进入复盘。") % {"count": open_tasks},
                code="open_tasks",
            )
    if target == Phase.CLOSED:
        # The guard let a writer in; closing is the desk's sign-off, with a message that says so.
        if not actor_may(tenant=tenant, actor=actor, permission=Permission.APPROVE):
            raise PermissionDenied(_("关闭事件需要主管或管理员审批。"))
        if not row.has_review:
            raise ValidationError(_("请先完成复盘（填写根本原因）再关闭事件。"), code="no_review")


@tenant_service(Permission.WRITE)
def incident_open_from_feedback(
    *, tenant: Tenant, actor: User | None, feedback: Feedback, severity: int, title: str = ""
) -> Incident:
    """Escalate a feedback item into a new incident (升级为舆情事件), linked both ways.

    Goes through customers' `feedback_escalate`, which marks the item escalated and records that in
    its audit trail; the incident links the item and its customer. The owner is the item's handler
    when they may handle incidents, else the acting member.
    """
    if feedback.tenant_id != tenant.pk:
        raise ValidationError({"feedback": _("反馈不属于本机构。")})
    wanted_title = (title or "").strip()

    def open_incident(row: Feedback) -> Incident:
        return _open_for_feedback(tenant=tenant, actor=actor, feedback=row, severity=severity, title=wanted_title)

    return feedback_escalate(tenant=tenant, actor=actor, feedback=feedback, open_incident=open_incident).incident


def _open_for_feedback(
    *, tenant: Tenant, actor: User | None, feedback: Feedback, severity: int, title: str = ""
) -> Incident:
    owner = feedback.handler if feedback.handler_id else None
    if owner is None or not owner.is_active or not has_permission(owner, Permission.WRITE):
        acting = actor_membership(tenant=tenant, actor=actor)
        owner = acting if has_permission(acting, Permission.WRITE) else None
    return incident_open(
        tenant=tenant,
        actor=actor,
        title=title or feedback.subject,
        severity=severity,
        summary=feedback.content,
        owner=owner,
        customers=[feedback.customer] if feedback.customer_id else [],
        feedback=[feedback],
    )


def open_incident_for_escalated_feedback(feedback: Feedback) -> Incident:
    """The opener customers' escalate button uses (registered in IncidentsConfig.ready()).

    That button knows no severity: the incident opens as III 级 较大, the owner is the item's
    handler; the desk regrades it in 分析研判. The acting user is recorded on the feedback's own
    escalation event, in the same transaction.
    """
    return _open_for_feedback(tenant=feedback.tenant, actor=None, feedback=feedback, severity=Severity.III)


@tenant_service(Permission.WRITE)
def incident_note_add(
    *, tenant: Tenant, actor: User | None, incident: Incident, body: str, kind: str = TimelineEntry.Kind.NOTE
) -> TimelineEntry:
    """A note, or a communication in or out (来文/来电, 对外沟通), on the incident's timeline."""
    if incident.tenant_id != tenant.pk:
        raise ValidationError(_("事件不属于本机构。"))
    if kind not in NOTE_KINDS:
        raise ValidationError({"kind": _("请选择备注、来文/来电或对外沟通。")})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("请填写内容。")})
    entry = timeline_add(tenant=tenant, incident=incident, kind=kind, actor=actor, body=body)
    audit(tenant, actor, "incident.note", incident, {"kind": kind, "entry": entry.pk})
    return entry
