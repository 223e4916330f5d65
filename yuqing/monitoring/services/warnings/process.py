"""warnings_process: scored mentions → stories → one warning per story → queue, incident, channels.

Lock order (every write of this package takes its locks in this order, so two scoring workers
and an analyst cannot deadlock each other):
  1. the tenant's WarningPolicy row — the package's per-tenant mutex: batches of one tenant are
     grouped one after another, so two workers cannot both start a story for the same topic;
  2. the stories touched, by primary key (select_for_update);
  3. their warnings (select_for_update; the OneToOne story→warning is the last guard: an
     IntegrityError on creation is answered by reading the winner's row);
  4. the open incidents to be joined, by primary key, before any incident is opened;
  5. the tenant row (incident_open and the audit trail), then the incident code counter.

Idempotent: a mention already in a story is not counted again (a job delivered twice, a
re-scored mention); only its level is looked at again. Notifications and channel deliveries
carry dedupe keys per warning and level, so nothing is sent twice for one level.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services.common import tenant_scoped
from yuqing.monitoring.models import Mention, RiskWarning, Story, WarningChange, WarningPolicy
from yuqing.monitoring.services.warnings import grouping, handling
from yuqing.monitoring.services.warnings.routing import Message, warnings_route
from yuqing.tenancy.models import Membership, Tenant, User

# Below this many stories in a batch, mentions move with one UPDATE per story (see _mentions_move).
FEW_STORIES = 20


@dataclass
class StoryWork:
    """One story's share of a batch."""

    story: Story
    mentions: list[Mention] = field(default_factory=list)  # new to the story, or re-scored
    fresh: list[Mention] = field(default_factory=list)  # new to the story
    new_customer_ids: set[int] = field(default_factory=set)


@dataclass
class Event:
    """A warning raised or upgraded to `level` (kind "raised" / "upgraded"), or only joined by mentions."""

    kind: str
    warning: RiskWarning
    work: StoryWork
    level: int


def policy_lock(*, tenant: Tenant) -> WarningPolicy:
    """The tenant's WarningPolicy (created with defaults when missing), locked for this transaction."""
    WarningPolicy.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    return WarningPolicy.objects.for_tenant(tenant).select_for_update().get()


def _excluded(mention: Mention) -> bool:
    return isinstance(mention.explanation, dict) and bool(mention.explanation.get("excluded"))


def _most_severe(mentions: list[Mention]) -> Mention | None:
    levelled = [m for m in mentions if m.level]
    if not levelled:
        return None
    return min(levelled, key=lambda m: (m.level, -(m.score or 0), m.published_at, m.pk))


@tenant_scoped
@transaction.atomic
def warnings_process(*, tenant: Tenant, mentions: list[Mention]) -> list[RiskWarning]:
    """Group freshly scored mentions into stories and raise or update each story's warning.

    Returns the warnings raised, upgraded or joined by this batch. Mentions of another tenant,
    not yet scored, or excluded by an exclude term are left alone.
    """
    ids = [m.pk for m in mentions if m.pk is not None and m.tenant_id == tenant.pk]
    if not ids:
        return []
    policy = policy_lock(tenant=tenant)
    now = timezone.now()
    # Read again under the lock: another worker may have grouped some of them meanwhile.
    rows = [
        m
        for m in Mention.objects.for_tenant(tenant)
        .filter(pk__in=ids, status=Mention.Status.SCORED)
        .select_related("source")
        .order_by("published_at", "pk")
        if not _excluded(m)
    ]
    works = _group(tenant=tenant, policy=policy, rows=rows, now=now)
    given = {m.pk: m for m in mentions}
    for work in works.values():
        for mention in work.fresh:
            if mention.pk in given:
                given[mention.pk].story_id = work.story.pk
    events = _warnings_update(tenant=tenant, works=works, now=now)
    _handle(tenant=tenant, actor=None, policy=policy, events=events, now=now)
    return [event.warning for event in events]


