"""Sets request.tenant from the signed-in user's membership, and the tenant context with it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yuqing.tenancy.context import ALL_TENANTS, reset_current_tenant, set_current_tenant
from yuqing.tenancy.selectors import membership_choose, memberships_of_user

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    """The request's tenant is the membership chosen in the session (never a URL or form field).

    Superusers in the Django admin work in platform mode; everyone else works inside their
    current tenant. The context is reset when the response leaves, whatever happened.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.memberships = memberships_of_user(user)
            request.membership = membership_choose(request.memberships, request.session.get(SESSION_KEY))
            if request.membership is not None:
                request.tenant = request.membership.tenant

        scope = request.tenant
        if user is not None and user.is_superuser and request.path.startswith(_admin_prefix()):
            scope = ALL_TENANTS
        token = set_current_tenant(scope)
        try:
            return self.get_response(request)
        finally:
            reset_current_tenant(token)


def _admin_prefix() -> str:
    from django.urls import reverse

    return reverse("admin:index")
