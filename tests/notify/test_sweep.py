"""The delivery sweep: rows whose job was lost, held rows whose hold ended, dead senders' rows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import override_settings
from django_rq import get_queue
from django_rq.cron import DjangoCronScheduler
from rq import SimpleWorker

from yuqing.notify.jobs import deliveries_sweep
from yuqing.notify.models import Delivery
from yuqing.notify.services import delivery_enqueue
from yuqing.notify.services.dispatch import SENDING_LEASE, deliveries_requeue_due

Status = Delivery.Status


def enqueue(tenant, channel, **fields) -> Delivery:
    # With production's commit mode the send job waits for a commit that never comes in a test
    # transaction: the job is lost, as when Redis was down at commit.
    with override_settings(RQ={**settings.RQ, "COMMIT_MODE": "on_db_commit"}):
        return delivery_enqueue(tenant=tenant, channel=channel, title=fields.pop("title", "预警"), level=2, **fields)


def queued_jobs() -> list[tuple[str, tuple, int]]:
    return sorted((job.func_name, job.args, job.kwargs["channel_id"]) for job in get_queue("notify").get_jobs())


def test_rows_whose_job_was_lost_are_enqueued_again_one_job_per_channel(tenant_a, tenant_b, make_channel, later):
    # In a test transaction on_commit never fires: exactly the "Redis was down at commit" case.
    wecom, feishu = make_channel(tenant_a, "wecom"), make_channel(tenant_a, "feishu")
    other = make_channel(tenant_b, "dingtalk")
    for channel in (wecom, wecom, feishu, other):
        enqueue(tenant_a if channel.tenant_id == tenant_a.pk else tenant_b, channel)
    result = deliveries_requeue_due(now=later)
    assert result.channels == 3
    job = "yuqing.notify.jobs.deliveries_send"
    assert queued_jobs() == sorted(
        [(job, (tenant_a.pk,), wecom.pk), (job, (tenant_a.pk,), feishu.pk), (job, (tenant_b.pk,), other.pk)]
    )


def test_rows_queued_a_moment_ago_are_left_to_their_own_job(tenant_a, make_channel):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    assert deliveries_requeue_due(now=delivery.next_attempt_at + dt.timedelta(seconds=30)).channels == 0
    assert deliveries_requeue_due(now=delivery.next_attempt_at + dt.timedelta(seconds=61)).channels == 1


def test_held_rows_are_released_when_their_hold_ends(tenant_a, make_channel, later):
    channel = make_channel(tenant_a, "wecom")
    hold = later + dt.timedelta(hours=2)
    enqueue(tenant_a, channel, hold_until=hold)
    assert deliveries_requeue_due(now=hold - dt.timedelta(seconds=1)).channels == 0
    assert deliveries_requeue_due(now=hold).channels == 1


def test_finished_rows_and_deactivated_tenants_are_left_alone(tenant_a, tenant_b, make_channel, later):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    Delivery.objects.for_tenant(tenant_a).filter(pk=delivery.pk).update(status=Status.SENT)
    channel_b = make_channel(tenant_b, "wecom")
    enqueue(tenant_b, channel_b)
    tenant_b.is_active = False
    tenant_b.save(update_fields=["is_active"])
    assert deliveries_requeue_due(now=later).channels == 0
    assert queued_jobs() == []


def test_a_row_left_sending_by_a_dead_worker_is_retried_after_its_lease(tenant_a, make_channel, later):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    Delivery.objects.for_tenant(tenant_a).filter(pk=delivery.pk).update(
        status=Status.SENDING, next_attempt_at=later + SENDING_LEASE
    )
    assert deliveries_requeue_due(now=later).channels == 0
    result = deliveries_requeue_due(now=later + SENDING_LEASE)
    assert (result.expired_leases, result.channels) == (1, 1)
    assert Delivery.objects.for_tenant(tenant_a).get(pk=delivery.pk).status == Status.RETRYING


def test_a_real_worker_sends_what_the_sweep_enqueued(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    for n in range(3):
        enqueue(tenant_a, channel, title=f"丢失的预警 {n}")
    assert deliveries_sweep()["channels"] == 0  # queued just now: their own jobs may still come
    Delivery.objects.for_tenant(tenant_a).update(
        next_attempt_at=Delivery.objects.for_tenant(tenant_a).first().created_at - dt.timedelta(minutes=2)
    )
    assert deliveries_sweep()["channels"] == 1
    queue = get_queue("notify")
    # SimpleWorker runs the job in this process, so it sees this test's uncommitted rows.
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert len(robot_server.requests) == 1
    assert "舆情预警汇总（3 条）" in robot_server.requests[0].json["markdown"]["content"]
    assert set(Delivery.objects.for_tenant(tenant_a).values_list("status", flat=True)) == {Status.SENT, Status.MERGED}


def test_rqcron_runs_the_delivery_sweep_every_minute_on_the_notify_queue():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    job = {job.func_name: job for job in scheduler.get_jobs()}["yuqing.notify.jobs.deliveries_sweep"]
    assert job.func is deliveries_sweep
    assert job.cron == "* * * * *"
    assert job.queue_name == "notify"
    assert "notify" in settings.RQ_QUEUES
