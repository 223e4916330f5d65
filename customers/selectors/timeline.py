"""One timeline per customer: tier changes, feedback, and whatever higher layers register.

The incidents and monitoring modules sit above this app and must not be imported by it, so they
add their entries by registering a source at start-up (in their AppConfig.ready):

    from customers.selectors.timeline import TimelineEntry, register_timeline_source

    @register_timeline_source
    def incident_entries(*, tenant, customer, limit):
        return [TimelineEntry(at=i.opened_at, kind="incident", title=..., url=...) for i in ...]

A source returns at most `limit` entries, newest first or in any order, with one or two queries
whatever the customer's history; the timeline merges all sources and keeps the newest `limit`.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from customers.models import Customer, Feedback, TierChange
from yuqing.tenancy.models import Tenant

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "tier_change", "feedback", "incident", "mention", ...: the template styles by it
    title: str
    detail: str = ""
    url: str = ""
    badge: str = ""  # a short status shown beside the title
    actor: str = ""


TimelineSource = Callable[..., Iterable[TimelineEntry]]
_sources: list[TimelineSource] = []


def register_timeline_source(source: TimelineSource) -> TimelineSource:
    """Add a source of entries `source(*, tenant, customer, limit)`; usable as a decorator; idempotent."""
    if source not in _sources:
        _sources.append(source)
    return source


def unregister_timeline_source(source: TimelineSource) -> None:
    if source in _sources:
        _sources.remove(source)


def tier_change_entries(*, tenant: Tenant, customer: Customer, limit: int) -> list[TimelineEntry]:
    changes = (
        TierChange.objects.for_tenant(tenant)
        .filter(customer=customer)
        .select_related("rule", "actor")
        .order_by("-created_at", "-pk")[:limit]
    )
    entries = []
    for change in changes:
        title = _("层级：%(from)s → %(to)s") % {
            "from": change.get_from_tier_display() or _("无"),
            "to": change.get_to_tier_display(),
        }
        entries.append(
            TimelineEntry(
                at=change.created_at,
                kind="tier_change",
                title=title,
                detail=change.reason,
                badge=change.get_source_display(),
                actor=str(change.actor) if change.actor_id else "",
            )
        )
    return entries


def _feedback_url(pk: int) -> str:
    try:
        return reverse("customers:feedback-detail", kwargs={"pk": pk})
    except NoReverseMatch:  # the feedback pages are optional for this timeline
        return ""


def feedback_entries(*, tenant: Tenant, customer: Customer, limit: int) -> list[TimelineEntry]:
    items = (
        Feedback.objects.for_tenant(tenant)
        .filter(customer=customer)
        .only("pk", "kind", "channel", "subject", "status", "received_at")
        .order_by("-received_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            at=item.received_at,
            kind="feedback",
            title=_("%(kind)s：%(subject)s") % {"kind": item.get_kind_display(), "subject": item.subject},
            detail=item.get_channel_display(),
            badge=item.get_status_display(),
            url=_feedback_url(item.pk),
        )
        for item in items
    ]


BUILT_IN_SOURCES: tuple[TimelineSource, ...] = (tier_change_entries, feedback_entries)


def customer_timeline(*, tenant: Tenant, customer: Customer, limit: int = DEFAULT_LIMIT) -> list[TimelineEntry]:
    """The newest `limit` entries of every source, newest first."""
    entries: list[TimelineEntry] = []
    for source in (*BUILT_IN_SOURCES, *_sources):
        entries.extend(source(tenant=tenant, customer=customer, limit=limit))
    return heapq.nlargest(limit, entries, key=lambda entry: entry.at)
