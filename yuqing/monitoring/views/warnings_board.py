"""The warnings board (one column per level), a warning's page, and acknowledge / close on it.

Acknowledging and closing are the warnings module's services (yuqing.monitoring.services.warnings); they
check roles and write the warning's history and audit trail.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring import selectors
from yuqing.monitoring.models import RiskWarning
from yuqing.monitoring.services.warnings import warning_acknowledge, warning_close
from yuqing.platform.http import error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission


@member_required(Permission.READ)
@with_tenant_time
def warning_board(request: HttpRequest) -> HttpResponse:
    labels = selectors.level_labels(tenant=request.tenant)
    columns = selectors.warning_board(tenant=request.tenant, labels=labels)
    return render(request, "monitoring/warning_board.html", {"columns": columns, "level_labels": labels})


@member_required(Permission.READ)
@with_tenant_time
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    warning = selectors.warning_get(tenant=request.tenant, pk=pk)
    return render(
        request,
        "monitoring/warning_detail.html",
        {
            "warning": warning,
            "changes": selectors.warning_changes(tenant=request.tenant, warning=warning),
            "mentions": selectors.story_mentions(tenant=request.tenant, story_id=warning.story_id, limit=50),
            "level_labels": selectors.level_labels(tenant=request.tenant),
        },
    )


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("monitoring:warning-detail", pk=pk)


@member_required(Permission.WRITE)
def warning_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """受理: the handler takes the warning on (it stays on the board until closed)."""
    return _warning_acknowledge_view(request, selectors.warning_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _warning_acknowledge_view(request: HttpRequest, warning: RiskWarning) -> HttpResponse:
    try:
        warning_acknowledge(tenant=request.tenant, actor=request.user, warning=warning)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已受理预警“%(title)s”。") % {"title": warning.story.title})
    return _back(request, warning.pk)


@member_required(Permission.WRITE)
def warning_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _warning_close_view(request, selectors.warning_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _warning_close_view(request: HttpRequest, warning: RiskWarning) -> HttpResponse:
    try:
        warning_close(tenant=request.tenant, actor=request.user, warning=warning)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已关闭预警“%(title)s”。") % {"title": warning.story.title})
    return _back(request, warning.pk)
