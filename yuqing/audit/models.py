"""The append-only audit trail: one hash chain per tenant; the database refuses UPDATE and DELETE."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.managers import TenantManager
from yuqing.tenancy.models import Tenant, TenantRowWrites

# The hash schemes an event records (services/chain.py computes them). The unkeyed one is of the
# events written before the chain was keyed; never written any more.
SCHEME_SHA256 = "sha256"
SCHEME_HMAC_SHA256 = "hmac-sha256"


@dataclass(frozen=True)
class ChangeRow:
    """One changed field, its values as text; None where the event did not record that side."""

    field: str
    before: str | None
    after: str | None


def _as_text(value: Any) -> str:
    if value is None:
        return str(_("（空）"))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class HashScheme(models.TextChoices):
    SHA256 = SCHEME_SHA256, _("SHA-256（无密钥，旧事件）")
    HMAC_SHA256 = SCHEME_HMAC_SHA256, _("HMAC-SHA256（密钥在数据库之外）")


class AuditEvent(TenantRowWrites):
    # PROTECT: a tenant with history cannot vanish, and the triggers refuse the cascade anyway.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户"))
    sequence = models.PositiveBigIntegerField(_("序号"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("客户端 IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    previous_hash = models.CharField(_("上一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)
    # Per event, because the database refuses to rewrite old ones: the events from before the chain
    # was keyed keep "sha256" (the migration's default), every new one is an HMAC naming its key.
    hash_scheme = models.CharField(_("哈希算法"), max_length=16, choices=HashScheme.choices)
    hash_key_id = models.CharField(_("密钥编号"), max_length=32, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sequence"], name="audit_unique_sequence_per_tenant"),
        ]
        indexes = [
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["tenant", "created_at"], name="audit_tenant_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    def change_rows(self) -> list[ChangeRow]:
        """The recorded changes as rows: {"field": {"before": …, "after": …}} or plain {"field": value}."""
        if not isinstance(self.changes, dict):
            return [ChangeRow(field="", before=None, after=_as_text(self.changes))] if self.changes else []
        rows = []
        for field, value in self.changes.items():
            if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
                rows.append(
                    ChangeRow(
                        field=field,
                        before=_as_text(value["before"]) if "before" in value else None,
                        after=_as_text(value["after"]) if "after" in value else None,
                    )
                )
            else:
                rows.append(ChangeRow(field=field, before=None, after=_as_text(value)))
        return rows
