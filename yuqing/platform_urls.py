"""Platform-operator pages: the django-rq dashboard, for superusers only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns


def superuser_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anyone else gets the 404 an unknown page gets: queues and jobs span every tenant."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


# django-rq's dashboard templates carry inline <script>, onclick and <style>: only here, for
# superusers, does the Content-Security-Policy allow inline script and style (not eval, not other
# origins). Every portal, admin, public and API page keeps the strict policy.
_rq_dashboard_csp = csp_update({"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]})


def platform_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return superuser_only(_rq_dashboard_csp(view))


app_name = "django_rq"


def _wrapped(patterns: list[URLPattern]) -> list[URLPattern]:
    for pattern in patterns:
        pattern.callback = platform_page(pattern.callback)
    return patterns


# The stats API is wrapped too: no token access to queue data from outside the admin session.
urlpatterns = _wrapped(get_api_urlpatterns()) + get_admin_urlpatterns(view_wrapper=platform_page)
