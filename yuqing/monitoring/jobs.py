"""RQ jobs of monitoring: thin, they take the tenant id first (tenant_job), re-fetch and call a service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from yuqing.monitoring.models import Source
from yuqing.monitoring.selectors.feeds import feed_sources_due
from yuqing.monitoring.services.feeds import feed_poll
from yuqing.platform.queue import enqueue, tenant_job
from yuqing.tenancy.models import Tenant

# --- scoring and warnings: two jobs a batch, the scores committed before the warnings step runs

SCORING_QUEUE = "scoring"
SCORING_SWEEP_BATCH = 200
WARN_SWEEP_BATCH = 200


@tenant_job
def mentions_score_job(tenant: Tenant, mention_ids: list[int]) -> int:
    """Score a batch of mentions (enqueued by ingestion after commit, and by the sweep); how many.
    The service queues mentions_warn_job for them once the scores are committed."""
    from yuqing.monitoring.services.scoring import mentions_score  # lazily: scoring imports the NLP stack

    return len(mentions_score(tenant=tenant, mention_ids=mention_ids))


@tenant_job
def mentions_warn_job(tenant: Tenant, mention_ids: list[int]) -> int:
    """The warnings step for scored mentions (queued by scoring after its commit, and by the warn
    sweep); how many warnings it raised, upgraded or joined. Running it twice changes nothing."""
    from yuqing.monitoring.services.warnings.process import mentions_warn

    return len(mentions_warn(tenant=tenant, mention_ids=mention_ids))


def _requeue(job: str, batches: list[tuple[Tenant, list[int]]], *, size: int, prefix: str) -> int:
    """Queue `job` for each tenant's ids in batches of `size`; how many jobs were queued.

    Each batch's job id names its mentions and is enqueued as unique, so while a batch from the
    previous minute still waits in the queue (a busy worker) the same batch is not queued again;
    finished jobs are dropped at once.
    """
    queued = 0
    for tenant, mention_ids in batches:
        for start in range(0, len(mention_ids), size):
            batch = mention_ids[start : start + size]
            sent = enqueue(
                job,
                tenant_id=tenant.pk,
                queue=SCORING_QUEUE,
                mention_ids=batch,
                job_id=f"{prefix}-{tenant.pk}-{batch[0]}-{batch[-1]}-{len(batch)}",
                unique=True,
                result_ttl=0,
                failure_ttl=600,
            )
            if sent is not False:
                queued += 1
    return queued


def mentions_score_sweep() -> int:
    """Every minute (yuqing.cron): re-queue mentions pending for more than a minute, across
    tenants (their job was lost: Redis down at commit, worker killed); how many jobs were queued.
    Bounded per run (the oldest SWEEP_LIMIT mentions)."""
    from yuqing.monitoring.services.scoring.service import mentions_pending_stale

    return _requeue(
        "yuqing.monitoring.jobs.mentions_score_job",
        mentions_pending_stale(),
        size=SCORING_SWEEP_BATCH,
        prefix="mentions-score-sweep",
    )


def mentions_warn_sweep() -> int:
    """Every minute (yuqing.cron): re-queue the warnings step of mentions scored more than a minute
    ago and not grouped since, across tenants (their warn job was lost: Redis down when scoring
    committed, a worker killed between the two jobs); how many jobs were queued. Bounded per run
    (the oldest WARN_SWEEP_LIMIT mentions)."""
    from yuqing.monitoring.services.scoring.service import mentions_ungrouped_stale

    return _requeue(
        "yuqing.monitoring.jobs.mentions_warn_job",
        mentions_ungrouped_stale(),
        size=WARN_SWEEP_BATCH,
        prefix="mentions-warn-sweep",
    )


@tenant_job
def sentiment_model_train_job(tenant: Tenant, model_id: int) -> str | None:
    """Train a sentiment model version (queued by services.sentiment_models.sentiment_model_train); its status."""
    # Lazily: training loads the scoring engine and its NLP stack, which the cron process never needs.
    from yuqing.monitoring.services.sentiment_models import sentiment_model_train_run

    model = sentiment_model_train_run(tenant=tenant, model_id=model_id)
    return model.status if model is not None else None


# --- feeds (RSS/Atom polling)

# Their own queue and worker: one tenant's slow feed holds up other polls at most, not the SLA sweep.
FEEDS_QUEUE = "feeds"


@tenant_job
def feed_poll_job(tenant: Tenant, source_id: int) -> dict[str, Any] | None:
    """Poll one feed source now (queued by feeds_poll_due). A source gone meanwhile: nothing to do."""
    source = Source.objects.for_tenant(tenant).filter(pk=source_id).first()
    if source is None:
        return None
    return asdict(feed_poll(tenant=tenant, source=source))


def feeds_poll_due() -> int:
    """Every minute (yuqing.cron): one poll job per due feed source, across tenants. Returns how many.

    Each source's job has a fixed id and is enqueued as unique: while one poll of a feed is queued
    or running, the next minute's sweep does not queue another (a busy worker does not pile them
    up). Finished jobs are dropped at once; a failed one blocks its source for 10 minutes at most.
    """
    queued = 0
    for source in feed_sources_due():
        sent = enqueue(
            "yuqing.monitoring.jobs.feed_poll_job",
            tenant_id=source.tenant_id,
            queue=FEEDS_QUEUE,
            source_id=source.pk,
            job_id=f"feed-poll-{source.pk}",
            unique=True,
            job_timeout=120,
            ttl=600,
            result_ttl=0,
            failure_ttl=600,
        )
        if sent is not False:  # False: a duplicate (that poll is still queued or running) or Redis out of reach
            queued += 1
    return queued
