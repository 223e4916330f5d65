"""Overlapping batches from concurrent clients: no deadlock, no error, no duplicate (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from yuqing.monitoring.models import Mention, MentionRepost, Source
from yuqing.monitoring.services.ingestion import ACCEPTED, DUPLICATE, IngestReport, mentions_ingest
from yuqing.monitoring.services.ingestion.batch import Batch
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.postgres
ITEMS = 500


def _items(count: int) -> list[dict]:
    return [
        {
            "external_id": f"wb{number:05d}",
            "url": f"https://weibo.com/u/{number}",
            "body": f"第{number}帖：某某集团{number}号项目停工，业主维权，要求按期交付（并发测试）",
            "likes": number,
        }
        for number in range(count)
    ]


def _insert_in_step(monkeypatch, clients: int) -> None:
    """Every client's first bulk insert starts together, so the INSERT statements really overlap
    (otherwise one client's normalisation, holding the GIL, can let the other finish first)."""
    insert = Batch.insert_mentions
    in_step = threading.Barrier(clients, timeout=20)
    local = threading.local()

    def synchronised(self: Batch) -> None:
        if not getattr(local, "waited", False):  # a retry goes straight on
            local.waited = True
            in_step.wait()
        insert(self)

    monkeypatch.setattr(Batch, "insert_mentions", synchronised)


def _run_concurrently(tenant, source, batches: list[list[dict]]) -> tuple[list[IngestReport], list[BaseException]]:
    start = threading.Barrier(len(batches))
    reports: list[IngestReport | None] = [None] * len(batches)
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            start.wait()
            with tenant_context(tenant):
                reports[number] = mentions_ingest(
                    tenant=tenant, source=source, items=batches[number], via=Mention.Via.API
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return [report for report in reports if report is not None], errors


def test_two_clients_sending_the_same_items_in_opposite_orders_neither_deadlock_nor_duplicate(
    transactional_db, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = tenant_create(slug="ingest-race", name="并发接入")
    source = Source.objects.create(tenant=tenant, name="微博采集", kind=Source.Kind.WEIBO)
    items = _items(ITEMS)
    _insert_in_step(monkeypatch, 2)

    reports, errors = _run_concurrently(tenant, source, [items, list(reversed(items))])

    assert errors == []
    forward, backward = reports
    backward_by_item = {result.index: result for result in backward.results}
    for result in forward.results:
        twin = backward_by_item[ITEMS - 1 - result.index]
        # Each item is stored once: one client got it accepted, the other a duplicate of the same mention.
        assert {result.status, twin.status} == {ACCEPTED, DUPLICATE}
        assert result.mention_id == twin.mention_id
    with tenant_context(tenant):
        assert Mention.objects.for_tenant(tenant).count() == ITEMS
        assert MentionRepost.objects.for_tenant(tenant).count() == 0
        assert sum(Mention.objects.for_tenant(tenant).values_list("repost_count", flat=True)) == 0


def test_four_clients_with_overlapping_batches_store_each_item_once(transactional_db, monkeypatch):
    """Each client sends its own slice and half of its neighbour's, in its own order, plus reposts
    (same text under another external id) of items the others send."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = tenant_create(slug="ingest-race-4", name="并发接入四")
    source = Source.objects.create(tenant=tenant, name="微博采集", kind=Source.Kind.WEIBO)
    items = _items(400)
    batches = []
    for client in range(4):
        own = items[client * 100 : (client + 1) * 100]
        neighbour = items[((client + 1) % 4) * 100 :][:50]
        reposts = [{**item, "external_id": f"rp{client}-{item['external_id']}"} for item in items[client::40]]
        batch = own + neighbour + reposts
        batches.append(batch[::-1] if client % 2 else batch)
    _insert_in_step(monkeypatch, 4)

    reports, errors = _run_concurrently(tenant, source, batches)

    assert errors == []
    assert all(result.status in (ACCEPTED, DUPLICATE) for report in reports for result in report.results)
    with tenant_context(tenant):
        stored = Mention.objects.for_tenant(tenant)
        assert stored.count() == 400
        repost_rows = MentionRepost.objects.for_tenant(tenant).count()
        # Every recorded repost is counted exactly once on its mention.
        assert sum(stored.values_list("repost_count", flat=True)) == repost_rows
