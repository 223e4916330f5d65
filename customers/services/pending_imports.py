"""Pending imports: an uploaded file kept encrypted between its preview and its confirmation.

The session only ever held a reference before it held the whole file; now it holds nothing: the
URL carries an unguessable token (32 random bytes), and a pending import is found only by that
token together with the request's tenant and user, so anyone else (another tenant, or another
member of the same tenant) gets the same 404 as for a token that does not exist. The file is
zlib-compressed, then encrypted with `yuqing.privacy` (Fernet, the field-encryption keys, so it
follows their rotation). It is deleted when confirmed or cancelled, when its owner uploads
another file, when it is found expired at preview or confirm time, and by the cron sweep.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import zlib

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import PendingImport
from customers.services.imports import ImportRefused, content_digest
from yuqing import privacy
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

PENDING_TTL = dt.timedelta(hours=1)


def _seal(content: str) -> str:
    packed = base64.b64encode(zlib.compress(content.encode(), 6)).decode()
    return privacy.encrypt(packed)


def _unseal(token: str) -> str:
    return zlib.decompress(base64.b64decode(privacy.decrypt(token))).decode()


@tenant_service(Permission.WRITE)
def pending_import_store(*, tenant: Tenant, actor: User, content: str, filename: str) -> PendingImport:
    """Keep `content` for its preview; the user's earlier pending import in this tenant is dropped."""
    now = timezone.now()
    PendingImport.objects.for_tenant(tenant).filter(user=actor).delete()
    return PendingImport.objects.create(
        tenant=tenant,
        token=secrets.token_urlsafe(32),
        user=actor,
        filename=filename[:200],
        digest=content_digest(content),
        content_encrypted=_seal(content),
        created_at=now,
        expires_at=now + PENDING_TTL,
    )


def pending_import_of(*, tenant: Tenant, actor: User, token: str) -> PendingImport:
    """The user's own pending import in this tenant; 404 for anyone else's, as for one that does not exist."""
    pending = PendingImport.objects.for_tenant(tenant).filter(token=token, user=actor).first()
    if pending is None:
        raise Http404("No such pending import.")
    return pending


def _expired() -> ImportRefused:
    return ImportRefused(_("这次导入已过期，请重新上传文件。"))


@tenant_service(Permission.WRITE, atomic=False)  # an expired one stays deleted when refused
def pending_import_get(*, tenant: Tenant, actor: User, token: str) -> tuple[PendingImport, str]:
    """The user's own pending import and its content; 404 for anyone else's; refused (and deleted) when expired."""
    pending = pending_import_of(tenant=tenant, actor=actor, token=token)
    if pending.expires_at <= timezone.now():
        pending.delete()  # committed: the refusal below must not bring it back
        raise _expired()
    return pending, _unseal(pending.content_encrypted)


@tenant_service(Permission.WRITE)
def pending_import_discard(*, tenant: Tenant, actor: User, token: str) -> None:
    PendingImport.objects.for_tenant(tenant).filter(token=token, user=actor).delete()


@tenant_service(Permission.WRITE)
def pending_import_previewed(*, tenant: Tenant, actor: User, pending: PendingImport, valid_lines: list[int]) -> None:
    """Remember which lines the user saw as valid: the confirmation imports exactly those or nothing."""
    pending.valid_lines = valid_lines
    pending.save(update_fields=["valid_lines"])


@tenant_service(Permission.WRITE, atomic=False)  # the removal commits before an expiry is refused
def pending_import_take(*, tenant: Tenant, actor: User, token: str) -> tuple[PendingImport, str]:
    """Remove the pending import for its confirmation or cancellation, returning it and its content.

    The row is locked and deleted in one transaction: two confirm clicks import once, the second
    finds nothing (404). An expired one is deleted and refused.
    """
    with transaction.atomic():
        pending = PendingImport.objects.for_tenant(tenant).select_for_update().filter(token=token, user=actor).first()
        if pending is None:
            raise Http404("No such pending import.")
        pending.delete()
    if pending.expires_at <= timezone.now():
        raise _expired()
    return pending, _unseal(pending.content_encrypted)


def pending_imports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete every tenant's expired pending imports (a platform sweep). Returns how many."""
    deleted, _by_model = (
        PendingImport.objects.dangerously_all_tenants().filter(expires_at__lte=now or timezone.now()).delete()
    )
    return deleted
