"""The audit trail in the portal: read-only, for the tenant's auditors and administrators."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from yuqing.audit import selectors
from yuqing.audit.filters import AuditEventFilter
from yuqing.audit.services.verify import event_link_problem
from yuqing.platform.http import htmx_swaps
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission

PAGE_SIZE = 50


@member_required(Permission.READ_AUDIT)
def event_list(request: HttpRequest) -> HttpResponse:
    filterset = AuditEventFilter(request.GET or None, tenant=request.tenant)
    events = selectors.audit_event_list(tenant=request.tenant, filters=filterset)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filterset": filterset, "page": page}
    template = "audit/_event_rows.html" if htmx_swaps(request, "audit-results") else "audit/event_list.html"
    response = render(request, template, context)
    # One URL answers with a page or a fragment: caches and the browser's history must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required(Permission.READ_AUDIT)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.audit_event_get(tenant=request.tenant, pk=pk)
    previous, following = selectors.audit_event_neighbours(tenant=request.tenant, event=event)
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "change_rows": event.change_rows(),
            "previous": previous,
            "following": following,
            "link_problem": event_link_problem(event, previous=previous),
        },
    )
