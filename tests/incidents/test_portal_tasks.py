"""Tasks in the portal: adding one to an incident, department queues, my tasks, comments with @mentions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident, IncidentTask, Phase, TaskComment
from incidents.services.tasks import task_create
from tests.incidents.factories import department_of, member, open_incident
from tests.incidents.portal_support import NOW, html, messages_of, rows
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db
K = Department.Kind


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def incident(tenant_a, admin_a) -> Incident:
    return open_incident(tenant_a, admin_a.user, title="客户投诉暴力催收")


@pytest.fixture
def legal(tenant_a):
    return member(tenant_a, "hejia", Role.HANDLER, K.LEGAL)


def new_task(incident: Incident, actor, department_kind: str, title: str, **extra) -> IncidentTask:
    return task_create(
        tenant=incident.tenant,
        actor=actor,
        incident=incident,
        department=department_of(incident.tenant, department_kind),
        title=title,
        **extra,
    )


# --- adding a task --------------------------------------------------------------------------------


def test_adding_a_task_assigns_and_notifies(client_a, tenant_a, incident, legal):
    response = client_a.post(
        reverse("incidents:task-create", args=[incident.pk]),
        {
            "task-title": "调取外包催收通话记录",
            "task-department": department_of(tenant_a, K.LEGAL).pk,
            "task-assignee": legal.pk,
            "task-due_at": "2026-03-10T18:00",
        },
        follow=True,
    )
    task = IncidentTask.objects.for_tenant(tenant_a).get()
    assert (task.title, task.assignee, task.department.kind) == ("调取外包催收通话记录", legal, K.LEGAL)
    assert task.due_at == dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # typed in Shanghai time
    assert "已向法务部分派任务“调取外包催收通话记录”。" in messages_of(response)
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=legal, kind="assignment").exists()


def test_a_task_needs_a_title_and_a_department(client_a, tenant_a, incident):
    response = client_a.post(
        reverse("incidents:task-create", args=[incident.pk]), {"task-title": "", "task-department": ""}
    )
    text = html(response)
    assert response.status_code == 400
    assert "请填写任务内容。" in text and "请选择承办部门。" in text
    assert not IncidentTask.objects.for_tenant(tenant_a).exists()


def test_the_assignee_must_be_in_the_chosen_department(client_a, tenant_a, incident, legal):
    response = client_a.post(
        reverse("incidents:task-create", args=[incident.pk]),
        {"task-title": "发布情况说明", "task-department": department_of(tenant_a, K.PR).pk, "task-assignee": legal.pk},
    )
    assert "承办人不在所选部门。" in html(response)


def test_another_tenants_department_is_not_a_choice(client_a, tenant_a, tenant_b, incident):
    response = client_a.post(
        reverse("incidents:task-create", args=[incident.pk]),
        {"task-title": "跨租户任务", "task-department": department_of(tenant_b, K.LEGAL).pk},
    )
    assert "请选择本机构的部门。" in html(response)
    assert not IncidentTask.objects.for_tenant(tenant_a).exists()


def test_a_closed_incident_takes_no_tasks(client_a, tenant_a, incident):
    Incident.objects.for_tenant(tenant_a).filter(pk=incident.pk).update(phase=Phase.CLOSED)
    response = client_a.post(
        reverse("incidents:task-create", args=[incident.pk]),
        {"task-title": "补充任务", "task-department": department_of(tenant_a, K.PR).pk},
        follow=True,
    )
    assert "事件已关闭，不能再修改；如需继续处置，请先退回到处置阶段。" in messages_of(response)
    assert not IncidentTask.objects.for_tenant(tenant_a).exists()


# --- queues ---------------------------------------------------------------------------------------


def test_the_queue_defaults_to_my_department(client_for, tenant_a, admin_a, incident, legal):
    mine = new_task(incident, admin_a.user, K.LEGAL, "法律意见")
    other = new_task(incident, admin_a.user, K.PR, "情况说明")
    text = html(client_for(legal).get(reverse("incidents:task-queue")))
    assert rows(text, "data-task") == [str(mine.pk)]
    assert str(other.pk) not in rows(text, "data-task")


def test_the_queue_can_show_another_department_or_all(client_a, tenant_a, admin_a, incident):
    legal_task = new_task(incident, admin_a.user, K.LEGAL, "法律意见")
    pr_task = new_task(incident, admin_a.user, K.PR, "情况说明")
    pr = department_of(tenant_a, K.PR)
    assert rows(html(client_a.get(reverse("incidents:task-queue"), {"department": pr.pk})), "data-task") == [
        str(pr_task.pk)
    ]
    shown = rows(html(client_a.get(reverse("incidents:task-queue"), {"department": "all"})), "data-task")
    assert set(shown) == {str(legal_task.pk), str(pr_task.pk)}


def test_the_queue_hides_finished_tasks_unless_asked(client_a, tenant_a, admin_a, incident):
    done = new_task(incident, admin_a.user, K.PR, "已完成的任务")
    IncidentTask.objects.for_tenant(tenant_a).filter(pk=done.pk).update(status="done")
    pr = department_of(tenant_a, K.PR).pk
    assert rows(html(client_a.get(reverse("incidents:task-queue"), {"department": pr})), "data-task") == []
    with_done = client_a.get(reverse("incidents:task-queue"), {"department": pr, "done": "1"})
    assert rows(html(with_done), "data-task") == [str(done.pk)]


def test_another_tenants_department_in_the_queue_is_refused(client_a, tenant_b):
    response = client_a.get(reverse("incidents:task-queue"), {"department": department_of(tenant_b, K.PR).pk})
    assert "请选择本机构的部门。" in html(response)


def test_my_tasks_lists_only_mine(client_for, tenant_a, admin_a, incident, legal):
    mine = new_task(incident, admin_a.user, K.LEGAL, "法律意见", assignee=legal)
    new_task(incident, admin_a.user, K.LEGAL, "部门任务")
    text = html(client_for(legal).get(reverse("incidents:my-tasks")))
    assert rows(text, "data-task") == [str(mine.pk)]
    assert "法律意见" in text


def test_an_overdue_task_is_marked(client_for, tenant_a, admin_a, incident, legal):
    new_task(incident, admin_a.user, K.LEGAL, "逾期任务", assignee=legal, due_at=NOW - dt.timedelta(hours=1))
    assert "已逾期" in html(client_for(legal).get(reverse("incidents:my-tasks")))


# --- task detail, status, comments ------------------------------------------------------------


def test_the_task_page_shows_the_task_and_its_incident(client_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明", description="请 @admin_a 审核")
    text = html(client_a.get(reverse("incidents:task-detail", args=[task.pk])))
    assert "发布情况说明" in text and incident.code in text
    assert '<span class="mention">@admin_a</span>' in text


def test_changing_the_status(client_a, tenant_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明")
    response = client_a.post(reverse("incidents:task-status", args=[task.pk]), {"status": "done"}, follow=True)
    assert "任务状态已改为“已完成”。" in messages_of(response)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at == NOW


def test_an_unknown_status_is_refused(client_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明")
    response = client_a.post(reverse("incidents:task-status", args=[task.pk]), {"status": "lost"}, follow=True)
    assert "未知的任务状态。" in messages_of(response)


def test_a_comment_with_a_mention_notifies_the_colleague(client_a, tenant_a, admin_a, incident, legal):
    task = new_task(incident, admin_a.user, K.LEGAL, "调取通话记录")
    response = client_a.post(
        reverse("incidents:task-comment", args=[task.pk]), {"body": "@hejia 请今天下班前完成"}, follow=True
    )
    assert "已发表评论。" in messages_of(response)
    comment = TaskComment.objects.for_tenant(tenant_a).get(task=task)
    assert comment.body == "@hejia 请今天下班前完成"
    note = Notification.objects.for_tenant(tenant_a).get(recipient=legal, kind="mention")
    assert note.link == reverse("incidents:task-detail", args=[task.pk])
    assert '<span class="mention">@hejia</span>' in html(response)


def test_an_empty_comment_is_refused(client_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明")
    response = client_a.post(reverse("incidents:task-comment", args=[task.pk]), {"body": "  "})
    assert response.status_code == 400 and "请填写评论内容。" in html(response)


def test_a_mention_in_a_comment_escapes_markup(client_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明")
    client_a.post(reverse("incidents:task-comment", args=[task.pk]), {"body": "<script>alert(1)</script> @admin_a"})
    text = html(client_a.get(reverse("incidents:task-detail", args=[task.pk])))
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


def test_a_viewer_reads_tasks_but_cannot_comment(client_for, viewer_a, admin_a, incident):
    task = new_task(incident, admin_a.user, K.PR, "发布情况说明")
    client = client_for(viewer_a)
    assert 'data-form="comment"' not in html(client.get(reverse("incidents:task-detail", args=[task.pk])))
    assert client.post(reverse("incidents:task-comment", args=[task.pk]), {"body": "hi"}).status_code == 403
