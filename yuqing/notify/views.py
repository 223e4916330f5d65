"""The member's in-portal notifications: the list, and marking one or all as read (htmx or not).

Only the recipient ever sees a notification: every lookup is by the current tenant *and* the
current membership, so someone else's notification (or another tenant's) is a 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yuqing.notify.models import Notification
from yuqing.notify.selectors import notification_list as notifications_of
from yuqing.notify.selectors import notification_unread_count
from yuqing.notify.services import notification_mark_read
from yuqing.platform.http import is_htmx
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

PAGE_SIZE = 50


def _own(request: HttpRequest, pk: int) -> Notification:
    return get_for_tenant(
        notifications_of(tenant=request.tenant, recipient=request.membership), tenant=request.tenant, pk=pk
    )


def _list_context(request: HttpRequest) -> dict:
    only_unread = request.GET.get("unread") == "1"
    rows = notifications_of(tenant=request.tenant, recipient=request.membership)
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "only_unread": only_unread,
        "unread_count": notification_unread_count(tenant=request.tenant, recipient=request.membership),
    }


@member_required(Permission.READ)
def notification_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    template = "notify/_notification_results.html" if is_htmx(request) else "notify/notification_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required(Permission.READ)
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Looked up first: someone else's notification is a 404 whatever the method, never a 405.
    return _mark_read(request, _own(request, pk))


@require_POST
def _mark_read(request: HttpRequest, notification: Notification) -> HttpResponse:
    notification_mark_read(
        tenant=request.tenant, actor=request.user, recipient=request.membership, pks=[notification.pk]
    )
    if not is_htmx(request):
        return redirect("notify:notification-list")
    notification.refresh_from_db()
    return render(
        request,
        "notify/_notification_row_read.html",
        {
            "item": notification,
            "unread_count": notification_unread_count(tenant=request.tenant, recipient=request.membership),
        },
    )


@member_required(Permission.READ)
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_read(tenant=request.tenant, actor=request.user, recipient=request.membership)
    if not is_htmx(request):
        return redirect("notify:notification-list")
    return render(request, "notify/_notification_results.html", {**_list_context(request), "swap_bell": True})


@member_required(Permission.READ)
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way. Only links inside the portal."""
    notification = _own(request, pk)
    notification_mark_read(
        tenant=request.tenant, actor=request.user, recipient=request.membership, pks=[notification.pk]
    )
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(link)
    return redirect("notify:notification-list")
