from __future__ import annotations

from django.db.models import QuerySet

from yuqing.notify.models import Channel, Delivery, Notification
from yuqing.tenancy.models import Membership, Tenant
from yuqing.tenancy.selectors import get_for_tenant


def notification_list(*, tenant: Tenant, recipient: Membership) -> QuerySet[Notification]:
    return Notification.objects.for_tenant(tenant).filter(recipient=recipient)


def notification_unread_count(*, tenant: Tenant, recipient: Membership) -> int:
    return notification_list(tenant=tenant, recipient=recipient).filter(read_at__isnull=True).count()


def channel_list(*, tenant: Tenant, kinds: list[str] | None = None, active_only: bool = True) -> QuerySet[Channel]:
    """The tenant's notification channels (active ones unless told otherwise), by name."""
    channels = Channel.objects.for_tenant(tenant).select_related("department").order_by("name", "pk")
    if active_only:
        channels = channels.filter(is_active=True)
    if kinds is not None:
        channels = channels.filter(kind__in=kinds)
    return channels


def channel_get(*, tenant: Tenant, pk: object) -> Channel:
    """One channel of the tenant; another tenant's or a missing one is Http404."""
    return get_for_tenant(Channel, tenant=tenant, pk=pk)


def delivery_list(
    *, tenant: Tenant, channel: Channel | None = None, statuses: list[str] | None = None
) -> QuerySet[Delivery]:
    """The tenant's deliveries, newest first."""
    deliveries = Delivery.objects.for_tenant(tenant).select_related("channel")
    if channel is not None:
        deliveries = deliveries.filter(channel=channel)
    if statuses is not None:
        deliveries = deliveries.filter(status__in=statuses)
    return deliveries