def _group(*, tenant: Tenant, policy: WarningPolicy, rows: list[Mention], now: dt.datetime) -> dict[int, StoryWork]:
    """Assign the mentions without a story, save the stories; return the work per story pk."""
    fresh = [m for m in rows if m.story_id is None]
    rescored = [m for m in rows if m.story_id is not None]
    window = dt.timedelta(hours=policy.story_window_hours)
    features = grouping.features_of(fresh, tenant=tenant, now=now)
    matcher = grouping.Matcher(
        tenant=tenant,
        candidates=grouping.candidates_load(tenant=tenant, features=features, window=window),
        window=window,
    )
    for feature in features:
        matcher.assign(feature)
    joined = [c for c in matcher.candidates if c.joined]

    lock_ids = {c.story.pk for c in joined if not c.is_new} | {m.story_id for m in rescored}
    locked = {
        story.pk: story
        for story in Story.objects.for_tenant(tenant).select_for_update().filter(pk__in=lock_ids).order_by("pk")
    }
    applied: list[tuple[Story, grouping.Candidate, set[int]]] = []
    for candidate in joined:
        story = candidate.story if candidate.is_new else locked.get(candidate.story.pk)
        if story is None:  # deleted since it was read: start it again
            story = candidate.story
            story.pk = None
            story.mention_count, story.top_score, story.signature = 0, 0, {}
            candidate.is_new = True
        applied.append((story, candidate, grouping.story_apply(story, candidate.joined)))
    created = [story for story, candidate, _new in applied if candidate.is_new]
    changed = [story for story, candidate, _new in applied if not candidate.is_new]
    if created:
        Story.objects.bulk_create(created)
    if changed:
        Story.objects.for_tenant(tenant).bulk_update(
            changed, ["mention_count", "first_seen_at", "last_seen_at", "top_score", "signature"]
        )
    through = Story.customers.through
    links = []
    moved: list[Mention] = []
    works: dict[int, StoryWork] = {}
    for story, candidate, new_customer_ids in applied:
        work = works.setdefault(story.pk, StoryWork(story=story, new_customer_ids=new_customer_ids))
        links.extend(through(tenant=tenant, story_id=story.pk, customer_id=c) for c in sorted(new_customer_ids))
        for feature in candidate.joined:
            feature.mention.story = story
            work.mentions.append(feature.mention)
            work.fresh.append(feature.mention)
            moved.append(feature.mention)
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)
    _mentions_move(tenant, moved)
    for mention in rescored:
        story = locked.get(mention.story_id)
        if story is not None:
            works.setdefault(story.pk, StoryWork(story=story)).mentions.append(mention)
    return works


def _mentions_move(tenant: Tenant, moved: list[Mention]) -> None:
    """Save the mentions' stories: one UPDATE per story when they are few (the usual burst on one
    topic), else one UPDATE … CASE for the batch. At most FEW_STORIES queries either way."""
    by_story: dict[int, list[int]] = defaultdict(list)
    for mention in moved:
        by_story[mention.story_id].append(mention.pk)
    if len(by_story) <= FEW_STORIES:
        for story_id, ids in by_story.items():
            Mention.objects.for_tenant(tenant).filter(pk__in=ids).update(story_id=story_id)
    elif moved:
        Mention.objects.for_tenant(tenant).bulk_update(moved, ["story"])


