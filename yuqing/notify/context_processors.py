"""The unread count behind the bell in the top bar."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from yuqing.notify.selectors import notification_unread_count


def notifications(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    tenant = getattr(request, "tenant", None)
    if membership is None or tenant is None:
        return {}
    # Lazy: pages that never render the bell (fragments, downloads) cost no query.
    return {
        "unread_notification_count": SimpleLazyObject(
            lambda: notification_unread_count(tenant=tenant, recipient=membership)
        )
    }
