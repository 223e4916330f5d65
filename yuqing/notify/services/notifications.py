"""In-portal notifications: sending them to members, and marking them read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from yuqing.notify.models import Notification
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Membership, Tenant, User
from yuqing.tenancy.roles import Permission


@tenant_service(None)
def notification_send(
    *,
    tenant: Tenant,
    recipients: list[Membership],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
) -> list[Notification]:
    """Notify each recipient once. With a dedupe_key, a recipient already notified is skipped:
    the unique constraint decides, so two concurrent senders cannot both succeed."""
    sent = []
    for recipient in {member.pk: member for member in recipients if member is not None}.values():
        if recipient.tenant_id != tenant.pk:
            raise ValueError("A notification recipient must be a member of the tenant.")
        try:
            with transaction.atomic():
                sent.append(
                    Notification.objects.create(
                        tenant=tenant,
                        recipient=recipient,
                        kind=kind,
                        title=title[:200],
                        body=body,
                        link=link,
                        dedupe_key=dedupe_key,
                    )
                )
        except IntegrityError:
            if not dedupe_key:
                raise
    return sent


@tenant_service(Permission.READ)
def notification_mark_read(
    *, tenant: Tenant, actor: User | None, recipient: Membership, pks: list[int] | None = None
) -> int:
    """Mark the recipient's unread notifications (all, or those of `pks`) read; only theirs are touched."""
    unread = Notification.objects.for_tenant(tenant).filter(recipient=recipient, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=pks)
    return unread.update(read_at=timezone.now())


@dataclass(frozen=True)
class Outgoing:
    """One notification to send with `notification_send_many`; it goes to its recipient's tenant."""

    recipient: Membership
    kind: str
    title: str
    body: str = ""
    link: str = ""
    dedupe_key: str = ""


def notification_send_many(*, outgoing: list[Outgoing]) -> int:
    """Many notifications, of one or many tenants, in one INSERT (for sweeps; query count stays flat).

    Platform code across tenants (no one tenant to work for), so no tenant service; one INSERT
    needs no transaction of its own.

    Each row takes its recipient's tenant, so no row can reach another tenant. Rows whose
    (recipient, dedupe_key) was already sent are skipped by the database (ON CONFLICT DO NOTHING /
    INSERT OR IGNORE), so a retried sweep cannot notify twice. Returns how many rows were offered.
    """
    rows: dict[tuple[int, str], Notification] = {}
    for item in outgoing:
        key = (item.recipient.pk, item.dedupe_key or f"#{len(rows)}")
        if key in rows:
            continue  # the same person reached twice for one event (an owner who is also the head)
        rows[key] = Notification(
            tenant_id=item.recipient.tenant_id,
            recipient_id=item.recipient.pk,
            kind=item.kind,
            title=item.title[:200],
            body=item.body,
            link=item.link,
            dedupe_key=item.dedupe_key,
        )
    if rows:
        Notification.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    return len(rows)
