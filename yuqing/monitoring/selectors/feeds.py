"""Which feed sources the scheduler polls next."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from yuqing.monitoring.models import Source

# A source polled every 15 minutes is due again a little early rather than a minute late.
DUE_SLACK = timedelta(seconds=30)


def feed_sources_due(*, now: datetime | None = None) -> list[Source]:
    """Every tenant's feed sources that are due a poll: not paused, with a URL, interval elapsed.

    A platform read across tenants (the scheduler's). The interval is compared in Python: the
    sources with feeds are few, and interval arithmetic in SQL differs between SQLite and PostgreSQL.
    """
    now = now or timezone.now()
    candidates = (
        Source.objects.dangerously_all_tenants()
        .filter(kind=Source.Kind.FEED, is_paused=False, tenant__is_active=True)
        .exclude(feed_url="")
        .select_related("tenant")
        .order_by(F("last_polled_at").asc(nulls_first=True), "pk")
    )
    return [
        source
        for source in candidates
        if source.last_polled_at is None
        or source.last_polled_at + timedelta(minutes=max(source.poll_minutes, 1)) - DUE_SLACK <= now
    ]
