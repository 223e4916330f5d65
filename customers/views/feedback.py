"""Feedback and complaint pages: list, detail, registration, and the actions on one item.

Thin views: they read through customers.selectors.feedback and write through
customers.services.feedback, which check roles and states again. Every object page looks the item
up in the request's tenant first, so another tenant's item is a 404 whatever the method.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from customers.forms import AssignForm, CloseForm, ExtendForm, FeedbackCreateForm, ResolveForm
from customers.models import Customer, Feedback
from customers.selectors import feedback as selectors
from customers.services import feedback as services
from customers.services.policies import counting_basis, policy_template, stage_days, stage_needs_approval
from yuqing.platform.http import add_service_errors, error_message, htmx_swaps, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission, has_permission
from yuqing.tenancy.selectors import get_for_tenant

PAGE_SIZE = 50

ACTION_LABELS = {
    "acknowledge": gettext_lazy("受理"),
    "start": gettext_lazy("开始处理"),
    "resolve": gettext_lazy("登记处理结果"),
    "close": gettext_lazy("关闭"),
}


def _decorate(items: list[Feedback], *, request: HttpRequest, now: dt.datetime, within: dt.timedelta) -> None:
    for item in items:
        item.due = selectors.due_state(item, now=now, within=within, time_zone=request.tenant.time_zone)


@member_required(Permission.READ)
@with_tenant_time
def feedback_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    within = selectors.due_soon_window(tenant=request.tenant)
    filterset = selectors.feedback_list(tenant=request.tenant, filters=request.GET, now=now, within=within)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # one query; the rows get their due state below
    _decorate(page.object_list, request=request, now=now, within=within)
    context = {
        "filter": filterset,
        "page_obj": page,
        "counts": selectors.feedback_counts(tenant=request.tenant, now=now, within=within),
        "active_tab": _active_tab(request),
    }
    if htmx_swaps(request, "feedback-rows"):
        return render(request, "customers/_feedback_rows.html", context)
    return render(request, "customers/feedback_list.html", context)


def _active_tab(request: HttpRequest) -> str:
    params = {key: value for key, value in request.GET.items() if value and key != "page"}
    for tab, wanted in (
        ("overdue", {"overdue": "yes"}),
        ("due_soon", {"due_soon": "yes"}),
        ("open", {"status": "open"}),
    ):
        if params == wanted:
            return tab
    return "all" if not params else ""


def _detail_context(request: HttpRequest, feedback: Feedback, **forms_: forms.Form) -> dict[str, Any]:
    tenant = request.tenant
    now = timezone.now()
    history = selectors.feedback_history(tenant=tenant, feedback=feedback)
    membership = request.membership
    can_write = has_permission(membership, Permission.WRITE)
    stages = stage_days(feedback.policy) if feedback.policy else []
    next_stage = feedback.extension_level + 1
    actions = (
        [
            {"name": action, "label": ACTION_LABELS[action]}
            for action in services.allowed_actions(feedback)
            if action in ACTION_LABELS
        ]
        if can_write
        else []
    )
    return {
        "feedback": feedback,
        "due": selectors.due_state(
            feedback, now=now, within=selectors.due_soon_window(tenant=tenant), time_zone=tenant.time_zone
        ),
        "history": history,
        "extensions": selectors.feedback_extensions(history=history, time_zone=tenant.time_zone),
        "incidents": selectors.feedback_incidents(tenant=tenant, feedback=feedback),
        "template": policy_template(feedback.policy),
        "counting_basis": counting_basis(),
        "stages": stages,
        "current_days": stages[feedback.extension_level] if stages else None,
        "can_write": can_write,
        "actions": actions,
        "can_extend": can_write and feedback.is_open and bool(stages) and next_stage < len(stages),
        "can_escalate": can_write and services.transition_allowed(feedback, "escalate"),
        "resolve_form": forms_.get("resolve_form") or ResolveForm(),
        "close_form": forms_.get("close_form") or CloseForm(),
        "assign_form": forms_.get("assign_form") or AssignForm(tenant=tenant, initial={"handler": feedback.handler_id}),
    }


@member_required(Permission.READ)
@with_tenant_time
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = selectors.feedback_get(tenant=request.tenant, pk=pk)
    return render(request, "customers/feedback_detail.html", _detail_context(request, feedback))


@sensitive_post_parameters("reporter_mobile")  # error reports never carry the number
@member_required(Permission.WRITE)
@with_tenant_time
def feedback_create(request: HttpRequest) -> HttpResponse:
    customer = None
    customer_pk = request.GET.get("customer")
    if customer_pk:
        # Another tenant's customer (or a made-up id) is a 404, as on every page.
        customer = get_for_tenant(Customer, tenant=request.tenant, pk=customer_pk)
    initial = {"received_at": timezone.localtime().replace(second=0, microsecond=0), "handler": request.membership.pk}
    form = FeedbackCreateForm(tenant=request.tenant, customer=customer, initial=initial)
    if request.method == "POST":
        form = FeedbackCreateForm(request.POST, tenant=request.tenant, customer=customer)
        if form.is_valid():
            try:
                feedback = services.feedback_register(tenant=request.tenant, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已登记反馈“%(subject)s”。") % {"subject": feedback.subject})
                return redirect("customers:feedback-detail", pk=feedback.pk)
    return render(request, "customers/feedback_form.html", {"form": form, "customer": customer})


@member_required(Permission.WRITE)
@with_tenant_time
def feedback_transition(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, selectors.feedback_get(tenant=request.tenant, pk=pk))  # 404 first, any method


@require_POST
def _transition(request: HttpRequest, feedback: Feedback) -> HttpResponse:
    action = request.POST.get("action", "")
    service = services.TRANSITION_SERVICES.get(action)
    if service is None:
        messages.error(request, _("未知的操作。"))
        return redirect("customers:feedback-detail", pk=feedback.pk)
    extra: dict[str, Any] = {}
    form: forms.Form | None = None
    if action == "resolve":
        form = ResolveForm(request.POST)
    elif action == "close":
        form = CloseForm(request.POST)
    if form is not None:
        if not form.is_valid():
            return _detail_with_form(request, feedback, action, form)
        extra = form.cleaned_data
    try:
        service(tenant=request.tenant, actor=request.user, feedback=feedback, **extra)
    except ValidationError as error:
        if form is not None and hasattr(error, "error_dict"):
            add_service_errors(form, error)
            return _detail_with_form(request, feedback, action, form)
        error_message(request, error)
    else:
        messages.success(request, _("已%(action)s。") % {"action": ACTION_LABELS[action]})
    return redirect("customers:feedback-detail", pk=feedback.pk)


def _detail_with_form(request: HttpRequest, feedback: Feedback, action: str, form: forms.Form) -> HttpResponse:
    context = _detail_context(request, feedback, **{f"{action}_form": form})
    return render(request, "customers/feedback_detail.html", context, status=400)


@member_required(Permission.WRITE)
@with_tenant_time
def feedback_extend(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = selectors.feedback_get(tenant=request.tenant, pk=pk)
    stages = stage_days(feedback.policy) if feedback.policy else []
    next_stage = feedback.extension_level + 1
    form = ExtendForm(initial={"customer_notified_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST":
        form = ExtendForm(request.POST)
        if form.is_valid():
            try:
                services.feedback_extend(
                    tenant=request.tenant, actor=request.user, feedback=feedback, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已延期，新的处理期限已按接收时间重新计算。"))
                return redirect("customers:feedback-detail", pk=feedback.pk)
    needs_approval = bool(stages) and next_stage < len(stages) and stage_needs_approval(feedback.policy, next_stage)
    return render(
        request,
        "customers/feedback_extend.html",
        {
            "feedback": feedback,
            "form": form,
            "due": selectors.due_state(
                feedback,
                now=timezone.now(),
                within=selectors.due_soon_window(tenant=request.tenant),
                time_zone=request.tenant.time_zone,
            ),
            "stages": stages,
            "current_days": stages[feedback.extension_level] if stages else None,
            "next_days": stages[next_stage] if next_stage < len(stages) else None,
            "needs_approval": needs_approval,
            "can_approve": has_permission(request.membership, Permission.APPROVE),
            "template": policy_template(feedback.policy),
        },
    )


@member_required(Permission.WRITE)
@with_tenant_time
def feedback_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _assign(request, selectors.feedback_get(tenant=request.tenant, pk=pk))  # 404 first, any method


@require_POST
def _assign(request: HttpRequest, feedback: Feedback) -> HttpResponse:
    form = AssignForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _detail_with_form(request, feedback, "assign", form)
    try:
        services.feedback_assign(
            tenant=request.tenant, actor=request.user, feedback=feedback, handler=form.cleaned_data["handler"]
        )
    except ValidationError as error:
        error_message(request, error)
    else:
        handler = form.cleaned_data["handler"]
        messages.success(request, _("已指派给 %(name)s。") % {"name": handler.user} if handler else _("已取消指派。"))
    return redirect("customers:feedback-detail", pk=feedback.pk)


@member_required(Permission.WRITE)
@with_tenant_time
def feedback_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _escalate(request, selectors.feedback_get(tenant=request.tenant, pk=pk))  # 404 first, any method


@require_POST
def _escalate(request: HttpRequest, feedback: Feedback) -> HttpResponse:
    try:
        escalation = services.feedback_escalate(
            tenant=request.tenant, actor=request.user, feedback=feedback, open_incident=services.incident_opener()
        )
    except ValidationError as error:
        error_message(request, error)
    else:
        if escalation.incident is None:
            messages.warning(request, _("已升级为事件。事件模块上线后将自动创建事件，目前未创建事件记录。"))
        else:
            messages.success(request, _("已升级，并创建事件“%(incident)s”。") % {"incident": escalation.incident})
    return redirect("customers:feedback-detail", pk=feedback.pk)
