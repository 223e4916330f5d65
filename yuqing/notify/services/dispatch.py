"""Sending deliveries: one channel at a time, merged, throttled, retried, every outcome recorded.

`deliveries_send_due` (the `deliveries_send` job, one per channel) does, for one channel:

1. Takes a slot of the channel's rate limit: a Redis counter per channel and minute (and per
   second for Feishu), and the "blocked until" a platform imposed after a rate-limit answer.
   Without a slot the rows stay queued and the job is scheduled for when one frees up.
2. Claims every due row (queued, retrying, or held past its hold) under a lock on the channel
   row, so two jobs for one channel never send the same row. One due row is sent as it is;
   several are merged into one digest delivery ("舆情预警汇总（N 条）") and marked `merged`, so a
   burst becomes one message instead of tripping the robot's limit. A claimed row is `sending`
   with a lease (`next_attempt_at`); a worker that dies mid-send leaves it to the sweep.
3. Sends it (HTTP POST with urllib, 10 s timeout, no redirects; send_mail; or portal
   notifications), outside any transaction.
4. Records the outcome: sent; retrying after 1, 2, 4, 8 minutes (longer when the platform blocks
   the robot) on a rate-limit code, HTTP 429/5xx or a network error, failed after the fifth
   attempt; failed at once on a configuration error (bad key, signature, keyword, IP list),
   which is also written on the channel for its administrator to see.

`deliveries_requeue_due` (the `deliveries_sweep` job, every minute) finds what no job is coming
for: rows queued or retrying for more than a minute (Redis was down at commit, a scheduled retry
was lost), held rows whose hold ended, and rows whose sending lease ran out; it enqueues one
send job per channel. A job that finds nothing to do costs one query, so enqueueing too often is
harmless; the channel lock makes it safe.

The webhook URL and secret are decrypted only here, at the moment of sending, and never logged:
logs name the channel by id and masked URL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

import django_rq
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from yuqing.notify.models import Channel, Delivery, Notification
from yuqing.notify.services import robots
from yuqing.notify.services.channels import webhook_url_error
from yuqing.notify.services.deliveries import QUEUE, SEND_JOB
from yuqing.notify.services.notifications import notification_send
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import dangerously_all_tenants
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Membership, Tenant

logger = logging.getLogger(__name__)

Status = Delivery.Status
DUE_STATUSES = [Status.QUEUED, Status.RETRYING, Status.HELD]
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 2, 4, 8, 16)
HTTP_TIMEOUT_SECONDS = 10
SENDING_LEASE = dt.timedelta(minutes=5)  # well past the notify queue's job timeout
SWEEP_GRACE = dt.timedelta(minutes=1)  # a row queued this recently has its job on the way
MAX_MERGE = 500  # rows in one digest; more wait for the next message
PORTAL_LINK_MAX = Notification._meta.get_field("link").max_length
EXCERPT_MAX = 500
REDIS_PREFIX = "yuqing:notify"


@dataclass
class SendResult:
    status: str  # idle, throttled, inactive, sent, retrying, failed
    delivery_id: int | None = None
    merged: int = 0  # rows the delivery stands for when it is a digest
    wait_seconds: float = 0.0


@dataclass
class SweepResult:
    channels: int = 0  # send jobs enqueued
    expired_leases: int = 0  # rows a dead worker left `sending`


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, 8, 16 minutes."""
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


# ---------------------------------------------------------------- rate limits (Redis)


def _redis() -> Any:
    return django_rq.get_connection(QUEUE)


def _blocked_key(channel_id: int) -> str:
    return f"{REDIS_PREFIX}:blocked:{channel_id}"


