"""Cross-department tasks: adding one to an incident, department queues, my tasks, task detail."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import selectors
from incidents.forms import CommentForm, TaskForm, TaskStatusForm
from incidents.models import Incident, IncidentTask, Phase, TaskComment
from incidents.services import tasks as services
from incidents.views.common import incident_of, post_to
from incidents.views.detail import detail_context
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission, has_permission
from yuqing.tenancy.selectors import get_for_tenant

PAGE_SIZE = 50
ALL = "all"


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def task_create(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = TaskForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            task = services.task_create(
                tenant=request.tenant, actor=request.user, incident=incident, **form.cleaned_data
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # about the incident (closed, ...), not the form
                error_message(request, error)
                return redirect("incidents:incident-detail", pk=incident.pk)
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已向%(department)s分派任务“%(title)s”。") % {"department": task.department, "title": task.title},
            )
            response = redirect("incidents:incident-detail", pk=incident.pk)
            response["Location"] += "#tasks"
            return response
    context = detail_context(request, incident, task_form=form, open_section="task")
    return render(request, "incidents/incident_detail.html", context, status=400)


def _task_page(request: HttpRequest, tasks: object) -> object:
    return Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))


@member_required(Permission.READ)
@with_tenant_time
def task_queue(request: HttpRequest) -> HttpResponse:
    """A department's open tasks; the member's own department unless another is chosen."""
    departments = list(selectors.department_choices(tenant=request.tenant))
    wanted = request.GET.get("department")
    if wanted is None:
        wanted = str(request.membership.department_id or ALL)
    department = next((d for d in departments if str(d.pk) == wanted), None)
    if wanted != ALL and department is None:
        messages.error(request, _("请选择本机构的部门。"))
        wanted = ALL
    tasks = selectors.task_queue(tenant=request.tenant, department=department)
    if request.GET.get("done") != "1":
        tasks = tasks.filter(status__in=[IncidentTask.Status.OPEN, IncidentTask.Status.IN_PROGRESS])
    return render(
        request,
        "incidents/task_queue.html",
        {
            "departments": departments,
            "department": department,
            "selected": wanted,
            "show_done": request.GET.get("done") == "1",
            "page_obj": _task_page(request, tasks),
            "now": timezone.now(),
        },
    )


@member_required(Permission.READ)
@with_tenant_time
def my_tasks(request: HttpRequest) -> HttpResponse:
    tasks = selectors.my_tasks(tenant=request.tenant, membership=request.membership)
    if request.GET.get("done") != "1":
        tasks = tasks.filter(status__in=[IncidentTask.Status.OPEN, IncidentTask.Status.IN_PROGRESS])
    return render(
        request,
        "incidents/my_tasks.html",
        {"page_obj": _task_page(request, tasks), "show_done": request.GET.get("done") == "1", "now": timezone.now()},
    )


def _task(request: HttpRequest, pk: int) -> IncidentTask:
    return get_for_tenant(
        IncidentTask.objects.for_tenant(request.tenant).select_related(
            "incident", "department", "assignee__user", "created_by"
        ),
        tenant=request.tenant,
        pk=pk,
    )


def _task_detail(
    request: HttpRequest, task: IncidentTask, *, comment_form: CommentForm | None = None, status: int = 200
):
    comments = (
        TaskComment.objects.for_tenant(request.tenant)
        .filter(task=task)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "incidents/task_detail.html",
        {
            "task": task,
            "incident": task.incident,
            "comments": comments,
            "comment_form": comment_form or CommentForm(),
            "status_form": TaskStatusForm(initial={"status": task.status}),
            "can_write": has_permission(request.membership, Permission.WRITE),
            "is_open": task.incident.phase != Phase.CLOSED,
            "now": timezone.now(),
        },
        status=status,
    )


@member_required(Permission.READ)
@with_tenant_time
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_detail(request, _task(request, pk))


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(_task)
def task_status(request: HttpRequest, task: IncidentTask) -> HttpResponse:
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("未知的任务状态。"))
    else:
        try:
            task = services.task_set_status(
                tenant=request.tenant, actor=request.user, task=task, status=form.cleaned_data["status"]
            )
        except ValidationError as error:
            error_message(request, error)
        else:
            messages.success(request, _("任务状态已改为“%(status)s”。") % {"status": task.get_status_display()})
    target = request.POST.get("next", "")
    if target == "incident":
        response = redirect("incidents:incident-detail", pk=task.incident_id)
        response["Location"] += "#tasks"
        return response
    return redirect("incidents:task-detail", pk=task.pk)


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(_task)
def task_comment(request: HttpRequest, task: IncidentTask) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.task_comment_add(
                tenant=request.tenant, actor=request.user, task=task, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已发表评论。"))
            response = redirect("incidents:task-detail", pk=task.pk)
            response["Location"] += "#comments"
            return response
    return _task_detail(request, task, comment_form=form, status=400)
