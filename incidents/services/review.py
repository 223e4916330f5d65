"""The post-incident review (复盘) and its improvement actions.

One review per incident, recorded while it is in 复盘总结 (recording again updates the texts and
adds the new actions). Its timings come from the incident's own timestamps: discovery
(opened_at) to first response and to resolution (entering 复盘). Actions of kind training_need and
plan_revision are what the training module picks up (selectors.improvement_actions_open).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import ImprovementAction, Incident, IncidentReview, Phase, TimelineEntry
from incidents.services.common import audit, check_member, locked_incident, timeline_add
from yuqing.notify.models import Notification
from yuqing.notify.services import notification_send
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission


def _clean_actions(tenant: Tenant, actions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, action in enumerate(actions, start=1):
        kind = action.get("kind") or ImprovementAction.Kind.ACTION
        title = (action.get("title") or "").strip()
        owner, due_date = action.get("owner"), action.get("due_date")
        problems = []
        if kind not in ImprovementAction.Kind.values:
            problems.append(_("请选择有效的类型"))
        if not title:
            problems.append(_("请填写措施内容"))
        if owner is None:
            problems.append(_("请选择负责人"))
        else:
            try:
                check_member(tenant, owner, "owner", label=_("负责人"))
            except ValidationError as error:
                problems.extend(error.messages)
        if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
            problems.append(_("请填写完成期限"))
        if problems:
            errors.append(_("第 %(n)d 项改进措施：%(problems)s。") % {"n": number, "problems": "；".join(problems)})
            continue
        cleaned.append({"kind": kind, "title": title[:200], "owner": owner, "due_date": due_date})
    if errors:
        raise ValidationError({"actions": errors})
    return cleaned


@tenant_service(Permission.WRITE)
def review_record(
    *,
    tenant: Tenant,
    actor: User,
    incident: Incident,
    root_cause: str,
    what_worked: str = "",
    what_did_not: str = "",
    actions: Iterable[Mapping[str, Any]] = (),
) -> IncidentReview:
    if incident.tenant_id != tenant.pk:
        raise ValidationError(_("事件不属于本机构。"))
    row = locked_incident(tenant, incident)
    if row.phase != Phase.REVIEW:
        raise ValidationError(_("只有处于“复盘总结”阶段的事件可以记录复盘。"), code="not_in_review")
    root_cause = (root_cause or "").strip()
    if not root_cause:
        raise ValidationError({"root_cause": _("请填写根本原因。")})
    if actor is None or not actor.is_authenticated:
        raise ValidationError(_("复盘需要记录填写人。"))
    cleaned = _clean_actions(tenant, actions)

    timings = {
        "time_to_first_response": (row.first_response_at - row.opened_at) if row.first_response_at else None,
        "time_to_resolution": (row.resolved_at - row.opened_at) if row.resolved_at else None,
    }
    texts = {
        "root_cause": root_cause,
        "what_worked": (what_worked or "").strip(),
        "what_did_not": (what_did_not or "").strip(),
    }
    review = IncidentReview.objects.for_tenant(tenant).filter(incident=row).first()
    created = review is None
    if review is None:
        review = IncidentReview.objects.create(tenant=tenant, incident=row, created_by=actor, **texts, **timings)
    else:
        for name, value in {**texts, **timings}.items():
            setattr(review, name, value)
        review.save(update_fields=[*texts, *timings])
    new_actions = ImprovementAction.objects.bulk_create(
        [ImprovementAction(tenant=tenant, review=review, **action) for action in cleaned]
    )
    for action in new_actions:
        if action.owner.user_id != actor.pk:
            notification_send(
                tenant=tenant,
                recipients=[action.owner],
                kind=Notification.Kind.ASSIGNMENT,
                title=_("改进措施：%(title)s（%(code)s 复盘）") % {"title": action.title, "code": row.code},
                body=_("完成期限 %(date)s") % {"date": action.due_date.isoformat()},
            )
    body = _("记录复盘：根本原因 %(cause)s") if created else _("更新复盘：根本原因 %(cause)s")
    if new_actions:
        body += _("；新增 %(count)d 项改进措施") % {"count": len(new_actions)}
    timeline_add(
        tenant=tenant,
        incident=row,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        body=body % {"cause": root_cause[:200]},
        data={"action": "review", "review": review.pk, "actions": [a.pk for a in new_actions]},
    )
    audit(
        tenant,
        actor,
        "incident.review_record",
        review,
        {
            "incident": row.pk,
            "created": created,
            "root_cause": root_cause,
            "time_to_first_response": str(timings["time_to_first_response"] or ""),
            "time_to_resolution": str(timings["time_to_resolution"] or ""),
            "actions": [
                {"kind": a.kind, "title": a.title, "owner": a.owner_id, "due_date": a.due_date} for a in new_actions
            ],
        },
    )
    return review


@tenant_service(Permission.WRITE)
def improvement_action_complete(*, tenant: Tenant, actor: User, action: ImprovementAction) -> ImprovementAction:
    if action.tenant_id != tenant.pk:
        raise ValidationError(_("改进措施不属于本机构。"))
    row = (
        ImprovementAction.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("review__incident")
        .get(pk=action.pk)
    )
    if row.status == ImprovementAction.Status.DONE:
        raise ValidationError(_("该改进措施已完成。"), code="done")
    row.status, row.done_at = ImprovementAction.Status.DONE, timezone.now()
    row.save(update_fields=["status", "done_at"])
    timeline_add(
        tenant=tenant,
        incident=row.review.incident,
        kind=TimelineEntry.Kind.NOTE,
        actor=actor,
        body=_("改进措施“%(title)s”已完成") % {"title": row.title},
        data={"action": "improvement_done", "improvement": row.pk},
    )
    audit(tenant, actor, "incident.improvement_complete", row, {"status": {"before": "open", "after": "done"}})
    return row
