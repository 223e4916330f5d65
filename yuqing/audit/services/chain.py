"""The hash that links each audit event to the one before it in its tenant's chain.

Two schemes, recorded on each event: `sha256`, the first one, which anyone can recompute (kept so
the events written with it still verify: the database refuses to rewrite them), and
`hmac-sha256`, keyed with a secret from outside the database (keys.py), used for every new event.
Both cover the same message: the previous hash and the event's canonical JSON.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import ipaddress
import json
from typing import Any

from yuqing.audit.models import SCHEME_HMAC_SHA256, SCHEME_SHA256
from yuqing.audit.services.keys import current_key, key_by_id

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON as either database gives it back, so a hash made before saving recomputes after loading.

    PostgreSQL's jsonb keeps numbers as decimals and prints whole ones without an exponent: the
    float 1e+20 comes back as the int 100000000000000000000. Whole floats are hashed as that int.
    """
    if isinstance(value, float) and value.is_integer():
        return int(decimal.Decimal(repr(value)))
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def canonical_ip(value: str) -> str | None:
    """One spelling per address, None when it is none.

    PostgreSQL's inet rewrites what it stores ("2001:0db8::0001" comes back as "2001:db8::1"), so
    the hash covers this spelling: IPv4-mapped IPv6 unpacked to IPv4, zone index dropped.
    """
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _message(previous_hash: str, fields: dict[str, Any]) -> bytes:
    canonical = json.dumps(_canonical(fields), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return f"{previous_hash}\n{canonical}".encode()


def event_hash(*, previous_hash: str, fields: dict[str, Any]) -> str:
    """The unkeyed hash (scheme sha256) of the events written before the chain was keyed."""
    return hashlib.sha256(_message(previous_hash, fields)).hexdigest()


def event_mac(*, previous_hash: str, fields: dict[str, Any], secret: bytes) -> str:
    """The keyed hash (scheme hmac-sha256): only the holder of `secret` can make or recompute it."""
    return hmac.new(secret, _message(previous_hash, fields), hashlib.sha256).hexdigest()


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
        "ip_address": (canonical_ip(event.ip_address) or event.ip_address) if event.ip_address else None,
        # In UTC whatever zone the value carries: the databases hand it back in UTC.
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }


def event_seal(event: Any) -> None:
    """Set `event`'s scheme, key id and hash with the current key: one HMAC, nothing else."""
    key = current_key()
    event.hash_scheme = SCHEME_HMAC_SHA256
    event.hash_key_id = key.key_id
    event.hash = event_mac(previous_hash=event.previous_hash, fields=hashed_fields(event), secret=key.secret)


def event_recompute(event: Any) -> str:
    """The hash `event` should carry under its own scheme and key.

    Raises UnknownAuditKey when its key is not configured, ValueError for an unknown scheme.
    """
    fields = hashed_fields(event)
    if event.hash_scheme == SCHEME_HMAC_SHA256:
        return event_mac(previous_hash=event.previous_hash, fields=fields, secret=key_by_id(event.hash_key_id).secret)
    if event.hash_scheme == SCHEME_SHA256:
        return event_hash(previous_hash=event.previous_hash, fields=fields)
    raise ValueError(event.hash_scheme)
