"""Ingestion: the one service behind every path (API, RSS/Atom, file import, manual entry).

`mentions_ingest` validates each item on its own (a bad item is rejected with a Chinese reason
and never stops the others), normalises it (yuqing.monitoring.services.ingestion.normalize), de-duplicates it, and
stores the new mentions as `pending` in one transaction. Scoring is enqueued after the commit;
when Redis is down the failure is logged and the scoring sweep picks the mentions up later, so
nothing accepted is lost.

De-duplication, in this order:
1. the same (source, external id) as a stored mention, or as a recorded repost → duplicate of it;
2. the same content fingerprint as a stored mention (or an earlier item of the batch) → a repost:
   the mention's `repost_count` goes up by one and a `MentionRepost` row records the item's
   provenance — unless the item *is* that mention or one of its recorded reposts (same source and
   external id, or same source and URL, or same source when neither is given), which is a plain
   re-delivery: duplicate, nothing counted. So re-delivering a batch changes nothing.

Queries per batch: one per lookup (external ids, fingerprints, reposts), one bulk insert of
mentions, one of reposts, and one UPDATE per distinct repost increment. A concurrent insert of the
same item (IntegrityError) means the other request has committed (the insert waited for it): the
batch is looked up and classified again (CONFLICT_RETRIES times), then falls back to one savepoint
per item.

Concurrent batches: new mentions and reposts are inserted in the order of their unique keys and
the mentions whose repost count changes are locked in id order, so overlapping batches wait for
each other instead of deadlocking. Should PostgreSQL still report a deadlock or a serialization
failure (other lock orders exist, e.g. a repost of one batch matching a new mention of the other),
the batch's transaction (or savepoint, inside a caller's transaction) is rolled back and the
batch classified and stored again, up to DEADLOCK_RETRIES times.

Validation happens in two separate steps, before any of this: `screen.item_screen` refuses the
hostile values no later step could store (lone surrogates, NUL, NaN, deep nesting, oversize text),
then `items.clean_item` checks and normalises field by field.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.ingestion.batch import Batch, Conflict, chunks
from yuqing.monitoring.services.ingestion.items import Candidate, Rejected, author_pseudonymise, clean_item
from yuqing.monitoring.services.ingestion.results import ACCEPTED, DUPLICATE, REJECTED, IngestReport, ItemResult
from yuqing.monitoring.services.ingestion.screen import MAX_BODY_CHARS
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import TenantMismatch
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

__all__ = [
    "ACCEPTED",
    "DUPLICATE",
    "MAX_BODY_CHARS",
    "REJECTED",
    "IngestReport",
    "ItemResult",
    "author_pseudonymise",
    "mentions_ingest",
]

logger = logging.getLogger(__name__)

SCORING_BATCH = 200
DEADLOCK_RETRIES = 5
# Times a batch whose bulk insert met another request's new mentions is classified again before it
# falls back to one savepoint per item.
CONFLICT_RETRIES = 2
# SQLSTATEs worth another try: deadlock_detected, serialization_failure.
_RETRYABLE = frozenset({"40P01", "40001"})


def _is_retryable(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in _RETRYABLE


# ---------------------------------------------------------------- the service


# Not one transaction: a batch that deadlocks is retried in a fresh transaction of its own (_store).
@tenant_service(Permission.WRITE, atomic=False)
def mentions_ingest(
    *, tenant: Tenant, source: Source, items: list[Any], via: str, actor: User | None = None
) -> IngestReport:
    """Validate, normalise, de-duplicate and store `items` as pending mentions of `source`.

    Every item gets a result, in order: accepted (a new mention), duplicate (of a stored mention,
    its id given; a repost counts on it) or rejected (with the reason, in Chinese). One transaction;
    scoring is enqueued after the commit. `actor` is the member entering mentions by hand (needs
    the write permission; the batch is audited); the automatic paths pass none.
    """
    if source.tenant_id != tenant.pk:
        raise TenantMismatch(f"Source {source.pk} is not of tenant {tenant.pk}.")
    if via not in Mention.Via.values:
        raise ValueError(f"Unknown ingestion path {via!r}.")
    if source.is_paused:
        reason = _("信息源已暂停")
        return IngestReport([ItemResult(index, REJECTED, None, reason) for index in range(len(items))])

    now = timezone.now()
    results: dict[int, ItemResult] = {}
    candidates: list[Candidate] = []
    for index, raw in enumerate(items):
        try:
            candidates.append(clean_item(index, raw, tenant=tenant, source=source, via=via, now=now))
        except Rejected as rejected:
            results[index] = ItemResult(index, REJECTED, None, rejected.reason)

    conflicts = deadlocks = 0
    while True:
        try:
            return _store(
                tenant=tenant,
                source=source,
                candidates=candidates,
                rejected=results,
                via=via,
                actor=actor,
                raise_conflict=conflicts < CONFLICT_RETRIES,
            )
        except Conflict:
            conflicts += 1  # the other request has committed: the next lookups see its mentions
        except OperationalError as error:
            deadlocks += 1
            if deadlocks >= DEADLOCK_RETRIES or not _is_retryable(error):
                raise
            logger.info("ingestion batch of tenant %s retried after %s (attempt %d)", tenant.pk, error, deadlocks)
            time.sleep(random.uniform(0.01, 0.05) * deadlocks)  # noqa: S311 (jitter, not a secret)
        for candidate in candidates:  # back to unsaved, as clean_item made them
            mention = candidate.mention
            mention.pk = None
            mention._state.adding = True
            mention.repost_count = 0


def _store(
    *,
    tenant: Tenant,
    source: Source,
    candidates: list[Candidate],
    rejected: dict[int, ItemResult],
    via: str,
    actor: User | None,
    raise_conflict: bool,
) -> IngestReport:
    """One attempt: classify and store the valid items in one transaction (a savepoint when nested)."""
    results = dict(rejected)
    count = len(candidates) + len(rejected)
    with transaction.atomic():
        batch = Batch(tenant=tenant, source=source, candidates=candidates, raise_conflict=raise_conflict)
        if candidates:
            batch.look_up()
            batch.classify()
            batch.insert_mentions()
            batch.insert_reposts()
        for result in batch.report():
            results[result.index] = result
        report = IngestReport([results[index] for index in range(count)])
        if actor is not None:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="mention.ingest",
                target=source,
                changes={"via": via, "accepted": report.accepted_ids, "duplicate": report.duplicate},
            )
        # Stored mentions that gained reposts are scored again: reposts are reach and velocity.
        to_score = sorted(set(report.accepted_ids) | batch.reposted_ids)
        if to_score:
            transaction.on_commit(lambda: _scoring_enqueue(tenant=tenant, mention_ids=to_score))
    return report


def _scoring_enqueue(*, tenant: Tenant, mention_ids: list[int]) -> bool:
    """After the commit: scoring in jobs of at most SCORING_BATCH mentions. False when Redis could
    not be reached: the mentions stay pending and the scoring sweep re-queues them."""
    for chunk in chunks(mention_ids, SCORING_BATCH):
        queued = enqueue(
            "yuqing.monitoring.jobs.mentions_score_job", tenant_id=tenant.pk, queue="scoring", mention_ids=list(chunk)
        )
        if queued is False:
            logger.warning(
                "scoring not enqueued for %d mentions of tenant %s; the sweep will pick them up",
                len(mention_ids),
                tenant.pk,
            )
            return False
    return True
