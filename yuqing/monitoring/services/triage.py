"""Analysts' triage of a mention: relevant / not relevant, its polarity, dismiss, escalate.

Labels are what the tenant's sentiment model learns from (`labelled_polarity`), so every change is
audited with its before and after. Viewers and auditors read only: the role check is here, not
just in the views. Escalation goes through the warnings module (`warning_escalate_mention`), which
raises or joins the story's warning, opens (or joins) its incident and marks the mention.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import Mention, Polarity, RiskWarning
from yuqing.monitoring.services.warnings import warning_escalate_mention
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

# What an analyst may set directly; "escalated" comes only from mention_escalate.
TRIAGE_CHOICES = (
    Mention.Triage.NEW,
    Mention.Triage.RELEVANT,
    Mention.Triage.NOT_RELEVANT,
    Mention.Triage.DISMISSED,
)


def _locked(tenant: Tenant, mention: Mention) -> Mention:
    if mention.tenant_id != tenant.pk:
        raise Mention.DoesNotExist
    return Mention.objects.for_tenant(tenant).select_for_update().get(pk=mention.pk)


@tenant_service(Permission.WRITE)
def mention_triage(*, tenant: Tenant, actor: User | None, mention: Mention, triage: str, polarity: str = "") -> Mention:
    """Set a mention's triage outcome and, when given, the analyst's polarity label.

    `polarity=""` keeps the label as it is. Raises PermissionDenied for viewers and auditors, and
    ValidationError (Chinese) for an unknown outcome or polarity.
    """
    membership = actor_membership(tenant=tenant, actor=actor)
    if triage not in TRIAGE_CHOICES:
        if triage == Mention.Triage.ESCALATED:
            raise ValidationError(_("升级请使用“升级为事件”操作。"), code="escalate")
        raise ValidationError(_("未知的研判结果：%(value)s。") % {"value": triage}, code="triage")
    if polarity and polarity not in Polarity.values:
        raise ValidationError(_("未知的情感倾向：%(value)s。") % {"value": polarity}, code="polarity")
    row = _locked(tenant, mention)
    changes: dict[str, Any] = {}
    if row.triage != triage:
        changes["triage"] = {"before": row.triage, "after": triage}
        row.triage = triage
    if polarity and row.labelled_polarity != polarity:
        changes["labelled_polarity"] = {"before": row.labelled_polarity, "after": polarity}
        row.labelled_polarity = polarity
    row.triaged_by = membership
    row.triaged_at = timezone.now()
    row.save(update_fields=["triage", "labelled_polarity", "triaged_by", "triaged_at"])
    audit_record(tenant=tenant, actor=actor, action="mention.triage", target=row, changes=changes)
    _copy_triage(row, mention)
    return mention


@tenant_service(Permission.WRITE)
def mention_label_polarity(*, tenant: Tenant, actor: User | None, mention: Mention, polarity: str) -> Mention:
    """Only the polarity label (the triage outcome stays); `polarity=""` removes the label."""
    membership = actor_membership(tenant=tenant, actor=actor)
    if polarity and polarity not in Polarity.values:
        raise ValidationError(_("未知的情感倾向：%(value)s。") % {"value": polarity}, code="polarity")
    row = _locked(tenant, mention)
    changes = {}
    if row.labelled_polarity != polarity:
        changes["labelled_polarity"] = {"before": row.labelled_polarity, "after": polarity}
    row.labelled_polarity = polarity
    row.triaged_by = membership
    row.triaged_at = timezone.now()
    row.save(update_fields=["labelled_polarity", "triaged_by", "triaged_at"])
    audit_record(tenant=tenant, actor=actor, action="mention.label", target=row, changes=changes)
    _copy_triage(row, mention)
    return mention


@tenant_service(Permission.WRITE)
def mention_escalate(*, tenant: Tenant, actor: User | None, mention: Mention) -> RiskWarning:
    """Escalate a mention to an incident (升级): the warnings module opens or joins its story's
    incident, marks the mention escalated and audits it. Returns the story's warning; its
    ValidationError (e.g. a mention not scored yet) and PermissionDenied reach the caller unchanged.
    """
    return warning_escalate_mention(tenant=tenant, actor=actor, mention=mention)


def _copy_triage(source: Mention, target: Mention) -> None:
    for name in ("triage", "labelled_polarity", "triaged_by_id", "triaged_at"):
        setattr(target, name, getattr(source, name))
