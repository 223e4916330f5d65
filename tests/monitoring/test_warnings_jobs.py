"""The warnings step as its own job after scoring: idempotent, queued after the scores commit, swept when lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Tier
from tests.customers.factories import CustomerFactory
from tests.monitoring.scoring_support import make_mention, make_source
from tests.monitoring.warnings_support import customer, scored
from yuqing.monitoring import jobs
from yuqing.monitoring.models import Mention, RiskWarning, Story, WarningChange
from yuqing.monitoring.services.scoring import mentions_score
from yuqing.monitoring.services.scoring.service import mentions_ungrouped_stale
from yuqing.monitoring.services.scoring.tenant import caches_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    caches_clear()
    yield
    caches_clear()


def _risky(tenant) -> Mention:
    """A post scoring red (as in test_scoring): a VIP customer, alarming words, wide reach."""
    CustomerFactory(tenant=tenant, name="华信建设集团有限公司", short_name="华信建设", tier=Tier.VIP)
    return make_mention(
        tenant,
        body="华信建设暴雷跑路，非法集资，投资人集体维权拉横幅，太可怕了！",
        source=make_source(tenant, name="财新网", kind="news", weight="2.5"),
        repost_count=40,
        likes=5000,
        comments=800,
        shares=900,
        followers=300000,
    )


def _age(tenant, *mentions: Mention, minutes: int = 5) -> None:
    old = timezone.now() - dt.timedelta(minutes=minutes)
    Mention.objects.for_tenant(tenant).filter(pk__in=[m.pk for m in mentions]).update(scored_at=old)


def _run_scoring_queue() -> None:
    import django_rq
    from rq import SimpleWorker

    queue = django_rq.get_queue("scoring")
    # SimpleWorker runs the jobs in this process, so they see this test's uncommitted rows.
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_the_warn_job_groups_and_marks_the_mentions_grouped(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    mention = scored(tenant_a, customers=[acme], score=60)
    assert jobs.mentions_warn_job(tenant_a.pk, [mention.pk]) == 1
    row = Mention.objects.for_tenant(tenant_a).get(pk=mention.pk)
    assert row.story_id is not None and row.grouped_at is not None
    assert RiskWarning.objects.for_tenant(tenant_a).count() == 1


def test_running_the_warn_job_twice_raises_one_warning(tenant_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    batch = [scored(tenant_a, customers=[acme], score=72) for _ in range(3)]
    ids = [m.pk for m in batch]
    assert jobs.mentions_warn_job(tenant_a.pk, ids) == 1
    assert jobs.mentions_warn_job(tenant_a.pk, ids) == 0  # all grouped since their scoring: nothing to do
    warning = RiskWarning.objects.for_tenant(tenant_a).get()
    assert warning.story.mention_count == 3
    assert WarningChange.objects.for_tenant(tenant_a).count() == 1
    assert Story.objects.for_tenant(tenant_a).count() == 1


def test_excluded_mentions_are_marked_grouped_without_a_story(tenant_a) -> None:
    mention = scored(tenant_a, score=0, level=None, excluded=True)
    assert jobs.mentions_warn_job(tenant_a.pk, [mention.pk]) == 0
    row = Mention.objects.for_tenant(tenant_a).get(pk=mention.pk)
    assert row.story_id is None and row.grouped_at is not None
    _age(tenant_a, mention)
    assert mentions_ungrouped_stale() == []


def test_scoring_commits_the_scores_and_queues_the_warn_job(tenant_a, rq_queues) -> None:
    import django_rq

    mention = _risky(tenant_a)
    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    row = Mention.objects.for_tenant(tenant_a).get(pk=mention.pk)
    assert row.status == Mention.Status.SCORED and row.grouped_at is None and row.story_id is None
    assert not RiskWarning.objects.for_tenant(tenant_a).exists()  # not in scoring's transaction
    [job] = django_rq.get_queue("scoring").get_jobs()
    assert job.func_name == "yuqing.monitoring.jobs.mentions_warn_job"
    assert (job.args, job.kwargs) == ((tenant_a.pk,), {"mention_ids": [mention.pk]})
    _run_scoring_queue()
    assert Mention.objects.for_tenant(tenant_a).get(pk=mention.pk).grouped_at is not None
    assert RiskWarning.objects.for_tenant(tenant_a).count() == 1


def test_rescoring_makes_a_mention_wait_for_the_warnings_step_again(tenant_a) -> None:
    mention = _risky(tenant_a)
    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    jobs.mentions_warn_job(tenant_a.pk, [mention.pk])
    assert Mention.objects.for_tenant(tenant_a).get(pk=mention.pk).grouped_at is not None
    mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    assert Mention.objects.for_tenant(tenant_a).get(pk=mention.pk).grouped_at is None


def test_a_scored_mention_whose_warn_job_was_lost_is_found_by_the_sweep_and_warned_once(
    tenant_a, tenant_b, rq_queues
) -> None:
    import django_rq

    acme = customer(tenant_a, "华信置业有限公司")
    lost = [scored(tenant_a, customers=[acme], score=72) for _ in range(3)]
    recent = scored(tenant_a, customers=[acme], score=72)  # its job may still be on its way
    theirs = scored(tenant_b, score=60)
    _age(tenant_a, *lost)
    _age(tenant_b, theirs)

    assert jobs.mentions_warn_sweep() == 2  # one batch per tenant
    queue = django_rq.get_queue("scoring")
    queued = {tuple(job.args): job.kwargs["mention_ids"] for job in queue.get_jobs()}
    assert queued == {(tenant_a.pk,): [m.pk for m in lost], (tenant_b.pk,): [theirs.pk]}
    assert recent.pk not in queued[(tenant_a.pk,)]
    assert jobs.mentions_warn_sweep() == 0  # still waiting in the queue: not queued twice
    assert queue.count == 2

    _run_scoring_queue()
    warning = RiskWarning.objects.for_tenant(tenant_a).get()
    assert warning.story.mention_count == 3
    assert RiskWarning.objects.for_tenant(tenant_b).count() == 1
    assert jobs.mentions_warn_sweep() == 0  # grouped now: nothing left to sweep
    assert jobs.mentions_warn_job(tenant_a.pk, [m.pk for m in lost]) == 0  # a late duplicate changes nothing
    assert RiskWarning.objects.for_tenant(tenant_a).get().story.mention_count == 3


def test_redis_down_when_scoring_commits_leaves_the_mentions_scored_for_the_sweep(
    tenant_a, settings, rq_queues, django_capture_on_commit_callbacks, caplog
) -> None:
    mention = _risky(tenant_a)
    working = settings.RQ_QUEUES
    settings.RQ_QUEUES = {**working, "scoring": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "on_db_commit"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mentions_score(tenant=tenant_a, mention_ids=[mention.pk])
    assert len(callbacks) == 1  # the enqueue ran after the commit, and failed quietly
    assert "mentions_warn_job" in caplog.text
    row = Mention.objects.for_tenant(tenant_a).get(pk=mention.pk)
    assert row.status == Mention.Status.SCORED and row.grouped_at is None
    assert not RiskWarning.objects.for_tenant(tenant_a).exists()

    settings.RQ_QUEUES = working  # Redis is back
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "auto"}
    _age(tenant_a, mention)
    assert jobs.mentions_warn_sweep() == 1
    _run_scoring_queue()
    assert RiskWarning.objects.for_tenant(tenant_a).count() == 1
    assert Mention.objects.for_tenant(tenant_a).get(pk=mention.pk).grouped_at is not None


def test_the_sweep_is_one_query(tenant_a, django_assert_num_queries) -> None:
    stale = [scored(tenant_a, score=60) for _ in range(3)]
    _age(tenant_a, *stale)
    with django_assert_num_queries(2):  # the mentions, then their tenants
        [(tenant, ids)] = mentions_ungrouped_stale()
    assert tenant.pk == tenant_a.pk and ids == sorted(m.pk for m in stale)
