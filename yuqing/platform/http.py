"""What every portal view shares: tenant time, htmx detection, service errors shown on forms.

POST-only views use Django's own `django.views.decorators.http.require_POST`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def with_tenant_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Dates typed into forms and shown on pages are in the tenant's own time zone."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(zoneinfo.ZoneInfo(request.tenant.time_zone)):
            return view(request, *args, **kwargs)

    return wrapped


def is_htmx(request: HttpRequest) -> bool:
    """htmx swapping part of a page: not a boosted whole-page load, not a page restored from history.

    Such requests get the fragment (rows, a card); the others the whole page.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def htmx_swaps(request: HttpRequest, element_id: str) -> bool:
    """htmx asks for the content of the element `element_id` only: the list's filter form, or its
    page links (boosted, aimed at the element); an htmx request naming no target counts as aimed at
    it. A plain visit, a boosted navigation of the whole page and a page restored from history get
    the whole page."""
    headers = request.headers
    if headers.get("HX-Request") != "true" or headers.get("HX-History-Restore-Request") == "true":
        return False
    target = headers.get("HX-Target")
    if target:
        return target == element_id
    return headers.get("HX-Boosted") != "true"


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def error_message(request: HttpRequest, error: ValidationError) -> None:
    """A refusal of an action that has no form of its own, shown at the top of the next page."""
    messages.error(request, " ".join(error.messages))


def form_errors_message(request: HttpRequest, form: forms.Form) -> None:
    """A form that lives on a detail page failed: say why at the top of the page too."""
    lines = [str(error) for error in form.non_field_errors()]
    for field in form:
        lines.extend(f"{field.label}：{error}" for error in field.errors)
    messages.error(request, " ".join(lines))
