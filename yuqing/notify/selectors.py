from __future__ import annotations

from django.db.models import QuerySet

from yuqing.notify.models import Notification
from yuqing.tenancy.models import Membership, Tenant


def notification_list(*, tenant: Tenant, recipient: Membership) -> QuerySet[Notification]:
    return Notification.objects.for_tenant(tenant).filter(recipient=recipient)


def notification_unread_count(*, tenant: Tenant, recipient: Membership) -> int:
    return notification_list(tenant=tenant, recipient=recipient).filter(read_at__isnull=True).count()
