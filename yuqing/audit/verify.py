"""Walking a tenant's hash chain to find the first link that does not hold.

A chain holds when its sequence numbers run 1, 2, 3, … without a gap, each event's previous_hash
is the hash of the event before it (the genesis hash for the first), and each event's hash
recomputes from its own fields. An edited row fails the last check, a deleted one the first, a
forged one the second or third. Deleting the newest events leaves a chain that still holds: the
head reported here (sequence and hash) is logged so that it can be compared with later runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yuqing.audit.chain import GENESIS_HASH, event_hash, hashed_fields
from yuqing.audit.models import AuditEvent
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

    @property
    def is_intact(self) -> bool:
        return self.first_break is None


def link_problem(event: AuditEvent, *, expected_sequence: int, expected_previous_hash: str) -> str | None:
    """What is wrong with `event` as the link after the given position, or None."""
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
    recomputed = event_hash(previous_hash=event.previous_hash, fields=hashed_fields(event))
    if event.hash != recomputed:
        return _("哈希无法复算：记录为 %(recorded)s，按内容复算为 %(recomputed)s（内容被改动）") % {
            "recorded": event.hash,
            "recomputed": recomputed,
        }
    return None


def event_link_problem(event: AuditEvent, *, previous: AuditEvent | None) -> str | None:
    """What is wrong with the link from `previous` (the event one sequence number earlier) to `event`."""
    if event.sequence == 1:
        return link_problem(event, expected_sequence=1, expected_previous_hash=GENESIS_HASH)
    if previous is None:
        return _("上一条事件（序号 %(sequence)s）缺失") % {"sequence": event.sequence - 1}
    return link_problem(event, expected_sequence=previous.sequence + 1, expected_previous_hash=previous.hash)


def chain_verify(*, tenant: Tenant, chunk_size: int = CHUNK_SIZE) -> ChainReport:
    """Check `tenant`'s whole chain in sequence order, reading `chunk_size` rows at a time."""
    events = AuditEvent.objects.for_tenant(tenant).order_by("sequence").iterator(chunk_size=chunk_size)
    checked = 0
    expected_sequence, expected_previous_hash = 1, GENESIS_HASH
    for event in events:
        problem = link_problem(
            event, expected_sequence=expected_sequence, expected_previous_hash=expected_previous_hash
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
        expected_sequence, expected_previous_hash = event.sequence + 1, event.hash
    return ChainReport(
        tenant=tenant,
        events_checked=checked,
        head_sequence=checked or None,
        head_hash=expected_previous_hash if checked else None,
        first_break=None,
    )


def chain_verify_all(*, tenants: Iterable[Tenant] | None = None, chunk_size: int = CHUNK_SIZE) -> Iterator[ChainReport]:
    """One report per tenant (every tenant, inactive ones included: their history still counts)."""
    for tenant in tenants if tenants is not None else Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            report = chain_verify(tenant=tenant, chunk_size=chunk_size)
        yield report
