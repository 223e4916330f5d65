"""API tokens of the ingestion API: list (prefix, default source, last use, status), create (the
clear token shown once), rotate, revoke. The writes are the tenant admins' (yuqing.monitoring.services.tokens
checks the configure permission); managers see the list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring import selectors
from yuqing.monitoring.forms import TokenCreateForm
from yuqing.monitoring.models import IngestToken
from yuqing.monitoring.services import tokens
from yuqing.monitoring.services.sources import SETTINGS_PERMISSION
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission, require_permission


def _with_clear_token(request: HttpRequest, template_context: dict, token: IngestToken, raw: str) -> HttpResponse:
    """The page that shows a new token's clear value: rendered once, never stored, never cached."""
    response = render(
        request, "monitoring/settings/token_list.html", {**template_context, "new_token": token, "clear_token": raw}
    )
    response["Cache-Control"] = "no-store"
    return response


def _context(request: HttpRequest, form: TokenCreateForm | None = None) -> dict:
    return {
        "tokens": selectors.token_list(tenant=request.tenant),
        "form": form or TokenCreateForm(tenant=request.tenant),
    }


@member_required(SETTINGS_PERMISSION)
@with_tenant_time
def token_list(request: HttpRequest) -> HttpResponse:
    """GET the list; POST (admins) creates a token and shows its clear value this once."""
    if request.method != "POST":
        return render(request, "monitoring/settings/token_list.html", _context(request))
    require_permission(request.membership, Permission.CONFIGURE)
    form = TokenCreateForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            token, raw = tokens.ingest_token_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _with_clear_token(request, _context(request), token, raw)
    return render(request, "monitoring/settings/token_list.html", _context(request, form), status=400)


@member_required(Permission.CONFIGURE)
@with_tenant_time
def token_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke the token and make its successor; the successor's clear value is shown once."""
    return _token_rotate(request, selectors.token_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _token_rotate(request: HttpRequest, token: IngestToken) -> HttpResponse:
    try:
        new, raw = tokens.ingest_token_rotate(tenant=request.tenant, actor=request.user, token=token)
    except ValidationError as error:
        error_message(request, error)
        return redirect("monitoring:token-list")
    messages.success(request, _("已轮换令牌“%(name)s”：旧令牌已失效。") % {"name": token.name})
    return _with_clear_token(request, _context(request), new, raw)


@member_required(Permission.CONFIGURE)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _token_revoke(request, selectors.token_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _token_revoke(request: HttpRequest, token: IngestToken) -> HttpResponse:
    tokens.ingest_token_revoke(tenant=request.tenant, actor=request.user, token=token)
    messages.success(request, _("已吊销令牌“%(name)s”，使用它的推送将被拒绝。") % {"name": token.name})
    return redirect("monitoring:token-list")
