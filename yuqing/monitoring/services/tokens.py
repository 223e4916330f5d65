"""Bearer tokens of the ingestion API: one per crawler or system, per tenant, rotated and revoked by admins.

A token reads `yq_<prefix>_<secret>`. It is shown once, when made; only its SHA-256 is stored
(a random 256-bit secret needs no slow hash), and the prefix tells the admin which one is which.
Authentication looks the digest up across tenants — the token is what names the tenant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import IngestToken, Source
from yuqing.tenancy.context import TenantMismatch
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

TOKEN_SCHEME = "yq"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new(*, tenant: Tenant, actor: User | None, name: str, source: Source | None) -> tuple[IngestToken, str]:
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = IngestToken.objects.create(
        tenant=tenant,
        name=name,
        prefix=prefix,
        digest=_digest(raw),
        source=source,
        created_by=actor_membership(tenant=tenant, actor=actor),
    )
    return token, raw


@tenant_service(Permission.CONFIGURE)
def ingest_token_create(
    *, tenant: Tenant, actor: User | None, name: str, source: Source | None = None
) -> tuple[IngestToken, str]:
    """A new token; returns it and its clear value, which is never available again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称。")})
    if len(name) > 100:
        raise ValidationError({"name": _("令牌名称不能超过 100 个字符。")})
    if source is not None and source.tenant_id != tenant.pk:
        raise TenantMismatch(f"Source {source.pk} is not of tenant {tenant.pk}.")
    token, raw = _new(tenant=tenant, actor=actor, name=name, source=source)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="ingest_token.create",
        target=token,
        changes={"name": name, "prefix": token.prefix, "source": source.pk if source else None},
    )
    return token, raw


def _locked(tenant: Tenant, token: IngestToken) -> IngestToken:
    if token.tenant_id != tenant.pk:
        raise TenantMismatch(f"Token {token.pk} is not of tenant {tenant.pk}.")
    return IngestToken.objects.for_tenant(tenant).select_for_update().get(pk=token.pk)


@tenant_service(Permission.CONFIGURE)
def ingest_token_rotate(*, tenant: Tenant, actor: User | None, token: IngestToken) -> tuple[IngestToken, str]:
    """Revoke `token` at once and make its successor (same name and default source)."""
    old = _locked(tenant, token)
    if old.revoked_at is not None:
        raise ValidationError(_("该令牌已吊销，不能轮换；请新建令牌。"))
    old.revoked_at = timezone.now()
    old.save(update_fields=["revoked_at"])
    new, raw = _new(tenant=tenant, actor=actor, name=old.name, source=old.source)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="ingest_token.rotate",
        target=new,
        changes={"name": new.name, "previous": old.prefix, "prefix": new.prefix},
    )
    token.revoked_at = old.revoked_at
    return new, raw


@tenant_service(Permission.CONFIGURE)
def ingest_token_revoke(*, tenant: Tenant, actor: User | None, token: IngestToken) -> IngestToken:
    """Revoke `token`: from now on it answers 401. Revoking a revoked token changes nothing."""
    locked = _locked(tenant, token)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="ingest_token.revoke",
            target=locked,
            changes={"name": locked.name, "prefix": locked.prefix},
        )
    token.revoked_at = locked.revoked_at
    return locked


def ingest_token_authenticate(raw: str | None) -> IngestToken | None:
    """The active token whose clear value is `raw` (its tenant and default source loaded), or None.

    Looked up by digest across tenants: the token names the tenant. A revoked token, or one of
    a deactivated tenant, is None. `last_used_at` is written at most once a minute.
    """
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(f"{TOKEN_SCHEME}_"):
        return None
    token = (
        IngestToken.objects.dangerously_all_tenants()
        .select_related("tenant", "source")
        .filter(digest=_digest(raw))
        .first()
    )
    if token is None or token.revoked_at is not None or not token.tenant.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        IngestToken.objects.dangerously_all_tenants().filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
