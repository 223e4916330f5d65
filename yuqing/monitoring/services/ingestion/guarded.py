"""Ingestion for the paths that hand over many items at once (crawler files, feeds), where one
bad item must cost only that item.

`mentions_ingest` rejects bad values item by item with a reason. An item that makes it *raise*
instead (a value the database refuses, a normaliser tripping over something odd) would take its
whole batch down, and with it every good item of the batch. `ingest_isolated` runs each batch in a
savepoint; when one raises, the batch is split in halves and each half tried again, down to the
single item, which is then rejected with a Chinese reason (the exception is logged for
operators). A clean batch costs one savepoint; k bad items in n cost about 2·k·log2(n) more.

Not an item's fault, so not isolated: a lost connection or a deadlock (OperationalError,
InterfaceError), or a savepoint that could not be rolled back (the transaction itself is broken).
Those propagate, and the caller's transaction rolls back whole.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _

from yuqing.monitoring.models import Source
from yuqing.monitoring.services.ingestion import ACCEPTED, DUPLICATE, REJECTED, ItemResult, mentions_ingest
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant

logger = logging.getLogger(__name__)

FATAL_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


@dataclass
class Tally:
    """What a run of `ingest_isolated` came to: counts of the accepted and duplicate items, and
    the rejected items' results (their indexes and reasons, for the caller to place)."""

    accepted: int = 0
    duplicate: int = 0
    rejected: list[ItemResult] = field(default_factory=list)


def tally(outcomes: Iterable[ItemResult]) -> Tally:
    counted = Tally()
    for outcome in outcomes:
        if outcome.status == ACCEPTED:
            counted.accepted += 1
        elif outcome.status == DUPLICATE:
            counted.duplicate += 1
        else:
            counted.rejected.append(outcome)
    return counted


# Savepoints only: the caller's transaction holds the batch (platform code: the caller checked the actor).
@tenant_service(None, atomic=False)
def ingest_isolated(*, tenant: Tenant, source: Source, items: list[Any], via: str) -> list[ItemResult]:
    """`mentions_ingest(items)`, one result per item in order (indexes into `items`), an item
    that makes ingestion raise rejected alone. Call it inside the caller's transaction."""
    if not items:
        return []
    return _ingest_part(tenant=tenant, source=source, items=items, start=0, stop=len(items), via=via)


def _ingest_part(
    *, tenant: Tenant, source: Source, items: list[Any], start: int, stop: int, via: str
) -> list[ItemResult]:
    try:
        with transaction.atomic():
            report = mentions_ingest(tenant=tenant, source=source, items=items[start:stop], via=via)
    except FATAL_ERRORS:
        raise
    except Exception as error:
        connection = transaction.get_connection()
        if connection.in_atomic_block and connection.needs_rollback:
            raise  # the savepoint could not be rolled back: the whole transaction is lost
        if stop - start == 1:
            logger.warning(
                "ingestion raised for one item (tenant=%s source=%s via=%s): rejected",
                tenant.pk,
                source.pk,
                via,
                exc_info=True,
            )
            reason = _("这一条无法保存（%(error)s），已跳过。") % {"error": type(error).__name__}
            return [ItemResult(start, REJECTED, None, reason)]
        middle = (start + stop) // 2
        return _ingest_part(
            tenant=tenant, source=source, items=items, start=start, stop=middle, via=via
        ) + _ingest_part(tenant=tenant, source=source, items=items, start=middle, stop=stop, via=via)
    return [dataclasses.replace(result, index=start + result.index) for result in report.results]
