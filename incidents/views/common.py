"""What the incident views share beyond yuqing.platform.http: POST-only actions on one object."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from incidents import selectors
from incidents.models import Incident

T = TypeVar("T")
View = Callable[..., HttpResponse]


def post_to(
    lookup: Callable[[HttpRequest, Any], T],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A POST-only action on the object `lookup(request, pk)` finds, called as `view(request, obj)`.

    The object is looked up before the method is checked: another tenant's object answers 404
    to a GET as to a POST, exactly like a missing one, and only an own object's GET gets 405.
    """

    def decorator(view: View) -> View:
        guarded = require_POST(view)

        @wraps(view)
        def wrapped(request: HttpRequest, pk: Any) -> HttpResponse:
            return guarded(request, lookup(request, pk))

        return wrapped

    return decorator


def incident_of(request: HttpRequest, pk: Any) -> Incident:
    return selectors.incident_get(tenant=request.tenant, pk=pk)
