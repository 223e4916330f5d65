"""Cross-department tasks of an incident: create, change status, comment with @mentions.

A task belongs to a department and optionally to one member; its department joins the incident's
departments involved (so its head hears of a breach). Any writer of the tenant may change a task's
status: departments help each other, and the timeline and audit trail say who did what.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident, IncidentTask, TaskComment, TimelineEntry
from incidents.services.common import (
    audit,
    check_department,
    check_member,
    require_open,
    timeline_add,
)
from yuqing.notify.models import Notification
from yuqing.notify.services import notification_send
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Membership, Tenant, User
from yuqing.tenancy.roles import Permission

Status = IncidentTask.Status
# A mention ends where a username cannot go on: "@li请处理" mentions li, "@lisa" does not mention li.
USERNAME_CHAR = re.compile(r"[A-Za-z0-9_.@+-]")


def _task_link(task: IncidentTask) -> str:
    try:
        return reverse("incidents:task-detail", kwargs={"pk": task.pk})
    except NoReverseMatch:
        return ""


def _locked_task(tenant: Tenant, task: IncidentTask) -> IncidentTask:
    return (
        IncidentTask.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=task.pk)
    )


@tenant_service(Permission.WRITE)
def task_create(
    *,
    tenant: Tenant,
    actor: User | None,
    incident: Incident,
    department: Department,
    title: str,
    description: str = "",
    assignee: Membership | None = None,
    due_at: dt.datetime | None = None,
) -> IncidentTask:
    if incident.tenant_id != tenant.pk:
        raise ValidationError(_("事件不属于本机构。"))
    require_open(incident)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("请填写任务内容。")
    elif len(title) > IncidentTask._meta.get_field("title").max_length:
        errors["title"] = _("任务内容不能超过 200 个字。")
    if department is None:
        errors["department"] = _("请选择承办部门。")
    if due_at is not None and (not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at)):
        errors["due_at"] = _("请填写完整的截止时间（日期和时间）。")
    if errors:
        raise ValidationError(errors)
    check_department(tenant, department)
    check_member(tenant, assignee, "assignee", label=_("承办人"))

    task = IncidentTask.objects.create(
        tenant=tenant,
        incident=incident,
        department=department,
        assignee=assignee,
        title=title,
        description=(description or "").strip(),
        due_at=due_at,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    incident.departments.add(department, through_defaults={"tenant": tenant})
    who = f"{department.name}" + (f" / {assignee.user}" if assignee is not None else "")
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.TASK,
        actor=actor,
        body=_("分派任务“%(title)s”给 %(who)s") % {"title": title, "who": who},
        data={"action": "create", "task": task.pk, "department": department.pk},
    )
    if assignee is not None and (actor is None or assignee.user_id != actor.pk):
        notification_send(
            tenant=tenant,
            recipients=[assignee],
            kind=Notification.Kind.ASSIGNMENT,
            title=_("新任务：%(title)s（%(code)s）") % {"title": title, "code": incident.code},
            body=task.description,
            link=_task_link(task),
        )
    audit(
        tenant,
        actor,
        "incident.task_create",
        task,
        {
            "incident": incident.pk,
            "department": department.pk,
            "assignee": assignee.pk if assignee else None,
            "due_at": due_at,
        },
    )
    return task


@tenant_service(Permission.WRITE)
def task_set_status(*, tenant: Tenant, actor: User | None, task: IncidentTask, status: str) -> IncidentTask:
    """Any status to any other; done sets the completion time, reopening clears it."""
    if status not in Status.values:
        raise ValidationError({"status": _("未知的任务状态。")})
    row = _locked_task(tenant, task)
    require_open(row.incident)
    if row.status == status:
        return row
    before = row.status
    row.status = status
    row.completed_at = timezone.now() if status == Status.DONE else None
    row.save(update_fields=["status", "completed_at"])
    timeline_add(
        tenant=tenant,
        incident=row.incident,
        kind=TimelineEntry.Kind.TASK,
        actor=actor,
        body=_("任务“%(title)s”：%(before)s → %(after)s")
        % {"title": row.title, "before": Status(before).label, "after": Status(status).label},
        data={"action": "status", "task": row.pk, "from": before, "to": status},
    )
    audit(tenant, actor, "incident.task_status", row, {"status": {"before": before, "after": status}})
    return row


def mentioned_members(tenant: Tenant, body: str) -> list[Membership]:
    """Active members named as @username in `body` (the longest username that fits at each @)."""
    if "@" not in body:
        return []
    members = {
        member.user.username: member
        for member in Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user")
    }
    by_length = sorted(members, key=len, reverse=True)
    found: dict[int, Membership] = {}
    for match in re.finditer("@", body):
        start = match.end()
        if match.start() > 0 and USERNAME_CHAR.match(body[match.start() - 1]):
            continue  # an e-mail address, not a mention
        for username in by_length:
            end = start + len(username)
            if body.startswith(username, start) and not (end < len(body) and USERNAME_CHAR.match(body[end])):
                found.setdefault(members[username].pk, members[username])
                break
    return list(found.values())


@tenant_service(Permission.WRITE)
def task_comment_add(*, tenant: Tenant, actor: User, task: IncidentTask, body: str) -> TaskComment:
    """A comment on a task; colleagues mentioned as @username get a notification in the portal."""
    if task.tenant_id != tenant.pk:
        raise ValidationError(_("任务不属于本机构。"))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("请填写评论内容。")})
    if actor is None:
        raise ValidationError(_("评论需要署名的成员。"))
    comment = TaskComment.objects.create(tenant=tenant, task=task, author=actor, body=body)
    mentioned = [member for member in mentioned_members(tenant, body) if member.user_id != actor.pk]
    if mentioned:
        comment.mentions.set(mentioned, through_defaults={"tenant": tenant})
        notification_send(
            tenant=tenant,
            recipients=mentioned,
            kind=Notification.Kind.MENTION,
            title=_("%(who)s 在任务“%(title)s”中提到了您") % {"who": actor, "title": task.title},
            body=body[:500],
            link=_task_link(task),
        )
    timeline_add(
        tenant=tenant,
        incident=task.incident,
        kind=TimelineEntry.Kind.TASK,
        actor=actor,
        body=_("评论任务“%(title)s”：%(body)s") % {"title": task.title, "body": body[:200]},
        data={"action": "comment", "task": task.pk, "comment": comment.pk, "mentions": [m.pk for m in mentioned]},
    )
    audit(tenant, actor, "incident.task_comment", task, {"comment": comment.pk, "mentions": [m.pk for m in mentioned]})
    return comment
