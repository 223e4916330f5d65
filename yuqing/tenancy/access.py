"""The view-side guards: a member of the current tenant, with the right role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Views pass it to services for the audit trail: the same function the login lock-out (axes) uses.
from yuqing.client_ip import client_ip  # noqa: F401 - re-exported
from yuqing.tenancy.roles import Permission, require_permission


def _no_tenant(request: HttpRequest) -> HttpResponse:
    return render(request, "tenancy/no_tenant.html", status=403)


def member_required(permission: Permission = Permission.READ) -> Callable:
    """Signed in, a member of the current tenant, and holding `permission` there."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.tenant is None:
                return _no_tenant(request)
            require_permission(request.membership, permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
