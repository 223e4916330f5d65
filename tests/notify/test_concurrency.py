"""Several send jobs for one channel at once still send each message exactly once (PostgreSQL)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections

from yuqing.notify.models import Delivery
from yuqing.notify.services import ChannelData, channel_create, delivery_enqueue, dispatch
from yuqing.notify.services.dispatch import SendResult, deliveries_send_due
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.postgres
MESSAGES = 12
JOBS = 4


def test_concurrent_send_jobs_of_one_channel_send_each_message_once(
    transactional_db, robot_server, rq_queues, monkeypatch
):
    """The first claimer dawdles while it holds the channel: without the lock on the channel row,
    the others would select the same rows meanwhile and send them again."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = tenant_create(slug="send-race", name="并发发送")
    channel = channel_create(
        tenant=tenant, actor=None, data=ChannelData(name="值班群", kind="wecom", webhook_url=robot_server.url("wecom"))
    )
    for number in range(MESSAGES):
        delivery_enqueue(tenant=tenant, channel=channel, title=f"预警-{number:02d}", level=2)

    digest_body = dispatch.digest_body

    def slow_digest_body(*args, **kwargs):
        time.sleep(0.5)
        return digest_body(*args, **kwargs)

    monkeypatch.setattr(dispatch, "digest_body", slow_digest_body)
    start = threading.Barrier(JOBS)
    results: list[SendResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with tenant_context(tenant):
                results.append(deliveries_send_due(tenant=tenant, channel_id=channel.pk))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(JOBS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    sent = [result for result in results if result.status == "sent"]
    assert len(robot_server.requests) == len(sent) >= 1
    assert sum(result.merged for result in sent) == MESSAGES
    titles = Counter(
        title
        for request in robot_server.requests
        for title in re.findall(r"预警-\d\d", request.json["markdown"]["content"])
    )
    assert titles == Counter({f"预警-{number:02d}": 1 for number in range(MESSAGES)})
    rows = Delivery.objects.for_tenant(tenant).filter(is_digest=False, title__startswith="预警-")
    assert set(rows.values_list("status", flat=True)) <= {Delivery.Status.SENT, Delivery.Status.MERGED}
