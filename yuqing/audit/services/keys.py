"""The secret keys of the audit chain, which live outside the database.

`AUDIT_KEYS` (env `YUQING_AUDIT_KEYS`) lists them newest first: the first keys every new event
and checkpoint, the others still verify what they keyed, so a key rotates by putting the new one
in front. Each key is known by an id derived from the key itself (stored on every event), so an
event names its key without the key ever reaching the database. Without the key, someone who can
write to the database and read chain.py can no longer re-hash a rewritten chain.

Development default: a key derived from SECRET_KEY, like the field-encryption keys; in
production `check --deploy` reports a missing key (audit.E001).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

MIN_KEY_LENGTH = 32


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never the secret, in logs or tracebacks
        return f"AuditKey({self.key_id!r})"


class UnknownAuditKey(LookupError):
    """An event or checkpoint names a key that is not (or no longer) configured."""


def key_id_for(secret: bytes) -> str:
    """A short public name for a key: keyed by the key itself, so it reveals nothing of it."""
    return hmac.new(secret, b"yuqing-audit-key-id", hashlib.sha256).hexdigest()[:16]


def development_key(secret_key: str) -> str:
    """The key used when AUDIT_KEYS is empty. Text, so that it can be listed in YUQING_AUDIT_KEYS
    later (after the new key) and the events it keyed keep verifying."""
    return hashlib.sha256(f"audit-chain:{secret_key}".encode()).hexdigest()


@lru_cache(maxsize=8)
def _keys(configured: tuple[str, ...], secret_key: str) -> tuple[AuditKey, ...]:
    secrets = [item.encode() for item in configured if item] or [development_key(secret_key).encode()]
    return tuple(AuditKey(key_id=key_id_for(secret), secret=secret) for secret in secrets)


def audit_keys() -> tuple[AuditKey, ...]:
    """The configured keys, newest first (read from settings each time, so tests can override them)."""
    return _keys(tuple(settings.AUDIT_KEYS), settings.SECRET_KEY)


def current_key() -> AuditKey:
    return audit_keys()[0]


def key_by_id(key_id: str) -> AuditKey:
    # A key id is public, and whatever the database holds (any text at all) must only fail to match.
    for key in audit_keys():
        if key.key_id == key_id:
            return key
    raise UnknownAuditKey(key_id)
