"""Demo 舆情 for `manage.py seed_demo`: sources, the seed lexicon, a few thousand mentions over the
last 30 days, scored like live traffic, with bursts about VIP customers that become stories,
warnings and incidents, and a few hundred analyst labels to train a tenant model on.

Everything goes through the services: sources are created, mentions ingested (via "api", each with
a stable external id, so a second run finds them all as duplicates and adds nothing) and scored in
this process in batches, so grouping, warnings, routing and incidents happen exactly as they would
from the worker. The words are in yuqing/monitoring/demo/content.py.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from customers.models import Customer, Tier
from yuqing.monitoring.demo import content
from yuqing.monitoring.models import Level, Mention, Polarity, Source, WarningRoute
from yuqing.monitoring.services.ingestion import mentions_ingest
from yuqing.monitoring.services.lexicon import keyword_rules_seed
from yuqing.monitoring.services.scoring import mentions_score
from yuqing.monitoring.services.warnings import mentions_warn, warning_route_create
from yuqing.notify.models import Channel
from yuqing.notify.services import ChannelData, channel_create
from yuqing.tenancy.demo import DemoData, DemoStep
from yuqing.tenancy.models import Membership, Role, Tenant

MENTIONS_PER_TENANT = 2400
DAYS = 30
BATCH = 500
LABELS_PER_POLARITY = 120


def _sources(tenant: Tenant, owner: Membership | None) -> dict[str, Source]:
    existing = {s.name: s for s in Source.objects.for_tenant(tenant)}
    for spec in content.DEMO_SOURCES:
        if spec.name not in existing:
            existing[spec.name] = Source.objects.create(
                tenant=tenant,
                name=spec.name,
                kind=spec.kind,
                weight=spec.weight,
                owner=owner,
                feed_url=spec.feed_url,
                is_paused=bool(spec.feed_url),
            )
    return existing


def _duty_route(tenant: Tenant) -> None:
    """The duty room's in-portal channel, for orange and red warnings and SLA breach escalations."""
    name = "值班室（站内）"
    channel = Channel.objects.for_tenant(tenant).filter(name=name).first()
    if channel is None:
        channel = channel_create(
            tenant=tenant,
            actor=None,
            data=ChannelData(
                name=name, kind=Channel.Kind.PORTAL, target_roles=[Role.MANAGER, Role.ADMIN], sla_escalations=True
            ),
        )
    if not WarningRoute.objects.for_tenant(tenant).filter(name="橙色及以上通知值班室").exists():
        warning_route_create(
            tenant=tenant, actor=None, name="橙色及以上通知值班室", channel=channel, min_level=Level.ORANGE
        )


def _reach(rng: random.Random, spec: content.DemoSource, boost: int = 1) -> dict[str, int]:
    low, high = spec.reach
    followers = int(rng.uniform(low, high)) if high else 0
    base = max(1, int(rng.paretovariate(1.3) * 5 * boost))
    return {
        "followers": followers,
        "likes": base * rng.randint(1, 20),
        "comments": base * rng.randint(0, 6),
        "shares": base * rng.randint(0, 4),
        "views": base * rng.randint(50, 400),
    }


def _fill(rng: random.Random, template: str, customer: Customer | None) -> str:
    name = ""
    if customer is not None:
        name = customer.short_name if customer.short_name and rng.random() < 0.5 else customer.name
    return template.format(name=name, city=rng.choice(content.CITIES), project=rng.choice(content.PROJECTS))


