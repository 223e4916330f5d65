"""`mentions_score`: score a batch of a tenant's mentions in a fixed number of queries.

Per batch, whatever its size: the engine's version stamp (4 small queries; a rebuild when the
tenant's words changed), the active sentiment model (1), the warning policy (1), the mentions,
locked (1), the linked customers' service profiles (2), velocity (2), replacing the customer links
(2) and saving the mentions (1 per 500). Scoring commits and marks the mentions scored, nothing
more: the warnings step is its own job (`mentions_warn_job`), queued once the scores are committed,
so a batch's row locks are held only for scoring. A mention scored is ungrouped (grouped_at NULL)
until that job has run; when the job is lost (Redis down, a worker killed) `mentions_warn_sweep`
queues it again. Re-scoring a scored mention recomputes everything and replaces its customer links.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from customers.selectors.customers import customer_risk_tiers
from yuqing.monitoring.models import Mention, MentionCustomer, WarningPolicy
from yuqing.monitoring.services.scoring.engine import SENSITIVE, Analysis, LinkedCustomer, Reach, score_mention
from yuqing.monitoring.services.scoring.sentiment import polarity_for
from yuqing.monitoring.services.scoring.tenant import engine_for, sentiment_for
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import tenant_sql_scope
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant

VELOCITY_WINDOW = dt.timedelta(hours=1)
# Bounds on the velocity queries: rows read, and distinct terms asked about, per batch.
VELOCITY_ROW_LIMIT = 20_000
VELOCITY_MAX_TERMS = 50
# Past this many related mentions an hour the velocity points are saturated anyway.
VELOCITY_CAP = 1000
INFINITY = float("inf")
SCORED_FIELDS = ["score", "level", "sentiment", "polarity", "explanation", "status", "scored_at", "grouped_at"]
# The warnings step's job, named by its path (services never import a jobs module), on scoring's queue.
WARN_JOB = "yuqing.monitoring.jobs.mentions_warn_job"
WARN_QUEUE = "scoring"


def policy_for(tenant: Tenant) -> WarningPolicy:
    """The tenant's warning policy (thresholds, story window, VIP boost), created with defaults."""
    policy, _ = WarningPolicy.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    return policy


def _related_events(
    tenant: Tenant, mentions: list[Mention], analyses: list[Analysis]
) -> dict[tuple[str, object], list[tuple[dt.datetime, int]]]:
    """(time, mention id) per key — ("c", customer id) or ("t", term) — for the window the batch
    needs: the batch's own mentions, and others from the database (two queries)."""
    events: dict[tuple[str, object], list[tuple[dt.datetime, int]]] = defaultdict(list)
    batch_ids = [m.pk for m in mentions]
    low = min(m.published_at for m in mentions) - VELOCITY_WINDOW
    high = max(m.published_at for m in mentions)
    customer_ids: set[int] = set()
    term_counts: dict[str, int] = defaultdict(int)
    for mention, analysis in zip(mentions, analyses, strict=True):
        if analysis.excluded:
            continue
        for customer_id in analysis.customers:
            events[("c", customer_id)].append((mention.published_at, mention.pk))
            customer_ids.add(customer_id)
        for hit in analysis.terms:
            if hit.rule.kind == SENSITIVE:
                events[("t", hit.rule.term)].append((mention.published_at, mention.pk))
        if analysis.top_term:
            term_counts[analysis.top_term] += 1
    in_window = Q(published_at__gt=low, published_at__lte=high)
    if customer_ids:
        rows = (
            MentionCustomer.objects.for_tenant(tenant)
            .filter(customer_id__in=customer_ids, mention__published_at__gt=low, mention__published_at__lte=high)
            .exclude(mention_id__in=batch_ids)
            .order_by("-mention__published_at")
            .values_list("mention_id", "customer_id", "mention__published_at")[:VELOCITY_ROW_LIMIT]
        )
        for mention_id, customer_id, published_at in rows:
            events[("c", customer_id)].append((published_at, mention_id))
    terms = sorted(term_counts, key=lambda term: (-term_counts[term], term))[:VELOCITY_MAX_TERMS]
    if terms:
        contains = [Q(title__contains=term) | Q(body__contains=term) for term in terms]
        any_term = contains[0]
        for condition in contains[1:]:
            any_term |= condition
        flags = {
            f"t{index}": Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
            for index, condition in enumerate(contains)
        }
        rows = (
            Mention.objects.for_tenant(tenant)
            .filter(in_window)
            .filter(any_term)
            .exclude(pk__in=batch_ids)
            .annotate(**flags)
            .order_by("-published_at")
            .values_list("pk", "published_at", *flags)[:VELOCITY_ROW_LIMIT]
        )
        for pk, published_at, *matched in rows:
            for term, is_match in zip(terms, matched, strict=True):
                if is_match:
                    events[("t", term)].append((published_at, pk))
    for timeline in events.values():
        timeline.sort()
    return events


