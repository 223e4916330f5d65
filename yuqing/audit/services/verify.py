"""Walking a tenant's hash chain to find the first link that does not hold.

A chain holds when its sequence numbers run 1, 2, 3, … without a gap, each event's previous_hash
is the hash of the event before it (the genesis hash for the first), and each event's hash
recomputes from its own fields under its scheme: the HMAC with the key it names (keys.py), or the
unkeyed SHA-256 of the events from before the chain was keyed, which may only come before the
first keyed event (an unkeyed event after a keyed one is a downgrade, i.e. a forgery). An edited
row fails the last check, a deleted one the first, a forged one the second or third; a rewrite
re-hashed without the key fails the third.

Deleting the newest events leaves a chain that still holds. `chain_verify_all` therefore compares
each chain with the signed head that the previous run wrote outside the database (checkpoint.py)
and, when both hold, writes the new head.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from yuqing.audit.models import AuditEvent
from yuqing.audit.services.chain import GENESIS_HASH, SCHEME_HMAC_SHA256, SCHEME_SHA256, event_recompute
from yuqing.audit.services.checkpoint import CheckpointInvalid, checkpoint_problem, checkpoint_read, checkpoint_write
from yuqing.audit.services.keys import UnknownAuditKey
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.models import Tenant

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ChainBreak:
    """The first link that does not hold, and why."""

    sequence: int
    event_id: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    """How far a tenant's chain holds. The head is the last event that checked out."""

    tenant: Tenant
    events_checked: int
    head_sequence: int | None
    head_hash: str | None
    first_break: ChainBreak | None
    # What the comparison with the last signed checkpoint found (None: it matches, or there is none yet).
    checkpoint_problem: str | None = None

    @property
    def is_intact(self) -> bool:
        return self.first_break is None and self.checkpoint_problem is None


def link_problem(
    event: AuditEvent, *, expected_sequence: int, expected_previous_hash: str, previous_scheme: str | None = None
) -> str | None:
    """What is wrong with `event` as the link after the given position, or None.

    `previous_scheme` is the hash scheme of the event before it (None for the first event).
    """
    if event.sequence != expected_sequence:
        return _("序号不连续：应为 %(expected)s，实为 %(actual)s（其间的事件缺失）") % {
            "expected": expected_sequence,
            "actual": event.sequence,
        }
    if event.previous_hash != expected_previous_hash:
        return _("上一条哈希不符：记录为 %(recorded)s，上一条事件的哈希为 %(expected)s") % {
            "recorded": event.previous_hash,
            "expected": expected_previous_hash,
        }
    if event.hash_scheme == SCHEME_SHA256 and previous_scheme == SCHEME_HMAC_SHA256:
        return _("带密钥的事件之后出现无密钥的旧算法（sha256）事件：旧算法只用于启用密钥之前的事件（伪造）")
    try:
        recomputed = event_recompute(event)
    except UnknownAuditKey:
        return _("哈希所用的密钥 %(key_id)s 未配置（YUQING_AUDIT_KEYS 中缺少它），无法复算") % {
            "key_id": event.hash_key_id
        }
    except ValueError:
        return _("未知的哈希算法 %(scheme)s") % {"scheme": event.hash_scheme}
    # Constant time: the portal's event page must not become a timing oracle for the right HMAC.
    if hmac.compare_digest(event.hash.encode("utf-8", "surrogatepass"), recomputed.encode()):
        return None
    if event.hash_scheme == SCHEME_HMAC_SHA256:
        # Never show the right HMAC of altered content: whoever reads this could write it into the row.
        return _(
            "哈希无法复算：记录为 %(recorded)s，与用密钥 %(key_id)s 按内容复算的结果不符（内容被改动或哈希被伪造）"
        ) % {
            "recorded": event.hash,
            "key_id": event.hash_key_id,
        }
    return _("哈希无法复算：记录为 %(recorded)s，按内容复算为 %(recomputed)s（内容被改动）") % {
        "recorded": event.hash,
        "recomputed": recomputed,
    }


def event_link_problem(event: AuditEvent, *, previous: AuditEvent | None) -> str | None:
    """What is wrong with the link from `previous` (the event one sequence number earlier) to `event`."""
    if event.sequence == 1:
        return link_problem(event, expected_sequence=1, expected_previous_hash=GENESIS_HASH)
    if previous is None:
        return _("上一条事件（序号 %(sequence)s）缺失") % {"sequence": event.sequence - 1}
    return link_problem(
        event,
        expected_sequence=previous.sequence + 1,
        expected_previous_hash=previous.hash,
        previous_scheme=previous.hash_scheme,
    )


def chain_verify(*, tenant: Tenant, chunk_size: int = CHUNK_SIZE) -> ChainReport:
    """Check `tenant`'s whole chain in sequence order, reading `chunk_size` rows at a time."""
    events = AuditEvent.objects.for_tenant(tenant).order_by("sequence").iterator(chunk_size=chunk_size)
    checked = 0
    expected_sequence, expected_previous_hash, previous_scheme = 1, GENESIS_HASH, None
    for event in events:
        problem = link_problem(
            event,
            expected_sequence=expected_sequence,
            expected_previous_hash=expected_previous_hash,
            previous_scheme=previous_scheme,
        )
        if problem is not None:
            return ChainReport(
                tenant=tenant,
                events_checked=checked,
                head_sequence=expected_sequence - 1 or None,
                head_hash=None if expected_sequence == 1 else expected_previous_hash,
                first_break=ChainBreak(sequence=event.sequence, event_id=event.pk, problem=problem),
            )
        checked += 1
        expected_sequence, expected_previous_hash, previous_scheme = event.sequence + 1, event.hash, event.hash_scheme
    return ChainReport(
        tenant=tenant,
        events_checked=checked,
        head_sequence=checked or None,
        head_hash=expected_previous_hash if checked else None,
        first_break=None,
    )


def chain_verify_all(
    *,
    tenants: Iterable[Tenant] | None = None,
    chunk_size: int = CHUNK_SIZE,
    checkpoint_dir: Path | None = None,
) -> Iterator[ChainReport]:
    """One report per tenant (every tenant, inactive ones included: their history still counts).

    Each chain is also compared with its last signed checkpoint in `checkpoint_dir` (default
    settings.AUDIT_CHECKPOINT_DIR); a chain that holds and matches gets a new checkpoint of its
    head. A chain that does not is left with the old checkpoint, so the next run reports it again.
    """
    directory = Path(checkpoint_dir or settings.AUDIT_CHECKPOINT_DIR)
    for tenant in tenants if tenants is not None else Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            report = chain_verify(tenant=tenant, chunk_size=chunk_size)
            report = replace(report, checkpoint_problem=_checkpoint_check(report, directory))
        yield report


def _checkpoint_check(report: ChainReport, directory: Path) -> str | None:
    tenant = report.tenant
    try:
        checkpoint = checkpoint_read(tenant_id=tenant.pk, directory=directory)
    except CheckpointInvalid as error:
        return str(error)
    if checkpoint is not None:
        problem = checkpoint_problem(checkpoint=checkpoint, tenant=tenant)
        if problem is not None:
            return problem
    if report.first_break is not None or report.head_sequence is None or report.head_hash is None:
        return None
    try:
        checkpoint_write(tenant=tenant, sequence=report.head_sequence, head_hash=report.head_hash, directory=directory)
    except OSError as error:
        # Not tampering, but without the checkpoint a later deletion of the newest events goes unseen.
        return _("链头检查点无法写入 %(directory)s：%(error)s") % {"directory": directory, "error": error}
    return None