def _warnings_update(*, tenant: Tenant, works: dict[int, StoryWork], now: dt.datetime) -> list[Event]:
    """Raise a warning for stories reaching a level, upgrade those reaching a more severe one."""
    if not works:
        return []
    warnings = {
        w.story_id: w
        for w in RiskWarning.objects.for_tenant(tenant)
        .select_for_update()
        .filter(story_id__in=list(works))
        .order_by("pk")
    }
    events: list[Event] = []
    changes: list[WarningChange] = []
    joined: list[RiskWarning] = []
    for story_pk, work in works.items():
        best = _most_severe(work.mentions)
        warning = warnings.get(story_pk)
        if warning is None:
            if best is None:
                continue
            warning, created = _warning_create(tenant=tenant, story=work.story, trigger=best, now=now)
            if created:
                changes.append(_change(warning, None, best.level, best, now))
                events.append(Event("raised", warning, work, best.level))
                continue
        if best is not None and best.level < warning.level:
            changes.append(_change(warning, warning.level, best.level, best, now))
            _warning_move(warning, best.level, now=now)
            warning.trigger = best
            warning.score = max(warning.score, work.story.top_score)
            warning.save(update_fields=["level", "peak_level", "queue", "status", "trigger", "score", "updated_at"])
            events.append(Event("upgraded", warning, work, best.level))
        elif work.fresh:
            warning.score = max(warning.score, work.story.top_score)
            warning.updated_at = now
            joined.append(warning)
            events.append(Event("joined", warning, work, warning.level))
    if joined:
        RiskWarning.objects.for_tenant(tenant).bulk_update(joined, ["score", "updated_at"])
    if changes:
        WarningChange.objects.bulk_create(changes)
    return events


def _warning_create(*, tenant: Tenant, story: Story, trigger: Mention, now: dt.datetime) -> tuple[RiskWarning, bool]:
    try:
        with transaction.atomic():
            warning = RiskWarning.objects.create(
                tenant=tenant,
                story=story,
                level=trigger.level,
                peak_level=trigger.level,
                score=story.top_score,
                queue=handling.queue_for(trigger.level),
                trigger=trigger,
                raised_at=now,
                updated_at=now,
            )
        return warning, True
    except IntegrityError:  # another worker raised it first: update theirs instead
        return RiskWarning.objects.for_tenant(tenant).select_for_update().get(story=story), False


def _change(
    warning: RiskWarning,
    from_level: int | None,
    to_level: int,
    mention: Mention | None,
    now: dt.datetime,
    *,
    changed_by: Membership | None = None,
    reason: str = "",
) -> WarningChange:
    return WarningChange(
        tenant_id=warning.tenant_id,
        warning=warning,
        from_level=from_level,
        to_level=to_level,
        score=warning.score if mention is None else (mention.score or 0),
        mention=mention,
        at=now,
        changed_by=changed_by,
        reason=reason,
    )


def _warning_move(warning: RiskWarning, level: int, *, now: dt.datetime) -> None:
    """Set a new level (peak kept), the queue it belongs to; reopen it when closed or its queue changed."""
    queue = handling.queue_for(level)
    if warning.status == RiskWarning.Status.CLOSED or queue != warning.queue:
        warning.status = RiskWarning.Status.OPEN
    warning.level = level
    warning.peak_level = min(warning.peak_level, level)
    warning.queue = queue
    warning.updated_at = now


def _handle(
    *, tenant: Tenant, actor: User | None, policy: WarningPolicy, events: list[Event], now: dt.datetime
) -> None:
    """Queue, incident and channels for each event: joins of open incidents first, then openings."""
    if not events:
        return
    incident_ids = sorted({e.warning.incident_id for e in events if e.warning.incident_id})
    incidents = {
        incident.pk: incident
        for incident in Incident.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk__in=incident_ids)
        .order_by("pk")
    }
    names = handling.customer_names([e.work.story.pk for e in events if e.kind != "joined"], tenant=tenant)
    routed: list[tuple[RiskWarning, int, Message]] = []
    queued: list[tuple[RiskWarning, int, Message]] = []
    ordered = sorted(events, key=lambda e: not _joins_open_incident(e, incidents))
    for event in ordered:
        warning, work, level = event.warning, event.work, event.level
        levelled = event.kind in ("raised", "upgraded")
        if levelled:
            customers = names.get(work.story.pk, [])
            message = handling.warning_message(work.story, warning, level, policy, customers)
            routed.append((warning, level, message))
        if levelled and level in handling.INCIDENT_LEVELS:
            incident_route(
                tenant=tenant,
                actor=actor,
                warning=warning,
                work=work,
                severity=level,
                policy=policy,
                incidents=incidents,
                message=message,
                notify_level=level,
            )
        elif levelled:
            queued.append((warning, level, message))
        elif _joins_open_incident(event, incidents):
            if _worth_a_note(work):
                handling.incident_join_for_warning(
                    tenant=tenant,
                    actor=actor,
                    incident=incidents[warning.incident_id],
                    warning=warning,
                    story=work.story,
                    mentions=work.fresh,
                    new_customer_ids=work.new_customer_ids,
                    severity=None,
                    policy=policy,
                )
        elif _flares_up(event):
            incident_route(
                tenant=tenant,
                actor=actor,
                warning=warning,
                work=work,
                severity=warning.level,
                policy=policy,
                incidents=incidents,
                notify_level=warning.level,
            )
    handling.notify_customer_service(tenant=tenant, items=queued)
    warnings_route(tenant=tenant, events=routed, moment=now)


