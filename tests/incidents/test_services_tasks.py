"""Cross-department tasks: creation, status, comments and @mentions, tenant isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.models import IncidentTask, TaskComment, TimelineEntry
from incidents.selectors import my_tasks, task_queue
from incidents.services.tasks import mentioned_members, task_comment_add, task_create, task_set_status
from tests.incidents.factories import department_of, member, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Notification
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db
Kind = Department.Kind


@pytest.fixture
def incident(tenant_a, admin_a):
    return open_incident(tenant_a, admin_a.user)


def _task(tenant, actor, incident, **fields):
    fields.setdefault("department", department_of(tenant, Kind.LEGAL))
    fields.setdefault("title", "出具法律意见")
    return task_create(tenant=tenant, actor=actor, incident=incident, **fields)


def test_a_task_joins_its_department_to_the_incident_and_tells_the_assignee(tenant_a, admin_a, incident) -> None:
    lawyer = member(tenant_a, "lawyer", Role.HANDLER, Kind.LEGAL)
    due = timezone.now() + dt.timedelta(hours=4)
    task = _task(tenant_a, admin_a.user, incident, assignee=lawyer, due_at=due, description="评估名誉侵权")
    assert (task.status, task.due_at, task.created_by) == ("open", due, admin_a.user)
    legal = department_of(tenant_a, Kind.LEGAL)
    assert Department.objects.for_tenant(tenant_a).filter(incidents=incident).get() == legal
    note = Notification.objects.for_tenant(tenant_a).get(recipient=lawyer)
    assert note.kind == "assignment" and "出具法律意见" in note.title
    entry = TimelineEntry.objects.for_tenant(tenant_a).get(incident=incident, kind="task")
    assert entry.body == f"分派任务“出具法律意见”给 法务部 / {lawyer.user}"
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.task_create").count() == 1


def test_task_input_is_checked_in_chinese(tenant_a, admin_a, incident) -> None:
    with pytest.raises(ValidationError) as caught:
        task_create(tenant=tenant_a, actor=admin_a.user, incident=incident, department=None, title=" ")
    assert caught.value.message_dict == {"title": ["请填写任务内容。"], "department": ["请选择承办部门。"]}


def test_another_tenants_department_or_assignee_is_refused(tenant_a, tenant_b, admin_a, admin_b, incident) -> None:
    with pytest.raises(ValidationError) as caught:
        _task(tenant_a, admin_a.user, incident, department=department_of(tenant_b, Kind.LEGAL))
    assert caught.value.message_dict == {"department": ["部门不属于本机构。"]}
    with pytest.raises(ValidationError) as caught:
        _task(tenant_a, admin_a.user, incident, assignee=admin_b)
    assert "assignee" in caught.value.message_dict
    assert not IncidentTask.objects.for_tenant(tenant_a).exists()


def test_a_task_cannot_be_added_to_another_tenants_incident(tenant_a, tenant_b, admin_a, admin_b) -> None:
    foreign = open_incident(tenant_b, admin_b.user)
    with pytest.raises(ValidationError):
        _task(tenant_a, admin_a.user, foreign)


def test_status_changes_record_completion(tenant_a, admin_a, handler_a, viewer_a, incident) -> None:
    task = _task(tenant_a, admin_a.user, incident)
    with pytest.raises(PermissionDenied):
        task_set_status(tenant=tenant_a, actor=viewer_a.user, task=task, status="done")
    task = task_set_status(tenant=tenant_a, actor=handler_a.user, task=task, status="done")
    assert task.completed_at is not None
    task = task_set_status(tenant=tenant_a, actor=handler_a.user, task=task, status="in_progress")
    assert task.completed_at is None
    with pytest.raises(ValidationError):
        task_set_status(tenant=tenant_a, actor=handler_a.user, task=task, status="lost")
    bodies = list(
        TimelineEntry.objects.for_tenant(tenant_a)
        .filter(incident=incident, data__action="status")
        .values_list("body", flat=True)
    )
    assert "任务“出具法律意见”：待处理 → 已完成" in bodies


def test_mentions_in_comments_notify_the_people_named(tenant_a, tenant_b, admin_a, incident) -> None:
    li = member(tenant_a, "li", Role.HANDLER, Kind.PR)
    lisa = member(tenant_a, "lisa", Role.HANDLER, Kind.PR)
    wang = member(tenant_a, "wang.wei", Role.HANDLER, Kind.LEGAL)
    member(tenant_b, "zhao", Role.HANDLER)  # another tenant's user is never "mentioned" here
    task = _task(tenant_a, admin_a.user, incident)

    comment = task_comment_add(
        tenant=tenant_a,
        actor=admin_a.user,
        task=task,
        body="@li请今天出口径，@wang.wei 复核；@zhao 不在本机构；邮件 someone@li 不算",
    )

    with tenant_context(tenant_a):
        assert set(comment.mentions.all()) == {li, wang}
    notes = Notification.objects.for_tenant(tenant_a).filter(kind="mention")
    assert set(notes.values_list("recipient__user__username", flat=True)) == {"li", "wang.wei"}
    assert not Notification.objects.for_tenant(tenant_a).filter(recipient=lisa).exists()
    assert "提到了您" in notes.first().title
    assert TaskComment.objects.for_tenant(tenant_a).get().author == admin_a.user


def test_the_longest_username_wins_and_self_mentions_are_quiet(tenant_a, admin_a, incident) -> None:
    member(tenant_a, "li", Role.HANDLER)
    lisa = member(tenant_a, "lisa", Role.HANDLER)
    assert mentioned_members(tenant_a, "请 @lisa 处理") == [lisa]
    task = _task(tenant_a, admin_a.user, incident)
    task_comment_add(tenant=tenant_a, actor=admin_a.user, task=task, body="@admin_a 自己记一笔")
    assert not Notification.objects.for_tenant(tenant_a).filter(kind="mention").exists()


def test_an_empty_comment_is_refused(tenant_a, admin_a, incident) -> None:
    task = _task(tenant_a, admin_a.user, incident)
    with pytest.raises(ValidationError) as caught:
        task_comment_add(tenant=tenant_a, actor=admin_a.user, task=task, body="  ")
    assert caught.value.message_dict == {"body": ["请填写评论内容。"]}


def test_queues_and_my_tasks_stay_in_the_tenant(tenant_a, tenant_b, admin_a, admin_b, incident) -> None:
    lawyer = member(tenant_a, "lawyer", Role.HANDLER, Kind.LEGAL)
    mine = _task(tenant_a, admin_a.user, incident, assignee=lawyer)
    other = _task(tenant_a, admin_a.user, incident, department=department_of(tenant_a, Kind.PR), title="准备口径")
    _task(tenant_b, admin_b.user, open_incident(tenant_b, admin_b.user), department=department_of(tenant_b, Kind.LEGAL))
    assert list(task_queue(tenant=tenant_a, department=department_of(tenant_a, Kind.LEGAL))) == [mine]
    assert set(task_queue(tenant=tenant_a, department=None)) == {mine, other}
    assert list(task_queue(tenant=tenant_a, department=department_of(tenant_b, Kind.LEGAL))) == []
    assert list(my_tasks(tenant=tenant_a, membership=lawyer)) == [mine]
    assert list(my_tasks(tenant=tenant_a, membership=admin_b)) == []
