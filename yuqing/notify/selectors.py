from __future__ import annotations

from django.db.models import QuerySet

from yuqing.notify.models import Channel, Notification
from yuqing.tenancy.models import Membership, Tenant


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
