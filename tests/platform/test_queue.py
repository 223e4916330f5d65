"""One way to queue a job: by dotted path, for a tenant, after the commit, never lost silently."""

import logging

import pytest
from django.db import transaction
from django_rq import get_queue

from yuqing.platform.queue import enqueue

# A real worker running such a job inside its tenant: tests/tenancy/test_jobs.py.
JOB = "tests.tenancy.jobs_fixture.count_departments"


@pytest.fixture
def on_commit_mode(rq_queues, settings):
    """Production's commit mode: jobs leave only when the transaction commits."""
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "on_db_commit"}
    return get_queue("default")


def test_outside_a_transaction_the_job_is_queued_at_once_with_the_tenant_first(rq_queues, tenant_a):
    assert enqueue(JOB, tenant_id=tenant_a.pk, name_prefix="甲") is True
    [job] = get_queue("default").get_jobs()
    assert job.func_name == JOB
    assert job.args == (tenant_a.pk,)
    assert job.kwargs == {"name_prefix": "甲"}


def test_inside_a_transaction_the_job_waits_for_the_commit(
    on_commit_mode, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            assert enqueue(JOB, tenant_id=tenant_a.pk) is None
            assert on_commit_mode.count == 0
    assert len(callbacks) == 1
    assert on_commit_mode.count == 1


def test_a_rolled_back_write_queues_nothing(on_commit_mode, tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            with transaction.atomic():
                enqueue(JOB, tenant_id=tenant_a.pk)
                raise RuntimeError("the write failed")
    assert callbacks == []
    assert on_commit_mode.count == 0


def test_once_per_transaction_sends_one_job_for_many_calls(
    on_commit_mode, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for _ in range(3):
                enqueue(JOB, tenant_id=tenant_a.pk, name_prefix="甲", once_per_transaction=True)
            enqueue(JOB, tenant_id=tenant_b.pk, name_prefix="甲", once_per_transaction=True)
            enqueue(JOB, tenant_id=tenant_a.pk, name_prefix="乙", once_per_transaction=True)
    queued = sorted((job.args, job.kwargs["name_prefix"]) for job in on_commit_mode.get_jobs())
    assert queued == sorted([((tenant_a.pk,), "甲"), ((tenant_b.pk,), "甲"), ((tenant_a.pk,), "乙")])


def test_a_duplicate_unique_job_is_not_queued_twice(rq_queues, tenant_a):
    assert enqueue(JOB, tenant_id=tenant_a.pk, job_id=f"names-{tenant_a.pk}", unique=True) is True
    assert enqueue(JOB, tenant_id=tenant_a.pk, job_id=f"names-{tenant_a.pk}", unique=True) is False
    assert get_queue("default").count == 1


def test_redis_out_of_reach_is_logged_not_raised(settings, tenant_a, caplog):
    settings.RQ_QUEUES = {
        name: {**config, "URL": "redis://127.0.0.1:1/0", "SOCKET_CONNECT_TIMEOUT": 0.2}
        for name, config in settings.RQ_QUEUES.items()
    }
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "auto"}
    with caplog.at_level(logging.WARNING, logger="yuqing.platform.queue"):
        assert enqueue(JOB, tenant_id=tenant_a.pk) is False
    assert "not queued" in caplog.text
