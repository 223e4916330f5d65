"""Notification channels and warning routes in the monitoring settings.

Admins and managers see the lists (masked webhook URLs, secrets and mobiles only), a channel's
recent deliveries and its last error; the writes — channels, test messages, retries, routes —
are the tenant admins' (the notify and routing services check the configure permission again).
Another tenant's channel, delivery or route is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring.forms import ChannelForm, WarningRouteForm
from yuqing.monitoring.models import WarningRoute
from yuqing.monitoring.services.sources import SETTINGS_PERMISSION
from yuqing.monitoring.services.warnings.routing import warning_route_create, warning_route_update
from yuqing.notify.forms import add_channel_errors
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import channel_create, channel_update, deliveries_retry
from yuqing.notify.services.probe import channel_send_test
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

RECENT_DELIVERIES = 20


def _channel_get(request: HttpRequest, pk: int) -> Channel:
    return get_for_tenant(Channel.objects.for_tenant(request.tenant), tenant=request.tenant, pk=pk)


# ---------------------------------------------------------------- channels


@member_required(SETTINGS_PERMISSION)
@with_tenant_time
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.for_tenant(request.tenant).select_related("department").order_by("name")
    return render(request, "monitoring/settings/channel_list.html", {"channels": channels})


@member_required(SETTINGS_PERMISSION)
@with_tenant_time
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The channel as configured (masked), its last error, and its recent deliveries."""
    channel = _channel_get(request, pk)
    deliveries = Delivery.objects.for_tenant(request.tenant).filter(channel=channel).order_by("-created_at", "-pk")
    return render(
        request,
        "monitoring/settings/channel_detail.html",
        {"channel": channel, "deliveries": deliveries[:RECENT_DELIVERIES]},
    )


@member_required(Permission.CONFIGURE)
def channel_create_view(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            channel = channel_create(
                tenant=request.tenant, actor=request.user, data=form.channel_data, ip_address=client_ip(request)
            )
        except ValidationError as error:
            add_channel_errors(form, error)
        else:
            messages.success(request, _("已新增通知渠道“%(name)s”。") % {"name": channel.name})
            return redirect("monitoring:channel-detail", pk=channel.pk)
    return render(request, "monitoring/settings/channel_form.html", {"form": form, "channel": None})


@member_required(Permission.CONFIGURE)
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write-only secrets: blank fields keep the stored values; the clear boxes remove them."""
    channel = _channel_get(request, pk)
    form = ChannelForm(request.POST or None, tenant=request.tenant, instance=channel)
    if request.method == "POST" and form.is_valid():
        try:
            channel = channel_update(
                tenant=request.tenant,
                actor=request.user,
                channel=_channel_get(request, pk),  # the form's clean may have touched its instance
                data=form.channel_data,
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_channel_errors(form, error)
        else:
            messages.success(request, _("已保存通知渠道“%(name)s”。") % {"name": channel.name})
            return redirect("monitoring:channel-detail", pk=channel.pk)
    return render(
        request, "monitoring/settings/channel_form.html", {"form": form, "channel": _channel_get(request, pk)}
    )


@member_required(Permission.CONFIGURE)
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a test message (the same one the admin's action sends)."""
    return _channel_test(request, _channel_get(request, pk))  # 404 before 405


@require_POST
def _channel_test(request: HttpRequest, channel: Channel) -> HttpResponse:
    if channel_send_test(tenant=request.tenant, actor=request.user, channel=channel) is None:
        messages.warning(request, _("渠道“%(name)s”已停用，未发送测试消息。") % {"name": channel.name})
    else:
        messages.success(request, _("已为渠道“%(name)s”排队发送测试消息。") % {"name": channel.name})
    return redirect("monitoring:channel-detail", pk=channel.pk)


@member_required(Permission.CONFIGURE)
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed delivery again, from a first attempt."""
    return _delivery_retry(
        request,
        get_for_tenant(
            Delivery.objects.for_tenant(request.tenant).select_related("channel"), tenant=request.tenant, pk=pk
        ),
    )  # 404 before 405


@require_POST
def _delivery_retry(request: HttpRequest, delivery: Delivery) -> HttpResponse:
    retried = deliveries_retry(
        tenant=request.tenant, actor=request.user, deliveries=[delivery], ip_address=client_ip(request)
    )
    if retried:
        messages.success(request, _("已重新排队发送“%(title)s”。") % {"title": delivery.title})
    else:
        messages.warning(request, _("只有发送失败的消息可以重新发送。"))
    return redirect("monitoring:channel-detail", pk=delivery.channel_id)


# ---------------------------------------------------------------- warning routes


def _route_get(request: HttpRequest, pk: int) -> WarningRoute:
    return get_for_tenant(
        WarningRoute.objects.for_tenant(request.tenant).select_related("channel"), tenant=request.tenant, pk=pk
    )


@member_required(SETTINGS_PERMISSION)
def route_list(request: HttpRequest) -> HttpResponse:
    routes = WarningRoute.objects.for_tenant(request.tenant).select_related("channel").order_by("min_level", "name")
    has_channels = Channel.objects.for_tenant(request.tenant).exists()
    return render(request, "monitoring/settings/route_list.html", {"routes": routes, "has_channels": has_channels})


@member_required(Permission.CONFIGURE)
def route_create(request: HttpRequest) -> HttpResponse:
    form = WarningRouteForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            route = warning_route_create(tenant=request.tenant, actor=request.user, **form.to_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已新增预警路由“%(name)s”。") % {"name": route.name})
            return redirect("monitoring:route-list")
    return render(request, "monitoring/settings/route_form.html", {"form": form, "route": None})


@member_required(Permission.CONFIGURE)
def route_edit(request: HttpRequest, pk: int) -> HttpResponse:
    route = _route_get(request, pk)
    form = WarningRouteForm(request.POST or None, tenant=request.tenant, instance=route)
    if request.method == "POST" and form.is_valid():
        try:
            route = warning_route_update(
                tenant=request.tenant, actor=request.user, route=_route_get(request, pk), **form.to_data()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存预警路由“%(name)s”。") % {"name": route.name})
            return redirect("monitoring:route-list")
    return render(request, "monitoring/settings/route_form.html", {"form": form, "route": _route_get(request, pk)})


@member_required(Permission.CONFIGURE)
def route_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """POST active=0 deactivates the route (kept, no longer used), active=1 reactivates it."""
    return _route_toggle(request, _route_get(request, pk))  # 404 before 405


@require_POST
def _route_toggle(request: HttpRequest, route: WarningRoute) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        warning_route_update(
            tenant=request.tenant,
            actor=request.user,
            route=route,
            name=route.name,
            channel=route.channel,
            min_level=route.min_level,
            quiet_start=route.quiet_start,
            quiet_end=route.quiet_end,
            quiet_on_non_working_days=route.quiet_on_non_working_days,
            is_active=active,
        )
    except ValidationError as error:
        error_message(request, error)
    else:
        if active:
            messages.success(request, _("已启用预警路由“%(name)s”。") % {"name": route.name})
        else:
            messages.success(request, _("已停用预警路由“%(name)s”。") % {"name": route.name})
    return redirect("monitoring:route-list")
