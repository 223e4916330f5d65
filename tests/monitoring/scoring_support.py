"""Helpers of the scoring and training tests: sources and mentions made directly (no ingestion), and
scoring followed by the warnings step (two jobs in production, run one after the other here)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from yuqing.monitoring.models import Mention, Source
from yuqing.tenancy.models import Tenant


def make_source(tenant: Tenant, *, name: str = "微博", kind: str = Source.Kind.WEIBO, weight: str = "1.0") -> Source:
    source, _ = Source.objects.for_tenant(tenant).get_or_create(
        tenant=tenant, name=name, defaults={"kind": kind, "weight": Decimal(weight)}
    )
    return source


def make_mention(
    tenant: Tenant,
    *,
    body: str,
    title: str = "",
    source: Source | None = None,
    published_at: dt.datetime | None = None,
    **fields: object,
) -> Mention:
    now = timezone.now()
    return Mention.objects.create(
        tenant=tenant,
        source=source or make_source(tenant),
        title=title,
        body=body,
        published_at=published_at or now,
        retrieved_at=now,
        via=Mention.Via.API,
        content_hash=uuid.uuid4().hex,
        **fields,
    )


def score_and_warn(tenant: Tenant, *mentions: Mention) -> list[Mention]:
    """Score `mentions`, then run their warnings step as the worker would after the commit; the rows read again."""
    from yuqing.monitoring import jobs
    from yuqing.monitoring.services.scoring import mentions_score

    ids = [m.pk for m in mentions]
    mentions_score(tenant=tenant, mention_ids=ids)
    jobs.mentions_warn_job(tenant.pk, ids)
    return [Mention.objects.for_tenant(tenant).get(pk=pk) for pk in ids]
