"""Analysts' actions on warnings: acknowledge, close, set the level by hand, escalate a mention.

Writing needs Permission.WRITE (handlers, managers, admins; tenancy.guard's rule); viewers and
auditors are refused. Each action records an audit event in its own transaction, last (after the
row locks, see process.py for the lock order).
Levels only go down by an analyst's hand (warning_set_level, with a reason); the peak stays.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.services.intake import story_note
from yuqing.audit.services import audit_record, changes_between
from yuqing.monitoring.models import Level, Mention, RiskWarning, Story
from yuqing.monitoring.services.warnings import handling
from yuqing.monitoring.services.warnings.process import (
    StoryWork,
    _change,
    _group,
    _handle,
    _open_incidents,
    _warning_move,
    _warnings_update,
    incident_route,
    policy_lock,
)
from yuqing.monitoring.services.warnings.routing import warnings_route
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Membership, Tenant, User
from yuqing.tenancy.roles import Permission

REASON_MAX = 500
# Mentions of a story read to describe it to an incident opened by hand.
STORY_SAMPLE = 20


def _check_tenant(tenant: Tenant, row: RiskWarning | Mention) -> None:
    if row.tenant_id != tenant.pk:
        raise ValidationError(_("该记录不属于本机构。"))


def _locked_warning(tenant: Tenant, warning: RiskWarning) -> RiskWarning:
    _check_tenant(tenant, warning)
    return RiskWarning.objects.for_tenant(tenant).select_for_update().get(pk=warning.pk)


def _story_mentions(tenant: Tenant, story: Story) -> list[Mention]:
    return list(
        Mention.objects.for_tenant(tenant)
        .filter(story=story)
        .select_related("source")
        .order_by("-score", "-published_at", "-pk")[:STORY_SAMPLE]
    )


def _member_name(member: Membership | None) -> str:
    return str(member.user) if member is not None else _("系统")


@tenant_service(Permission.WRITE)
def warning_acknowledge(*, tenant: Tenant, actor: User | None, warning: RiskWarning) -> RiskWarning:
    """受理: the acting member takes the warning on. Acknowledging it again changes nothing."""
    member = actor_membership(tenant=tenant, actor=actor)
    row = _locked_warning(tenant, warning)
    if row.status == RiskWarning.Status.CLOSED:
        raise ValidationError(_("预警已关闭，不能再受理。"), code="closed")
    if row.status == RiskWarning.Status.ACKNOWLEDGED:
        return row
    before = {"status": row.status, "handler": row.handler_id}
    row.status = RiskWarning.Status.ACKNOWLEDGED
    if member is not None:
        row.handler = member
    row.updated_at = timezone.now()
    row.save(update_fields=["status", "handler", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="warning.acknowledge",
        target=row,
        changes=changes_between(before, {"status": row.status, "handler": row.handler_id}),
    )
    return row


@tenant_service(Permission.WRITE)
def warning_close(*, tenant: Tenant, actor: User | None, warning: RiskWarning, reason: str = "") -> RiskWarning:
    """Close the warning (handled, or a false alarm). A more severe mention of its story reopens it."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("原因不能超过 %(limit)d 个字。") % {"limit": REASON_MAX}})
    row = _locked_warning(tenant, warning)
    if row.status == RiskWarning.Status.CLOSED:
        raise ValidationError(_("预警已关闭。"), code="closed")
    before = row.status
    row.status = RiskWarning.Status.CLOSED
    row.updated_at = timezone.now()
    row.save(update_fields=["status", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="warning.close",
        target=row,
        changes={**changes_between({"status": before}, {"status": row.status}), "reason": reason},
    )
    return row


def _clean_level(level: object) -> Level:
    try:
        return Level(int(level))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValidationError({"level": _("请选择有效的预警级别（红、橙、黄、蓝）。")})


@tenant_service(Permission.WRITE)
def warning_set_level(
    *, tenant: Tenant, actor: User | None, warning: RiskWarning, level: int, reason: str
) -> RiskWarning:
    """升级 / 降级 by hand, with a reason. Upgrading to orange or red opens or joins the story's incident
    and tells the duty roster; any upgrade goes to the channels; a level of blue or yellow puts the
    warning in the customer-service queue. An incident is never downgraded from here: its desk decides."""
    member = actor_membership(tenant=tenant, actor=actor)
    wanted = _clean_level(level)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("调整预警级别必须填写原因。")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("原因不能超过 %(limit)d 个字。") % {"limit": REASON_MAX}})
    _check_tenant(tenant, warning)
    policy = policy_lock(tenant=tenant)
    story = Story.objects.for_tenant(tenant).select_for_update().get(pk=warning.story_id)
    row = _locked_warning(tenant, warning)
    if wanted == row.level:
        raise ValidationError({"level": _("预警已是该级别。")}, code="same_level")
    before = row.level
    now = timezone.now()
    _warning_move(row, wanted, now=now)
    row.save(update_fields=["level", "peak_level", "queue", "status", "updated_at"])
    _change(row, before, wanted, None, now, changed_by=member, reason=reason).save()

    upgraded = wanted < before
    message = handling.warning_message(story, row, wanted, policy)
    note = _("%(who)s将预警由%(from)s调整为%(to)s。原因：%(reason)s") % {
        "who": _member_name(member),
        "from": handling.level_name(before, policy),
        "to": handling.level_name(wanted, policy),
        "reason": reason,
    }
    if upgraded and wanted in handling.INCIDENT_LEVELS:
        work = StoryWork(story=story, mentions=_story_mentions(tenant, story))
        incident_route(
            tenant=tenant,
            actor=actor,
            warning=row,
            work=work,
            severity=wanted,
            policy=policy,
            message=message,
            notify_level=wanted,
            note=note,
        )
    else:
        if wanted not in handling.INCIDENT_LEVELS:
            handling.notify_customer_service(tenant=tenant, items=[(row, wanted, message)])
        story_note(tenant=tenant, actor=actor, incident_id=row.incident_id, body=note)
    if upgraded:
        warnings_route(tenant=tenant, events=[(row, wanted, message)], moment=now)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="warning.set_level",
        target=row,
        changes={**changes_between({"level": before}, {"level": wanted}), "reason": reason},
    )
    return row


