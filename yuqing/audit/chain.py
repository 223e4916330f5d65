"""The hash that links each audit event to the one before it in its tenant's chain."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def event_hash(*, previous_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


def hashed_fields(event: Any) -> dict[str, Any]:
    """The fields the hash covers, read the same way when writing and when verifying."""
    return {
        "tenant": event.tenant_id,
        "sequence": event.sequence,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip_address": event.ip_address,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
    }
