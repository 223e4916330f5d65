"""Incident list, board, creation, detail (with its htmx fragments) and basic-fact editing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from customers.models import Feedback
from incidents import selectors
from incidents.filters import IncidentFilter
from incidents.forms import IncidentCreateForm, IncidentEditForm, IncidentFromFeedbackForm
from incidents.models import Phase
from incidents.services import incidents as services
from incidents.views.detail import detail_context, sla_context, timeline_context
from yuqing.platform.http import add_service_errors, htmx_swaps, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

PAGE_SIZE = 50


@member_required(Permission.READ)
@with_tenant_time
def incident_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    filterset = IncidentFilter(request.GET or None, tenant=request.tenant, now=now)
    incidents = selectors.incident_list(tenant=request.tenant, filters=filterset)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page_obj": page, "now": now}
    template = (
        "incidents/_incident_rows.html" if htmx_swaps(request, "incident-rows") else "incidents/incident_list.html"
    )
    response = render(request, template, context)
    # One URL answers with a page or a fragment: caches and the browser's history must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required(Permission.READ)
@with_tenant_time
def incident_board(request: HttpRequest) -> HttpResponse:
    columns = selectors.incident_board(tenant=request.tenant)
    return render(request, "incidents/incident_board.html", {"columns": columns})


@member_required(Permission.WRITE)
@with_tenant_time
def incident_create(request: HttpRequest) -> HttpResponse:
    feedback_pk = request.GET.get("feedback")
    if feedback_pk:
        return _create_from_feedback(request, get_for_tenant(Feedback, tenant=request.tenant, pk=feedback_pk))
    form = IncidentCreateForm(tenant=request.tenant)
    if request.method == "POST":
        form = IncidentCreateForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["owner"] = data["owner"] or request.membership
            data["opened_at"] = data["opened_at"] or None
            data["media_level"] = data["media_level"] or ""
            try:
                incident = services.incident_open(tenant=request.tenant, actor=request.user, **data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已创建事件 %(code)s。") % {"code": incident.code})
                return redirect("incidents:incident-detail", pk=incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form})


def _create_from_feedback(request: HttpRequest, feedback: Feedback) -> HttpResponse:
    form = IncidentFromFeedbackForm(initial={"title": feedback.subject})
    if request.method == "POST":
        form = IncidentFromFeedbackForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_open_from_feedback(
                    tenant=request.tenant, actor=request.user, feedback=feedback, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已将反馈“%(subject)s”升级为事件 %(code)s。")
                    % {"subject": feedback.subject, "code": incident.code},
                )
                return redirect("incidents:incident-detail", pk=incident.pk)
    return render(request, "incidents/incident_from_feedback.html", {"form": form, "feedback": feedback})


@member_required(Permission.READ)
@with_tenant_time
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get(tenant=request.tenant, pk=pk)
    if htmx_swaps(request, "timeline"):
        response = render(request, "incidents/_timeline.html", timeline_context(request, incident))
    else:
        response = render(request, "incidents/incident_detail.html", detail_context(request, incident))
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@member_required(Permission.READ)
@with_tenant_time
def incident_sla(request: HttpRequest, pk: int) -> HttpResponse:
    """The SLA card alone: the detail page swaps it in every 30 seconds."""
    incident = selectors.incident_get(tenant=request.tenant, pk=pk)
    return render(request, "incidents/_sla_clocks.html", sla_context(request, incident))


@member_required(Permission.WRITE)
@with_tenant_time
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get(tenant=request.tenant, pk=pk)
    form = IncidentEditForm(instance=incident, tenant=request.tenant)
    if request.method == "POST":
        form = IncidentEditForm(request.POST, instance=incident, tenant=request.tenant)
        if form.is_valid():
            changes = form.changed_values()
            # The form wrote the posted values onto the instance; the service starts from the stored row.
            incident = selectors.incident_get(tenant=request.tenant, pk=pk)
            try:
                if changes:
                    services.incident_update(tenant=request.tenant, actor=request.user, incident=incident, **changes)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if changes:
                    messages.success(request, _("已保存事件信息。"))
                else:
                    messages.info(request, _("没有需要保存的修改。"))
                return redirect("incidents:incident-detail", pk=incident.pk)
    return render(
        request,
        "incidents/incident_edit.html",
        {"form": form, "incident": incident, "is_closed": incident.phase == Phase.CLOSED},
    )