def _velocities(tenant: Tenant, mentions: list[Mention], analyses: list[Analysis]) -> dict[int, int]:
    """Mention id -> other mentions in the hour up to it sharing a linked customer or its top risk term."""
    events = _related_events(tenant, mentions, analyses)
    velocities: dict[int, int] = {}
    for mention, analysis in zip(mentions, analyses, strict=True):
        if analysis.excluded:
            velocities[mention.pk] = 0
            continue
        keys: list[tuple[str, object]] = [("c", customer_id) for customer_id in analysis.customers]
        if analysis.top_term:
            keys.append(("t", analysis.top_term))
        end = mention.published_at
        start = end - VELOCITY_WINDOW
        windows = []
        for key in keys:
            timeline = events.get(key, [])
            # After start, up to and including end (the mention itself is in its own timelines).
            first = bisect.bisect_right(timeline, (start, INFINITY))
            last = bisect.bisect_right(timeline, (end, INFINITY))
            windows.append((timeline, first, last))
        if len(windows) == 1:
            _, first, last = windows[0]
            count = max(0, last - first - 1)
        else:  # several keys: the same mention may share a customer and the term, count it once
            related: set[int] = set()
            for timeline, first, last in windows:
                related.update(pk for _, pk in timeline[max(first, last - VELOCITY_CAP - 1) : last])
            related.discard(mention.pk)
            count = len(related)
        velocities[mention.pk] = min(count, VELOCITY_CAP)
    return velocities


def _scores_save(tenant: Tenant, mentions: list[Mention]) -> None:
    """Write the scored fields of `mentions`: one UPDATE statement run for every row (executemany,
    pipelined by psycopg 3 on PostgreSQL). Django's `bulk_update` builds a CASE WHEN per field and
    row in Python — about 2 ms a mention, more than scoring it; the values here are prepared by the
    model's fields, as Django would."""
    quote = connection.ops.quote_name
    meta = Mention._meta
    fields = [meta.get_field(name) for name in SCORED_FIELDS]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model, values bound
        f"WHERE {quote(meta.pk.column)} = %s AND {quote('tenant_id')} = %s"
    )
    rows = [
        [*(f.get_db_prep_value(getattr(mention, f.attname), connection) for f in fields), mention.pk, tenant.pk]
        for mention in mentions
    ]
    with tenant_sql_scope(tenant), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _warnings_enqueue(*, tenant: Tenant, mentions: list[Mention]) -> None:
    """Queue the warnings step for the scored `mentions`, sent once the scores are committed."""
    enqueue(WARN_JOB, tenant_id=tenant.pk, queue=WARN_QUEUE, mention_ids=[m.pk for m in mentions])


