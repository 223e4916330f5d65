"""Writing to the audit trail. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from yuqing.audit.models import AuditEvent
from yuqing.audit.services.chain import GENESIS_HASH, canonical_ip, event_seal
from yuqing.tenancy.models import Tenant, User

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    """A value both databases store as JSON and give back unchanged, so the event's hash recomputes."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # PostgreSQL's jsonb refuses NaN and infinities; keep them readable instead of failing the change.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    # Decimal, UUID, lazy translations, enums and anything else: their text.
    return str(value)


def _ip_for_storage(value: str | None) -> str | None:
    """One spelling per address; an unreadable one is dropped rather than failing the change it records."""
    if not value:
        return None
    address = canonical_ip(value.strip())
    if address is None:
        logger.warning("audit: ignoring unreadable client address %r", value)
    return address


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before": old, "after": new}} for the fields whose value differs."""
    return {
        field: {"before": _jsonable(before.get(field)), "after": _jsonable(after.get(field))}
        for field in sorted(set(before) | set(after))
        if _jsonable(before.get(field)) != _jsonable(after.get(field))
    }


# A helper of every other service, not a service behind tenant_service: it runs inside their
# transaction and tenant (on hot paths: one event per change), and names no actor to check. Its
# own atomic block is a savepoint there, and the transaction the row lock needs when called alone.
@transaction.atomic
def audit_record(
    *,
    tenant: Tenant,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the tenant's chain.

    The tenant row is locked so concurrent writers take sequence numbers one after another
    (PostgreSQL; SQLite serialises writers anyway). FOR NO KEY UPDATE, not FOR UPDATE: inserting
    any tenant-owned row takes a key-share lock on the tenant row for its foreign key, and two
    transactions that each inserted rows and then audit would otherwise deadlock.
    """
    Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk).values_list("pk", flat=True).get()
    last = AuditEvent.objects.for_tenant(tenant).order_by("-sequence").values("sequence", "hash").first()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)[:200]
    event = AuditEvent(
        tenant=tenant,
        sequence=(last["sequence"] + 1) if last else 1,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=(str(actor)[:150] if actor is not None and actor.is_authenticated else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=_jsonable(changes or {}),
        ip_address=_ip_for_storage(ip_address),
        # Microsecond precision survives both databases, so the hash recomputes exactly.
        created_at=timezone.now(),
        previous_hash=last["hash"] if last else GENESIS_HASH,
    )
    # Keyed with the newest audit key (outside the database): one HMAC per event.
    event_seal(event)
    event.save(force_insert=True)
    return event