def _items(tenant: Tenant, customers: list[Customer], vips: list[Customer]) -> list[tuple[str, dict]]:
    """(source name, item) pairs: the everyday stream, then the stories' bursts."""
    rng = random.Random(f"monitoring-demo:{tenant.slug}")  # noqa: S311 - demo data, repeatable on purpose
    now = timezone.now().replace(second=0, microsecond=0)
    specs = [s for s in content.DEMO_SOURCES if not s.feed_url]
    items: list[tuple[str, dict]] = []
    everyday = MENTIONS_PER_TENANT - sum(story.count for story in content.STORIES)
    for index in range(everyday):
        spec = rng.choice(specs)
        roll = rng.random()
        tone, templates = (
            ("neg", content.NEGATIVE)
            if roll < 0.30
            else ("neu", content.NEUTRAL)
            if roll < 0.65
            else ("pos", content.POSITIVE)
        )
        customer = rng.choice(customers) if customers else None
        if roll > 0.93:
            tone, templates, customer = "noise", content.NOISE, None
        body = _fill(rng, rng.choice(templates), customer)
        published = now - dt.timedelta(minutes=rng.randint(5, DAYS * 24 * 60))
        items.append(
            (
                spec.name,
                {
                    "external_id": f"demo-{tone}-{index}",
                    "url": f"https://example.com/{spec.kind}/{tenant.slug}/{index}",
                    "title": body[:24] if spec.kind in ("news", "wechat", "zhihu") else "",
                    "body": body,
                    "author": f"网友{rng.randint(1000, 99999)}",
                    "published_at": published,
                    **_reach(rng, spec),
                },
            )
        )
    by_name = {s.name: s for s in specs}
    loud = [by_name[name] for name in ("财新网", "新浪财经", "微博", "抖音", "微信公众号", "东方财富股吧")]
    for number, story in enumerate(content.STORIES):
        if story.vip_rank >= len(vips):
            continue
        customer = vips[story.vip_rank]
        city, project = rng.choice(content.CITIES), rng.choice(content.PROJECTS)
        end = now - dt.timedelta(hours=story.ago)
        for index in range(story.count):
            spec = rng.choice(loud)
            body = rng.choice(story.texts).format(name=customer.name, city=city, project=project)
            published = end - dt.timedelta(minutes=int(story.hours * 60 * (1 - index / story.count)))
            items.append(
                (
                    spec.name,
                    {
                        "external_id": f"demo-neg-story{number}-{index}",
                        "url": f"https://example.com/{spec.kind}/{tenant.slug}/story{number}/{index}",
                        "title": body[:28] if spec.kind in ("news", "wechat") else "",
                        # Reposts differ a little, as they do: a tag and a number keep them distinct posts.
                        "body": f"{body} #{customer.short_name or customer.name}# （{index + 1}）",
                        "author": f"网友{rng.randint(1000, 99999)}",
                        "published_at": published,
                        **_reach(rng, spec, story.reach_boost),
                    },
                )
            )
    items.sort(key=lambda pair: pair[1]["published_at"])
    return items


def _label(tenant: Tenant, analyst: Membership | None) -> int:
    """Analysts' labels for the training page: the demo's negative and positive posts, as a desk would mark them."""
    mentions = Mention.objects.for_tenant(tenant)
    if mentions.exclude(labelled_polarity="").exists():
        return 0
    labelled = 0
    for polarity, prefix in ((Polarity.NEGATIVE, "demo-neg-"), (Polarity.POSITIVE, "demo-pos-")):
        pks = list(
            mentions.filter(external_id__startswith=prefix)
            .order_by("pk")
            .values_list("pk", flat=True)[:LABELS_PER_POLARITY]
        )
        labelled += mentions.filter(pk__in=pks).update(
            labelled_polarity=polarity, triage=Mention.Triage.RELEVANT, triaged_by=analyst, triaged_at=timezone.now()
        )
    return labelled


def seed_monitoring(demo: DemoData) -> None:
    for tenant in demo.tenants.values():
        members = list(Membership.objects.for_tenant(tenant).filter(is_active=True).order_by("pk"))
        owner = next((m for m in members if m.role == Role.MANAGER), members[0] if members else None)
        keyword_rules_seed(tenant=tenant)
        _duty_route(tenant)
        sources = _sources(tenant, owner)
        customers = list(Customer.objects.for_tenant(tenant).order_by("pk"))
        vips = [c for c in customers if c.tier == Tier.VIP][:5]
        accepted = 0
        by_source: dict[str, list[dict]] = {}
        for name, item in _items(tenant, customers, vips):
            by_source.setdefault(name, []).append(item)
        for name, items in by_source.items():
            for start in range(0, len(items), BATCH):
                report = mentions_ingest(
                    tenant=tenant, source=sources[name], items=items[start : start + BATCH], via=Mention.Via.API
                )
                accepted += report.accepted
        pks = list(
            Mention.objects.for_tenant(tenant)
            .filter(status=Mention.Status.PENDING)
            .order_by("published_at", "pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(pks), BATCH):
            mentions_score(tenant=tenant, mention_ids=pks[start : start + BATCH])
            # The warnings step here too, not left to a worker: the demo shows its stories at once.
            mentions_warn(tenant=tenant, mention_ids=pks[start : start + BATCH])
        labelled = _label(tenant, owner)
        demo.created += accepted
        if accepted or labelled:
            demo.log(f"舆情 {tenant.slug}：新增 {accepted} 条信息，评分 {len(pks)} 条，人工标注 {labelled} 条")


DEMO_STEPS: list[DemoStep] = [seed_monitoring]