@tenant_service(None)
def mentions_score(*, tenant: Tenant, mention_ids: Iterable[int]) -> list[Mention]:
    """Score the tenant's mentions `mention_ids` (pending or already scored); the scored mentions.

    Ids of other tenants' mentions, or of deleted ones, are ignored. The warnings step for them is
    queued to run after the commit.
    """
    ids = sorted({int(pk) for pk in mention_ids})
    if not ids:
        return []
    engine = engine_for(tenant)
    sentiment = sentiment_for(tenant)
    policy = policy_for(tenant)
    mentions = list(
        Mention.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("source")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not mentions:
        return []
    analyses = [engine.analyse(m.title, m.body, sentiment) for m in mentions]
    linked = {customer_id for a in analyses if not a.excluded for customer_id in a.customers}
    profiles = customer_risk_tiers(tenant=tenant, customer_ids=linked) if linked else {}
    velocities = _velocities(tenant, mentions, analyses)
    now = timezone.now()
    links: list[MentionCustomer] = []
    for mention, analysis in zip(mentions, analyses, strict=True):
        customers = [
            LinkedCustomer(
                id=customer_id,
                name=engine.customer_names.get(customer_id, matched),
                tier=profiles[customer_id].tier,
                matched=matched,
                risk_weight=float(profiles[customer_id].risk_weight),
            )
            for customer_id, matched in sorted(analysis.customers.items())
            if not analysis.excluded and customer_id in profiles
        ]
        scored = score_mention(
            analysis,
            reach=Reach(
                likes=mention.likes,
                comments=mention.comments,
                shares=mention.shares,
                views=mention.views,
                followers=mention.followers,
            ),
            source_weight=float(mention.source.weight),
            velocity=velocities.get(mention.pk, 0) + mention.repost_count,
            customers=customers,
            vip_boost=policy.vip_boost,
            level_for=policy.level_for,
            model_name=sentiment.name,
        )
        mention.score = scored.score
        mention.level = scored.level
        mention.sentiment = analysis.sentiment
        mention.polarity = polarity_for(analysis.sentiment)
        mention.explanation = scored.explanation
        mention.status = Mention.Status.SCORED
        mention.scored_at = now
        mention.grouped_at = None
        links.extend(
            MentionCustomer(tenant=tenant, mention=mention, customer_id=c.id, matched=c.matched[:200])
            for c in customers
        )
    MentionCustomer.objects.for_tenant(tenant).filter(mention_id__in=[m.pk for m in mentions]).delete()
    MentionCustomer.objects.bulk_create(links, batch_size=1000)
    _scores_save(tenant, mentions)
    _warnings_enqueue(tenant=tenant, mentions=mentions)
    return mentions


# Mentions pending this long lost their scoring job; a sweep re-queues at most SWEEP_LIMIT a run.
SWEEP_AFTER = dt.timedelta(seconds=60)
SWEEP_LIMIT = 20_000


def mentions_pending_stale(*, now: dt.datetime | None = None) -> list[tuple[Tenant, list[int]]]:
    """(tenant, ids ascending) of the active tenants' mentions pending for more than SWEEP_AFTER,
    the oldest first, at most SWEEP_LIMIT in all. A platform query across tenants (the sweep's)."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    rows = (
        Mention.objects.dangerously_all_tenants()
        .filter(status=Mention.Status.PENDING, received_at__lt=cutoff)
        .order_by("received_at", "pk")
        .values_list("tenant_id", "pk")[:SWEEP_LIMIT]
    )
    by_tenant: dict[int, list[int]] = defaultdict(list)
    for tenant_id, pk in rows:
        by_tenant[tenant_id].append(pk)
    tenants = Tenant.objects.filter(pk__in=list(by_tenant), is_active=True).in_bulk()
    return [(tenants[tenant_id], sorted(ids)) for tenant_id, ids in sorted(by_tenant.items()) if tenant_id in tenants]


# Scored mentions still ungrouped this long after scoring lost their warn job; at most WARN_SWEEP_LIMIT a run.
WARN_SWEEP_AFTER = dt.timedelta(seconds=60)
WARN_SWEEP_LIMIT = 20_000


def mentions_ungrouped_stale(*, now: dt.datetime | None = None) -> list[tuple[Tenant, list[int]]]:
    """(tenant, ids ascending) of the active tenants' mentions scored more than WARN_SWEEP_AFTER ago
    and not grouped since, the oldest first, at most WARN_SWEEP_LIMIT in all: one query on the
    partial index mention_ungrouped_idx. A platform query across tenants (the warn sweep's)."""
    cutoff = (now or timezone.now()) - WARN_SWEEP_AFTER
    rows = (
        Mention.objects.dangerously_all_tenants()
        .filter(status=Mention.Status.SCORED, grouped_at__isnull=True, scored_at__lt=cutoff)
        .order_by("scored_at", "pk")
        .values_list("tenant_id", "pk")[:WARN_SWEEP_LIMIT]
    )
    by_tenant: dict[int, list[int]] = defaultdict(list)
    for tenant_id, pk in rows:
        by_tenant[tenant_id].append(pk)
    tenants = Tenant.objects.filter(pk__in=list(by_tenant), is_active=True).in_bulk()
    return [(tenants[tenant_id], sorted(ids)) for tenant_id, ids in sorted(by_tenant.items()) if tenant_id in tenants]