@tenant_service(Permission.WRITE)
def warning_escalate_mention(*, tenant: Tenant, actor: User | None, mention: Mention) -> RiskWarning:
    """An analyst escalates a mention (升级): its story's incident is opened or joined, whatever the level.

    The mention is grouped first when it has no story yet; its story gets a warning if it has none
    (at the mention's level, blue when it has none), in the incident queue. The incident opens at
    the warning's severity. The mention is marked escalated. Escalating it again changes nothing
    while the incident is open.
    """
    member = actor_membership(tenant=tenant, actor=actor)
    _check_tenant(tenant, mention)
    policy = policy_lock(tenant=tenant)
    row = Mention.objects.for_tenant(tenant).select_related("source").get(pk=mention.pk)
    if row.status != Mention.Status.SCORED:
        raise ValidationError(_("该信息尚未完成评分，请稍后再升级。"), code="not_scored")
    now = timezone.now()
    if row.story_id is None:
        works = _group(tenant=tenant, policy=policy, rows=[row], now=now)
    else:
        story = Story.objects.for_tenant(tenant).select_for_update().get(pk=row.story_id)
        works = {story.pk: StoryWork(story=story, mentions=[row])}
    events = _warnings_update(tenant=tenant, works=works, now=now)
    _handle(tenant=tenant, actor=actor, policy=policy, events=events, now=now)
    work = works[row.story_id]
    if not work.mentions:
        work.mentions = [row]

    warning = RiskWarning.objects.for_tenant(tenant).select_for_update().filter(story_id=row.story_id).first()
    if warning is None:
        level = Level(row.level) if row.level else Level.BLUE
        warning = RiskWarning.objects.create(
            tenant=tenant,
            story=work.story,
            level=level,
            peak_level=level,
            score=work.story.top_score,
            queue=RiskWarning.Queue.INCIDENT,
            trigger=row,
            handler=member,
            raised_at=now,
            updated_at=now,
        )
        _change(warning, None, level, row, now, changed_by=member, reason=_("人工升级为事件")).save()
    open_ids = _open_incidents(tenant, [warning.incident_id])
    already = row.triage == Mention.Triage.ESCALATED and warning.incident_id in open_ids
    # The duty roster already heard of an orange or red level reached just now.
    duty_told = any(e.kind != "joined" and e.level in handling.INCIDENT_LEVELS for e in events)
    if not already:
        note = _("%(who)s将信息“%(title)s”升级为事件处置。") % {
            "who": _member_name(member),
            "title": (row.title or row.body[:40]).strip(),
        }
        incident = incident_route(
            tenant=tenant,
            actor=actor,
            warning=warning,
            work=work,
            severity=warning.level,
            policy=policy,
            open_ids=open_ids,
            notify_level=None if duty_told else warning.level,
            note=note,
            dedupe_key=f"warning:{warning.pk}:escalated:{row.pk}",
        )
        fields = ["queue", "updated_at"]
        warning.queue = RiskWarning.Queue.INCIDENT
        warning.updated_at = now
        if warning.status == RiskWarning.Status.CLOSED:
            warning.status = RiskWarning.Status.OPEN
            fields.append("status")
        warning.save(update_fields=fields)
        row.triage = Mention.Triage.ESCALATED
        row.triaged_by = member
        row.triaged_at = now
        row.save(update_fields=["triage", "triaged_by", "triaged_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="mention.escalate",
            target=row,
            changes={"warning": warning.pk, "incident": incident.code},
        )
    mention.story_id, mention.triage = row.story_id, row.triage
    return warning
