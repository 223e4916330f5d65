"""Notifications in the portal, notification channels, and deliveries to them.

Public API for other apps:

- `notification_send` / `notification_send_many`: in-portal notifications to given members.
- `delivery_enqueue`: one message to one channel (e-mail, WeCom / DingTalk / Feishu robot,
  portal members), sent by an RQ job after commit; `notify_channels` fans one message out to
  several channels. A dedupe_key makes a message go out once per channel; `hold_until` keeps it
  back (quiet hours) until then.
- `channel_create` / `channel_update`: channel configuration (tenant administrators).
- `robots` (`from yuqing.notify.services import robots`): the enterprise-chat robots' protocol;
  text from outside goes through `robots.escape_markdown` before it lands in a message body.

How deliveries are sent, merged, throttled and retried: yuqing.notify.services.dispatch.
"""

from yuqing.notify.services.channels import (
    ChannelData,
    channel_clean,
    channel_create,
    channel_update,
    split_mobiles,
    webhook_url_error,
)
from yuqing.notify.services.deliveries import deliveries_retry, delivery_enqueue, notify_channels
from yuqing.notify.services.notifications import (
    Outgoing,
    notification_mark_read,
    notification_send,
    notification_send_many,
)

__all__ = [
    "ChannelData",
    "Outgoing",
    "channel_clean",
    "channel_create",
    "channel_update",
    "deliveries_retry",
    "delivery_enqueue",
    "notification_mark_read",
    "notification_send",
    "notification_send_many",
    "notify_channels",
    "split_mobiles",
    "webhook_url_error",
]
