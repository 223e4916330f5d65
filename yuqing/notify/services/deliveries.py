"""Queueing deliveries: one message for one channel (or several), sent by an RQ job after commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from yuqing.audit.services import audit_record
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import robots
from yuqing.platform.queue import enqueue
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

logger = logging.getLogger(__name__)

QUEUE = "notify"
SEND_JOB = "yuqing.notify.jobs.deliveries_send"


def _send_after_commit(tenant: Tenant, channel_id: int) -> None:
    """Queue the channel's send job once the transaction commits, once per transaction and channel.

    A batch that queues fifty alerts for one robot in one transaction needs one job: it takes
    every due row of the channel at once. With Redis down the rows are committed all the same,
    and deliveries_sweep finds them within two minutes.
    """
    enqueue(SEND_JOB, tenant_id=tenant.pk, queue=QUEUE, channel_id=channel_id, once_per_transaction=True)


@tenant_service(None)
def delivery_enqueue(
    *,
    tenant: Tenant,
    channel: Channel,
    title: str,
    body: str = "",
    level: int | None = None,
    link: str = "",
    dedupe_key: str = "",
    hold_until: dt.datetime | None = None,
) -> Delivery | None:
    """Queue one message for `channel`; the send job runs after commit.

    Returns None, and writes nothing, when the channel is inactive or a delivery with the same
    dedupe_key was already made for this channel (the database decides, so two concurrent callers
    cannot both queue it). With `hold_until` in the future the row waits as `held` until then
    (quiet hours); deliveries_sweep releases it. `level` is the warning level, 1 (red) to 4
    (blue), or None. `body` is markdown-ish text: escape text from outside with
    `robots.escape_markdown`.
    """
    if channel.tenant_id != tenant.pk:
        raise ValueError("A delivery's channel must belong to the tenant.")
    if level is not None and level not in robots.LEVEL_LABELS:
        raise ValueError(f"A warning level is 1 to 4, not {level!r}.")
    if not channel.is_active:
        return None
    if len(link) > Delivery._meta.get_field("link").max_length:
        logger.warning("Delivery link of %s characters dropped (too long).", len(link))
        link = ""
    now = timezone.now()
    held = hold_until is not None and hold_until > now
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                tenant=tenant,
                channel=channel,
                title=title[:200],
                body=body,
                level=level,
                link=link,
                dedupe_key=dedupe_key[:200],
                status=Delivery.Status.HELD if held else Delivery.Status.QUEUED,
                next_attempt_at=_off_peak(channel.kind, hold_until) if held else now,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return None
    if not held:
        _send_after_commit(tenant, channel.pk)
    return delivery


def _off_peak(kind: str, when: dt.datetime) -> dt.datetime:
    """Feishu asks robots to avoid sending on the hour and the half hour: a hold ending at 08:00 goes at 08:01."""
    if kind == robots.FEISHU and when.minute in (0, 30):
        return when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return when


@tenant_service(None)
def notify_channels(
    *,
    tenant: Tenant,
    channels: Iterable[Channel | int],
    title: str,
    body: str = "",
    level: int | None = None,
    link: str = "",
    dedupe_key: str = "",
    hold_until: dt.datetime | None = None,
) -> list[Delivery]:
    """The same message to several channels (objects or ids); the deliveries queued.

    An id of another tenant's channel (or a missing one) is Http404; a channel object of another
    tenant is a ValueError. Inactive channels and channels that already had this dedupe_key are
    skipped.
    """
    chosen: dict[int, Channel] = {}
    for item in channels:
        channel = item if isinstance(item, Channel) else get_for_tenant(Channel, tenant=tenant, pk=item)
        chosen.setdefault(channel.pk, channel)
    queued = []
    for channel in chosen.values():
        delivery = delivery_enqueue(
            tenant=tenant,
            channel=channel,
            title=title,
            body=body,
            level=level,
            link=link,
            dedupe_key=dedupe_key,
            hold_until=hold_until,
        )
        if delivery is not None:
            queued.append(delivery)
    return queued


@tenant_service(Permission.CONFIGURE)
def deliveries_retry(
    *, tenant: Tenant, actor: User | None, deliveries: Iterable[Delivery], ip_address: str | None = None
) -> int:
    """Queue failed deliveries again from a first attempt (after an administrator fixed the channel)."""
    ids = [delivery.pk for delivery in deliveries if delivery.tenant_id == tenant.pk]
    rows = Delivery.objects.for_tenant(tenant).filter(pk__in=ids, status=Delivery.Status.FAILED)
    retried = list(rows.values_list("pk", "channel_id"))
    if not retried:
        return 0
    rows.filter(pk__in=[pk for pk, _channel in retried]).update(
        status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), error_code="", error_message=""
    )
    for channel_id in sorted({channel_id for _pk, channel_id in retried}):
        _send_after_commit(tenant, channel_id)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="notify.delivery_retry",
        object_type="notify.delivery",
        object_repr=", ".join(str(pk) for pk, _channel in retried)[:200],
        changes={"deliveries": {"after": [pk for pk, _channel in retried]}},
        ip_address=ip_address,
    )
    return len(retried)