def _rate_wait(channel: Channel, now: dt.datetime) -> float:
    """Seconds until the channel may send; 0 means go, and a slot of this minute is taken.

    Counters are keyed by the minute (and second) of `now`, and a platform's block holds its end
    time, so the limits follow the clock the caller passes. Without Redis the limits are not
    enforced (logged): the digest still keeps bursts to one message.
    """
    epoch = now.timestamp()
    try:
        connection = _redis()
        blocked_until = connection.get(_blocked_key(channel.pk))
        if blocked_until is not None and float(blocked_until) > epoch:
            return float(blocked_until) - epoch
        windows = [(60, channel.rate_limit)]
        if channel.kind in robots.RATE_LIMITS_PER_SECOND:
            windows.append((1, robots.RATE_LIMITS_PER_SECOND[channel.kind]))
        for seconds, limit in windows:
            if not limit:
                continue
            window = int(epoch // seconds)
            key = f"{REDIS_PREFIX}:rate:{channel.pk}:{seconds}:{window}"
            pipeline = connection.pipeline()
            pipeline.incr(key)
            pipeline.expire(key, seconds * 2 + 60)
            count, _expire = pipeline.execute()
            if count > limit:
                return (window + 1) * seconds - epoch + 1  # a second into the next window
    except RedisError:
        logger.warning("Rate limit of channel %s not checked: Redis is unavailable.", channel.pk, exc_info=True)
    return 0.0


def _block(channel: Channel, until: dt.datetime) -> None:
    """Remember that the platform refuses this robot until `until` (it answered with a rate-limit code)."""
    seconds = max(int((until - timezone.now()).total_seconds()), 0) + 120
    try:
        _redis().set(_blocked_key(channel.pk), str(until.timestamp()), ex=seconds)
    except RedisError:
        logger.warning("Could not record the block of channel %s.", channel.pk, exc_info=True)


def _schedule(tenant: Tenant, channel_id: int, at: dt.datetime) -> None:
    """Run the channel's send job at `at` (RQ's scheduler); the sweep is the safety net."""
    later = at if at > timezone.now() else None
    enqueue(SEND_JOB, tenant_id=tenant.pk, queue=QUEUE, at=later, channel_id=channel_id)


# ---------------------------------------------------------------- claiming and merging


def _due(tenant: Tenant, channel: Channel, now: dt.datetime) -> Any:
    return Delivery.objects.for_tenant(tenant).filter(
        channel=channel, status__in=DUE_STATUSES, next_attempt_at__lte=now
    )


def _digest_title(count: int, has_levels: bool) -> str:
    if has_levels:
        return _("舆情预警汇总（%(count)s 条）") % {"count": count}
    return _("通知汇总（%(count)s 条）") % {"count": count}


def digest_body(channel: Channel, items: list[Delivery], *, has_mobiles: bool = False) -> str:
    """One line per merged message (level, title, link), as many as the channel's size limit takes."""
    markdown = robots.uses_markdown(channel.kind, has_mobiles=has_mobiles)
    budget = robots.body_budget(channel.kind, has_mobiles=has_mobiles)
    if budget is not None:
        budget -= 600  # the heading, the link line and the @-mentions around the body
    lines: list[str] = []
    used = 0
    for number, item in enumerate(items, start=1):
        label = robots.level_label(item.level)
        title = robots.escape_markdown(item.title) if markdown else item.title
        line = f"{number}. " + (f"【{label}】" if label else "") + title
        if item.link:
            line += f" [{_('详情')}]({item.link})" if markdown else f" {item.link}"
        rest = _("……另有 %(count)s 条，请登录系统查看。") % {"count": len(items) - number + 1}
        if budget is not None and used + robots.utf8_len(line) + 1 > budget - robots.utf8_len(rest):
            lines.append(rest)
            break
        lines.append(line)
        used += robots.utf8_len(line) + 1
    return "\n".join(lines)


def _claim(tenant: Tenant, channel: Channel, now: dt.datetime) -> tuple[Delivery | None, int]:
    """Take the channel's due rows: (the delivery to send, how many messages it stands for)."""
    with transaction.atomic():
        # The channel row is the lock: one claimer per channel at a time (PostgreSQL; SQLite
        # serialises writing transactions anyway).
        Channel.objects.for_tenant(tenant).select_for_update().filter(pk=channel.pk).values_list("pk").first()
        rows = list(_due(tenant, channel, now).order_by("created_at", "pk")[:MAX_MERGE])
        if not rows:
            return None, 0
        lease = now + SENDING_LEASE
        if len(rows) == 1:
            row = rows[0]
            Delivery.objects.for_tenant(tenant).filter(pk=row.pk).update(status=Status.SENDING, next_attempt_at=lease)
            row.status, row.next_attempt_at = Status.SENDING, lease
            merged = Delivery.objects.for_tenant(tenant).filter(digest=row).count() if row.is_digest else 1
            return row, merged
        # A digest that is waiting to be retried joins the new one with its items.
        old_digests = [row.pk for row in rows if row.is_digest]
        children = list(
            Delivery.objects.for_tenant(tenant).filter(digest_id__in=old_digests).order_by("created_at", "pk")
            if old_digests
            else []
        )
        items = sorted(
            [row for row in rows if not row.is_digest] + children, key=lambda item: (item.created_at, item.pk)
        )
        levels = [item.level for item in items if item.level is not None]
        digest = Delivery.objects.create(
            tenant=tenant,
            channel=channel,
            title=_digest_title(len(items), bool(levels)),
            body=digest_body(channel, items, has_mobiles=bool(channel.mention_mobiles_masked)),
            level=min(levels) if levels else None,
            is_digest=True,
            status=Status.SENDING,
            next_attempt_at=lease,
        )
        Delivery.objects.for_tenant(tenant).filter(pk__in=[item.pk for item in items + rows]).exclude(
            pk=digest.pk
        ).update(status=Status.MERGED, digest=digest, next_attempt_at=None)
        return digest, len(items)


# ---------------------------------------------------------------- sending


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers itself; following a redirect would send the message (and key) elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes) -> tuple[int, Any, str]:
    """POST a JSON body: (HTTP status, parsed JSON or None, the answer's first characters).

    HTTP errors are answers too; network failures raise OSError / HTTPException.
    """
    request = urllib.request.Request(  # noqa: S310 - the URL was checked: https on a known host
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(64 * 1024)
        error.close()
    text = raw.decode("utf-8", "replace")
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    return status, payload, text[:EXCERPT_MAX]


def _send_robot(channel: Channel, delivery: Delivery) -> tuple[robots.Outcome, str]:
    try:
        webhook, secret, mobiles = channel.webhook_url(), channel.secret(), channel.mention_mobiles()
    except ValueError:  # stored under a key that is no longer configured
        logger.error("Channel %s: its webhook or secret cannot be decrypted.", channel.pk)
        return robots.Outcome(robots.CONFIG_ERROR, "secret", _("渠道的 Webhook 地址或密钥无法解密，请重新填写。")), ""
    problem = webhook_url_error(channel.kind, webhook)
    if problem:
        return robots.Outcome(robots.CONFIG_ERROR, "webhook", problem), ""
    message = robots.Message(
        title=delivery.title,
        body=delivery.body,
        level=delivery.level,
        link=delivery.link,
        mobiles=tuple(mobiles),
    )
    url, body = robots.build_request(
        channel.kind, webhook_url=webhook, secret=secret, message=message, timestamp=time.time()
    )
    try:
        status, payload, excerpt = post_json(url, robots.encode_body(body))
    except (OSError, HTTPException) as error:  # URLError, timeouts, refused connections are OSErrors
        reason = getattr(error, "reason", None) or error
        return robots.Outcome(robots.RETRY, "network", _("网络错误：%(error)s") % {"error": reason}), ""
    return robots.classify_response(channel.kind, status, payload), excerpt


def _send_email(channel: Channel, delivery: Delivery) -> tuple[robots.Outcome, str]:
    recipients = channel.email_recipient_list()
    if not recipients:
        return robots.Outcome(robots.CONFIG_ERROR, "no_recipients", _("没有收件人。")), ""
    text = delivery.body + (f"\n\n{_('详情：')}{delivery.link}" if delivery.link else "")
    subject = robots.heading(robots.Message(title=delivery.title, level=delivery.level))
    try:
        sent = send_mail(subject, text, None, recipients, fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as error:
        return robots.Outcome(robots.CONFIG_ERROR, "smtp", str(error)[:EXCERPT_MAX]), ""
    except OSError as error:  # SMTPException is an OSError, as are refused connections
        return robots.Outcome(robots.RETRY, "smtp", str(error)[:EXCERPT_MAX]), ""
    return robots.Outcome(robots.SUCCESS, "", ""), _("已发送至 %(count)s 个地址") % {"count": len(recipients) * sent}


def portal_recipients(tenant: Tenant, channel: Channel) -> list[Membership]:
    """Active members of the channel's department and/or roles (managers + admins: the duty roster)."""
    if channel.department_id is None and not channel.target_roles:
        return []
    members = Membership.objects.for_tenant(tenant).filter(is_active=True, user__is_active=True)
    if channel.department_id is not None:
        members = members.filter(department_id=channel.department_id)
    if channel.target_roles:
        members = members.filter(role__in=channel.target_roles)
    return list(members.order_by("pk"))


def _send_portal(tenant: Tenant, channel: Channel, delivery: Delivery) -> tuple[robots.Outcome, str]:
    recipients = portal_recipients(tenant, channel)
    if not recipients:
        return robots.Outcome(robots.CONFIG_ERROR, "no_recipients", _("没有符合条件的接收人。")), ""
    link = delivery.link if len(delivery.link) <= PORTAL_LINK_MAX else ""
    with transaction.atomic():
        # The dedupe key makes a retried send notify nobody twice.
        notification_send(
            tenant=tenant,
            recipients=recipients,
            kind=Notification.Kind.WARNING if delivery.level else Notification.Kind.INFO,
            title=robots.heading(robots.Message(title=delivery.title, level=delivery.level)),
            body=delivery.body,
            link=link,
            dedupe_key=f"delivery:{delivery.pk}",
        )
    return robots.Outcome(robots.SUCCESS, "", ""), _("已通知 %(count)s 人") % {"count": len(recipients)}


def _transmit(tenant: Tenant, channel: Channel, delivery: Delivery) -> tuple[robots.Outcome, str]:
    if channel.is_robot:
        return _send_robot(channel, delivery)
    if channel.kind == Channel.Kind.EMAIL:
        return _send_email(channel, delivery)
    return _send_portal(tenant, channel, delivery)


def _record(
    tenant: Tenant, channel: Channel, delivery: Delivery, outcome: robots.Outcome, excerpt: str, now: dt.datetime
) -> str:
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "error_code": "" if outcome.ok else outcome.code[:32],
        "error_message": "" if outcome.ok else outcome.message[:EXCERPT_MAX],
        "response_excerpt": excerpt[:EXCERPT_MAX],
    }
    rows = Delivery.objects.for_tenant(tenant)
    channels = Channel.objects.for_tenant(tenant).filter(pk=channel.pk)
    with transaction.atomic():
        if outcome.ok:
            values.update(status=Status.SENT, sent_at=now, next_attempt_at=None)
            rows.filter(digest=delivery, status=Status.MERGED).update(sent_at=now)
            channels.update(last_success_at=now)
        elif outcome.status == robots.RETRY and attempts < MAX_ATTEMPTS:
            wait = backoff(attempts)
            if outcome.code in {str(code) for code in robots.RETRY_CODES.get(channel.kind, ())}:
                blocked = dt.timedelta(seconds=robots.BLOCKED_SECONDS_AFTER_RATE_LIMIT.get(channel.kind, 60))
                wait = max(wait, blocked)
                _block(channel, now + blocked)
            values.update(status=Status.RETRYING, next_attempt_at=now + wait)
        else:
            values.update(status=Status.FAILED, next_attempt_at=None)
            channels.update(
                last_error_at=now, last_error_code=values["error_code"], last_error_message=values["error_message"]
            )
        rows.filter(pk=delivery.pk).update(**values)
    for name, value in values.items():
        setattr(delivery, name, value)
    if not outcome.ok:
        log = logger.warning if values["status"] == Status.RETRYING else logger.error
        log(
            "Delivery %s to channel %s (%s) %s: %s %s",
            delivery.pk,
            channel.pk,
            channel.webhook_url_masked or channel.kind,
            values["status"],
            outcome.code,
            outcome.message,
        )
    return values["status"]


# Sends over the network: each step commits on its own, never one transaction around an HTTP call.
@tenant_service(None, atomic=False)
def deliveries_send_due(*, tenant: Tenant, channel_id: int, now: dt.datetime | None = None) -> SendResult:
    """Send what is due on one channel of `tenant` as one message (see the module docstring)."""
    now = now or timezone.now()
    channel = Channel.objects.for_tenant(tenant).filter(pk=channel_id).first()
    if channel is None:
        return SendResult("idle")
    due = _due(tenant, channel, now)
    if not channel.is_active:
        due.update(status=Status.FAILED, next_attempt_at=None, error_code="inactive", error_message=_("渠道已停用。"))
        return SendResult("inactive")
    if not due.exists():
        return SendResult("idle")
    wait = _rate_wait(channel, now)
    if wait > 0:
        _schedule(tenant, channel.pk, now + dt.timedelta(seconds=wait))
        return SendResult("throttled", wait_seconds=wait)
    delivery, merged = _claim(tenant, channel, now)
    if delivery is None:
        return SendResult("idle")
    outcome, excerpt = _transmit(tenant, channel, delivery)
    status = _record(tenant, channel, delivery, outcome, excerpt, now)
    if status == Status.RETRYING:
        _schedule(tenant, channel.pk, delivery.next_attempt_at)
    if _due(tenant, channel, now).exists():  # past MAX_MERGE, or queued while this one was sent
        _schedule(tenant, channel.pk, now)
    return SendResult(status, delivery_id=delivery.pk, merged=merged)


# ---------------------------------------------------------------- the sweep


def deliveries_requeue_due(*, now: dt.datetime | None = None) -> SweepResult:
    """Every minute, across tenants: one send job per channel with rows no job is coming for.

    One indexed query on (status, next_attempt_at) finds them; each job is enqueued for the
    row's own tenant, and re-scopes to it. Platform code spanning every tenant, so no tenant
    service: it writes only the expired leases back to `retrying`.
    """
    now = now or timezone.now()
    result = SweepResult()
    with dangerously_all_tenants():
        rows = Delivery.objects.dangerously_all_tenants()
        expired = rows.filter(status=Status.SENDING, next_attempt_at__lte=now)
        pairs = set(expired.order_by().values_list("tenant_id", "channel_id").distinct())
        result.expired_leases = expired.update(status=Status.RETRYING, next_attempt_at=now)
        lost = rows.filter(
            Q(status__in=[Status.QUEUED, Status.RETRYING], next_attempt_at__lte=now - SWEEP_GRACE)
            | Q(status=Status.HELD, next_attempt_at__lte=now)
        )
        pairs |= set(lost.order_by().values_list("tenant_id", "channel_id").distinct())
        tenants = Tenant.objects.filter(pk__in={pair[0] for pair in pairs}, is_active=True).in_bulk()
    for tenant_id, channel_id in sorted(pairs):
        tenant = tenants.get(tenant_id)
        if tenant is None:
            continue
        if enqueue(SEND_JOB, tenant_id=tenant.pk, queue=QUEUE, channel_id=channel_id) is False:
            continue  # Redis out of reach (logged): the next sweep tries again
        result.channels += 1
    return result
