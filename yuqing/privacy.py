"""Personal data at rest and on display (JR/T 0171-2020 class C2: protect at rest, mask on display).

ID and mobile numbers are stored three ways: encrypted (Fernet, keys from the environment, the
first key encrypts and all decrypt, so keys rotate), a keyed digest for exact lookups and
uniqueness, and the masked form every page, export, admin list and log shows. The clear value
is only ever produced by a reveal service that writes an audit event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@cache
def _fernet() -> MultiFernet:
    keys = [key for key in settings.FIELD_ENCRYPTION_KEYS if key]
    if not keys:
        # Development default: derived from SECRET_KEY. Production sets YUQING_FIELD_ENCRYPTION_KEYS.
        keys = [base64.urlsafe_b64encode(_derive("field-encryption")).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("The stored value cannot be decrypted with the configured keys.") from error


def digest(value: str, *, purpose: str) -> str:
    """A keyed digest for exact-match lookups; without the key it cannot be reversed by brute force."""
    if not value:
        return ""
    key = _derive(f"blind-index:{purpose}")
    return hmac.new(key, value.upper().encode(), hashlib.sha256).hexdigest()


def mask_mobile(value: str) -> str:
    """138****1234"""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "*" * len(value)


def mask_id_number(value: str) -> str:
    """First 6 + last 4: 110105********002X"""
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}" if len(value) > 10 else "*" * len(value)


def mask_bank_card(value: str) -> str:
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}" if len(value) > 10 else "*" * len(value)


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***"""
    return f"{value[0]}{'*' * (len(value) - 1)}" if len(value) > 1 else value