def _worth_a_note(work: StoryWork) -> bool:
    """New mentions tell an open incident's desk something when one reached a level or named a new customer;
    quieter chatter only adds to the story's count (a busy story would otherwise flood the timeline)."""
    return any(m.level for m in work.fresh) or bool(work.new_customer_ids)


def _flares_up(event: Event) -> bool:
    """An open orange/red warning whose incident was closed gets a new incident when the story brings
    another orange or red mention (the desk closed the case; the story did not end)."""
    warning = event.warning
    return (
        warning.status != RiskWarning.Status.CLOSED
        and warning.level in handling.INCIDENT_LEVELS
        and any(m.level in handling.INCIDENT_LEVELS for m in event.work.fresh)
    )


def _joins_open_incident(event: Event, incidents: dict[int, Incident]) -> bool:
    incident = incidents.get(event.warning.incident_id) if event.warning.incident_id else None
    return incident is not None and incident.is_open


def incident_route(
    *,
    tenant: Tenant,
    actor: User | None,
    warning: RiskWarning,
    work: StoryWork,
    severity: int,
    policy: WarningPolicy,
    incidents: dict[int, Incident],
    message: Message | None = None,
    notify_level: int | None = None,
    note: str = "",
    dedupe_key: str = "",
) -> Incident:
    """Join the warning's open incident or open a new one; link it; tell the duty roster of the level."""
    incident = incidents.get(warning.incident_id) if warning.incident_id else None
    if incident is None and warning.incident_id:
        incident = Incident.objects.for_tenant(tenant).filter(pk=warning.incident_id).first()
    earlier = incident
    if incident is not None and incident.is_open:
        incident = handling.incident_join_for_warning(
            tenant=tenant,
            actor=actor,
            incident=incident,
            warning=warning,
            story=work.story,
            mentions=work.fresh or work.mentions,
            new_customer_ids=work.new_customer_ids,
            severity=severity,
            policy=policy,
            note=note,
        )
    else:
        incident = handling.incident_open_for_warning(
            tenant=tenant,
            actor=actor,
            warning=warning,
            story=work.story,
            level=severity,
            policy=policy,
            mentions=work.mentions,
        )
        if note:
            handling.incident_note_add(tenant=tenant, actor=actor, incident=incident, body=note)
    incidents[incident.pk] = incident
    if warning.incident_id != incident.pk:
        warning.incident = incident
        warning.save(update_fields=["incident"])
    if notify_level is not None:
        if not dedupe_key and earlier is not None and earlier.pk != incident.pk:
            # A second incident of the story: its duty notice is new, even at a level already told.
            dedupe_key = f"warning:{warning.pk}:{notify_level}:incident:{incident.pk}"
        message = message or handling.warning_message(work.story, warning, notify_level, policy)
        handling.notify_duty(
            tenant=tenant,
            warning=warning,
            level=notify_level,
            message=message,
            incident=incident,
            dedupe_key=dedupe_key,
        )
    return incident
