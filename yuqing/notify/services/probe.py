"""The test message an administrator sends to check a channel's configuration."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services.deliveries import delivery_enqueue
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission


@tenant_service(Permission.CONFIGURE)
def channel_send_test(*, tenant: Tenant, actor: User | None, channel: Channel) -> Delivery | None:
    """Queue a test message for `channel` (None, nothing queued, when the channel is inactive)."""
    return delivery_enqueue(
        tenant=tenant,
        channel=channel,
        title=_("测试消息"),
        body=_("这是一条来自舆情系统的测试消息，收到即表示渠道配置正确。"),
    )
