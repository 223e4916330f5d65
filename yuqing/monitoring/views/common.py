"""Helpers the monitoring views share: tenant time, htmx detection, POST-only, refusals as messages."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone


def with_tenant_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Dates typed into forms and shown on pages are in the tenant's own time zone."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(zoneinfo.ZoneInfo(request.tenant.time_zone)):
            return view(request, *args, **kwargs)

    return wrapped


def is_htmx(request: HttpRequest) -> bool:
    """htmx swapping part of a page, not restoring a whole page from its history."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def error_message(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))
