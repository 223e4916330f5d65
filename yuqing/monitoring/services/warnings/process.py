"""The warnings step: scored mentions → stories → one warning per story → queue, incident, channels.

`mentions_warn(tenant=, mention_ids=)` is the job's service (yuqing.monitoring.jobs.mentions_warn_job,
queued by scoring after its commit, and by mentions_warn_sweep for mentions whose job was lost);
`warnings_process(tenant=, mentions=)` is the same for mention rows at hand. Both read the
mentions again, skip those grouped since they were last scored (grouped_at set), and set
grouped_at on the rest, in one transaction with everything they raise.

Lock order (every write of this package takes its locks in this order, so two warn jobs, a
scoring batch and an analyst cannot deadlock each other):
  1. the tenant's WarningPolicy row — the package's per-tenant mutex: batches of one tenant are
     grouped one after another, so two workers cannot both start a story for the same topic
     (monitoring, policy_lock);
  2. the batch's mentions, by primary key: a scoring batch re-scoring them holds them until it
     commits, so its grouped_at = NULL is never overwritten by a stale grouping (monitoring);
  3. the stories touched, by primary key (select_for_update; monitoring);
  4. their warnings (select_for_update; the OneToOne story→warning is the last guard: an
     IntegrityError on creation is answered by reading the winner's row; monitoring);
  5. the incidents to be joined, by primary key, before any incident is opened — owned by
     incidents.services.intake (incidents_lock, story_intake): monitoring never locks or reads
     Incident rows itself;
  6. the tenant row (incident_open and the audit trail), then the incident code counter (incidents).

Idempotent: a mention grouped since its last scoring is skipped (a job delivered twice, the
sweep racing a slow job); a re-scored mention already in a story is not counted again, only its
level is looked at again. Notifications and channel deliveries carry dedupe keys per warning and
level, so nothing is sent twice for one level.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.services.intake import incidents_lock, story_intake
from yuqing.monitoring.models import Mention, RiskWarning, Story, WarningChange, WarningPolicy
from yuqing.monitoring.services.warnings import grouping, handling
from yuqing.monitoring.services.warnings.routing import Message, warnings_route
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Membership, Tenant, User

if TYPE_CHECKING:
    from incidents.models import Incident

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


@tenant_service(None)
def mentions_warn(*, tenant: Tenant, mention_ids: Iterable[int]) -> list[RiskWarning]:
    """The warnings step for the tenant's scored mentions `mention_ids`: group them into stories,
    raise or update each story's warning, mark them grouped. The warnings raised, upgraded or joined.

    Ids of other tenants' mentions, of mentions not scored, or grouped since their last scoring
    are left alone; so are excluded mentions, which are only marked grouped.
    """
    events = _process(tenant=tenant, ids=sorted({int(pk) for pk in mention_ids}))
    return [event.warning for event in events]


@tenant_service(None)
def warnings_process(*, tenant: Tenant, mentions: list[Mention]) -> list[RiskWarning]:
    """`mentions_warn` for mention rows at hand; those that join a story get its id."""
    ids = sorted({m.pk for m in mentions if m.pk is not None and m.tenant_id == tenant.pk})
    given = {m.pk: m for m in mentions}
    events = _process(tenant=tenant, ids=ids, given=given)
    return [event.warning for event in events]


def _process(*, tenant: Tenant, ids: list[int], given: dict[int, Mention] | None = None) -> list[Event]:
    if not ids:
        return []
    policy = policy_lock(tenant=tenant)
    now = timezone.now()
    # Read (and lock) again under the policy lock: another job may have grouped some of them meanwhile.
    waiting = list(
        Mention.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .filter(pk__in=ids, status=Mention.Status.SCORED, grouped_at__isnull=True)
        .select_related("source")
        .order_by("published_at", "pk")
    )
    if not waiting:
        return []
    rows = [m for m in waiting if not _excluded(m)]
    works = _group(tenant=tenant, policy=policy, rows=rows, now=now)
    if given:
        for work in works.values():
            for mention in work.fresh:
                if mention.pk in given:
                    given[mention.pk].story_id = work.story.pk
    events = _warnings_update(tenant=tenant, works=works, now=now)
    _handle(tenant=tenant, actor=None, policy=policy, events=events, now=now)
    Mention.objects.for_tenant(tenant).filter(pk__in=[m.pk for m in waiting]).update(grouped_at=now)
    return events


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
    open_ids = _open_incidents(tenant, [e.warning.incident_id for e in events])
    names = handling.customer_names([e.work.story.pk for e in events if e.kind != "joined"], tenant=tenant)
    routed: list[tuple[RiskWarning, int, Message]] = []
    queued: list[tuple[RiskWarning, int, Message]] = []
    ordered = sorted(events, key=lambda e: not _joins_open_incident(e, open_ids))
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
                open_ids=open_ids,
                message=message,
                notify_level=level,
            )
        elif levelled:
            queued.append((warning, level, message))
        elif _joins_open_incident(event, open_ids):
            if _worth_a_note(work):
                report = handling.story_report(
                    tenant=tenant,
                    warning=warning,
                    story=work.story,
                    severity=None,
                    policy=policy,
                    mentions=work.fresh,
                    join_mentions=work.fresh,
                    new_customer_ids=work.new_customer_ids,
                    joining=True,
                )
                story_intake(tenant=tenant, actor=actor, report=report)
        elif _flares_up(event):
            incident_route(
                tenant=tenant,
                actor=actor,
                warning=warning,
                work=work,
                severity=warning.level,
                policy=policy,
                open_ids=open_ids,
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


def _open_incidents(tenant: Tenant, incident_ids: list[int | None]) -> set[int]:
    """The open ones among `incident_ids`, their rows locked by incidents' intake (lock order 5)."""
    ids = [pk for pk in incident_ids if pk]
    return incidents_lock(tenant=tenant, incident_ids=ids) if ids else set()


def _joins_open_incident(event: Event, open_ids: set[int]) -> bool:
    return bool(event.warning.incident_id) and event.warning.incident_id in open_ids


def incident_route(
    *,
    tenant: Tenant,
    actor: User | None,
    warning: RiskWarning,
    work: StoryWork,
    severity: int,
    policy: WarningPolicy,
    open_ids: set[int] | None = None,
    message: Message | None = None,
    notify_level: int | None = None,
    note: str = "",
    dedupe_key: str = "",
) -> Incident:
    """Hand the story to incidents' intake (join the warning's open incident or open a new one); link
    it; tell the duty roster of the level. `open_ids`: the batch's open incidents, locked already
    (incidents_lock); None to lock the warning's own here."""
    if open_ids is None:
        open_ids = _open_incidents(tenant, [warning.incident_id])
    joining = bool(warning.incident_id) and warning.incident_id in open_ids
    report = handling.story_report(
        tenant=tenant,
        warning=warning,
        story=work.story,
        severity=severity,
        policy=policy,
        mentions=work.mentions,
        join_mentions=work.fresh or work.mentions,
        new_customer_ids=work.new_customer_ids,
        joining=joining,
        note=note,
    )
    earlier = warning.incident_id
    incident = story_intake(tenant=tenant, actor=actor, report=report)
    open_ids.add(incident.pk)
    if warning.incident_id != incident.pk:
        warning.incident = incident
        warning.save(update_fields=["incident"])
    if notify_level is not None:
        if not dedupe_key and earlier is not None and earlier != incident.pk:
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
