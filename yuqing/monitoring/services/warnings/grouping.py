"""Grouping scored mentions into stories (舆情话题), a batch at a time, in a fixed number of queries.

A mention joins a story of its tenant when the mention's time lies within the policy's window of
the story (story_window_hours before its first or after its last mention) and either
- they share a linked customer and a risk term or a term category (or neither has any term), or
- the mention's text is a near-duplicate (estimated Jaccard ≥ 0.6 of character 3-grams) of one of
  the story's fingerprints (see fingerprints.py).
Of several matching stories the near-duplicate wins, then the one sharing most customers and terms,
then the most recently active. Otherwise the mention starts a story of its own, titled by its
title (or its first 40 characters). Mentions below blue join and start stories too: they are the
velocity of a topic, and a story of quiet mentions can be joined later by a loud one.

Candidates are bounded: the stories in the window linked to the batch's customers, and the
RECENT_STORIES most recently active ones (for near-duplicates of texts naming no customer). They
are matched through in-memory indexes (customer → stories, sketch value → stories), so a batch of
N mentions costs O(N) index look-ups, not N × candidates comparisons; a similarity is estimated
only for sketches sharing enough values to possibly reach the threshold (fingerprints.min_shared).

Story.signature (JSON) keeps what matching needs, so no mention is read again:
    {"customers": [12, 40], "terms": ["逾期", "催收"], "categories": ["违约"],
     "term_counts": {"逾期": 5, "催收": 2}, "minhash": [[…32 ints…], …], "reach": 123456}
"terms" are the story's top terms by how many of its mentions matched them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from yuqing.monitoring.models import Mention, MentionCustomer, Story
from yuqing.monitoring.services.warnings import fingerprints
from yuqing.tenancy.models import Tenant

RECENT_STORIES = 300
CUSTOMER_STORIES = 500
TOP_TERMS = 10
KEPT_TERM_COUNTS = 30
# Fingerprints kept per story: the first text and the latest variants that were not near-duplicates.
KEPT_SKETCHES = 3
TITLE_CHARS = 40
# A sketch value in more candidates than this is a stock phrase: it finds no candidates by itself;
# a candidate is compared by text when it shares RARE_HITS rarer values (a near-duplicate shares ~20).
POPULAR_VALUE = 64
RARE_HITS = 3


@dataclass
class Features:
    """What grouping needs of one mention."""

    mention: Mention
    at: dt.datetime
    customers: set[int]
    terms: set[str]
    categories: set[str]
    sketch: list[int]
    reach: int


@dataclass
class Candidate:
    """A story open for joining in this batch: an existing row, or one the batch starts."""

    story: Story
    customers: set[int]
    terms: set[str]
    categories: set[str]
    sketches: list[list[int]]
    is_new: bool = False
    joined: list[Features] = field(default_factory=list)


def features_of(mentions: list[Mention], *, tenant: Tenant, now: dt.datetime) -> list[Features]:
    """Each mention's features, with its customer links read in one query."""
    links: dict[int, set[int]] = defaultdict(set)
    for mention_id, customer_id in (
        MentionCustomer.objects.for_tenant(tenant)
        .filter(mention_id__in=[m.pk for m in mentions])
        .values_list("mention_id", "customer_id")
    ):
        links[mention_id].add(customer_id)
    result = []
    for mention in mentions:
        explanation = mention.explanation if isinstance(mention.explanation, dict) else {}
        terms = [t for t in explanation.get("terms") or [] if isinstance(t, dict) and t.get("kind") != "exclude"]
        customers = links[mention.pk] or {
            int(c["id"]) for c in explanation.get("customers") or [] if isinstance(c, dict) and c.get("id")
        }
        result.append(
            Features(
                mention=mention,
                at=min(mention.published_at, now),
                customers=customers,
                terms={str(t.get("term")) for t in terms if t.get("term")},
                categories={str(t.get("category")) for t in terms if t.get("category")},
                sketch=fingerprints.sketch(f"{mention.title} {mention.body}"),
                reach=max(mention.views, mention.followers) + mention.likes + mention.comments + mention.shares,
            )
        )
    return result


def candidates_load(*, tenant: Tenant, features: list[Features], window: dt.timedelta) -> list[Candidate]:
    """The stories a batch could join: two bounded queries."""
    if not features:
        return []
    earliest = min(f.at for f in features) - window
    latest = max(f.at for f in features) + window
    in_window = Story.objects.for_tenant(tenant).filter(last_seen_at__gte=earliest, first_seen_at__lte=latest)
    stories: dict[int, Story] = {}
    customer_ids = {c for f in features for c in f.customers}
    if customer_ids:
        for story in (
            in_window.filter(customers__in=customer_ids).distinct().order_by("-last_seen_at")[:CUSTOMER_STORIES]
        ):
            stories[story.pk] = story
    for story in in_window.order_by("-last_seen_at")[:RECENT_STORIES]:
        stories.setdefault(story.pk, story)
    return [_candidate(story) for story in stories.values()]


def _candidate(story: Story, *, is_new: bool = False) -> Candidate:
    signature = story.signature if isinstance(story.signature, dict) else {}
    return Candidate(
        story=story,
        customers={int(c) for c in signature.get("customers") or []},
        terms=set(signature.get("term_counts") or {}) | set(signature.get("terms") or []),
        categories=set(signature.get("categories") or []),
        sketches=[list(s) for s in signature.get("minhash") or [] if s],
        is_new=is_new,
    )


class Matcher:
    """Assigns mentions to candidates, in order, starting new stories for mentions that match none.

    Candidates are found through two indexes of candidate positions: by customer, and by sketch
    value. A value shared by more than POPULAR_VALUE candidates (a stock phrase: "网友反映",
    "据悉") finds no candidates; two near-duplicates share many rarer values (RARE_HITS needed).
    """

    def __init__(self, *, tenant: Tenant, candidates: list[Candidate], window: dt.timedelta) -> None:
        self.tenant = tenant
        self.window = window
        self.candidates: list[Candidate] = []
        self.by_customer: dict[int, set[int]] = defaultdict(set)
        self.by_value: dict[int, set[int]] = defaultdict(set)
        for candidate in candidates:
            self._index(candidate)

    def _index(self, candidate: Candidate) -> int:
        index = len(self.candidates)
        self.candidates.append(candidate)
        self._reindex(index, customers=candidate.customers, sketches=candidate.sketches)
        return index

    def _reindex(self, index: int, *, customers: set[int], sketches: list[list[int]]) -> None:
        for customer in customers:
            self.by_customer[customer].add(index)
        for sketch in sketches:
            for value in sketch:
                self.by_value[value].add(index)

    def _in_window(self, candidate: Candidate, at: dt.datetime) -> bool:
        story = candidate.story
        return story.first_seen_at - self.window <= at <= story.last_seen_at + self.window

    def _near(self, values: set[int], sketch: list[int], candidate: Candidate) -> bool:
        return any(
            len(values.intersection(kept)) >= fingerprints.min_shared(len(values), len(kept))
            and fingerprints.is_near_duplicate(sketch, kept)
            for kept in candidate.sketches
        )

    def assign(self, feature: Features) -> Candidate:
        values = set(feature.sketch)
        rare_hits: Counter[int] = Counter()
        for value in values:
            postings = self.by_value.get(value)
            if postings and len(postings) <= POPULAR_VALUE:
                rare_hits.update(postings)
        needed = min(RARE_HITS, fingerprints.min_shared(len(values), len(values)))
        by_text = {index for index, count in rare_hits.items() if count >= needed}
        considered = set(by_text)
        for customer in feature.customers:
            considered |= self.by_customer.get(customer, set())
        best_index: int | None = None
        best_key: tuple | None = None
        for index in considered:
            candidate = self.candidates[index]
            if not self._in_window(candidate, feature.at):
                continue
            near = index in by_text and self._near(values, feature.sketch, candidate)
            shared_customers = feature.customers & candidate.customers
            shared_terms = (feature.terms & candidate.terms) | (feature.categories & candidate.categories)
            topical = bool(shared_customers) and (
                bool(shared_terms) or (not feature.terms and not candidate.terms and not candidate.categories)
            )
            if not (near or topical):
                continue
            overlap = len(shared_customers) + len(shared_terms)
            key = (near, overlap, candidate.story.last_seen_at, index)
            if best_key is None or key > best_key:
                best_index, best_key = index, key
        if best_index is None:
            best_index = self._start(feature)
        near = bool(best_key and best_key[0])
        self._join(best_index, feature, keep_sketch=not near)
        return self.candidates[best_index]

    def _start(self, feature: Features) -> int:
        mention = feature.mention
        title = (mention.title or "").strip() or " ".join((mention.body or "").split())[:TITLE_CHARS]
        story = Story(
            tenant=self.tenant,
            title=title[:200] or "—",
            signature={},
            first_seen_at=feature.at,
            last_seen_at=feature.at,
            mention_count=0,
            top_score=0,
        )
        return self._index(
            Candidate(story=story, customers=set(), terms=set(), categories=set(), sketches=[], is_new=True)
        )

    def _join(self, index: int, feature: Features, *, keep_sketch: bool) -> None:
        candidate = self.candidates[index]
        candidate.joined.append(feature)
        story = candidate.story
        # Later mentions of the batch see the story as it grows (window, customers, terms, texts).
        story.first_seen_at = min(story.first_seen_at, feature.at)
        story.last_seen_at = max(story.last_seen_at, feature.at)
        sketches = []
        if keep_sketch and feature.sketch and len(candidate.sketches) < 2 * KEPT_SKETCHES:
            candidate.sketches.append(feature.sketch)
            sketches.append(feature.sketch)
        candidate.terms |= feature.terms
        candidate.categories |= feature.categories
        candidate.customers |= feature.customers
        self._reindex(index, customers=feature.customers, sketches=sketches)


def story_apply(story: Story, joined: list[Features]) -> set[int]:
    """Fold the joined mentions into the (locked, freshly read) story row. Returns the new customer ids."""
    signature = dict(story.signature) if isinstance(story.signature, dict) else {}
    customers = {int(c) for c in signature.get("customers") or []}
    new_customers: set[int] = set()
    term_counts = Counter({str(k): int(v) for k, v in (signature.get("term_counts") or {}).items()})
    categories = list(signature.get("categories") or [])
    sketches = [list(s) for s in signature.get("minhash") or [] if s]
    reach = int(signature.get("reach") or 0)
    for feature in joined:
        mention = feature.mention
        story.first_seen_at = min(story.first_seen_at, feature.at)
        story.last_seen_at = max(story.last_seen_at, feature.at)
        story.top_score = max(story.top_score, mention.score or 0)
        new_customers |= feature.customers - customers
        customers |= feature.customers
        term_counts.update(feature.terms)
        for category in sorted(feature.categories):
            if category not in categories:
                categories.append(category)
        if feature.sketch and not any(fingerprints.is_near_duplicate(feature.sketch, s) for s in sketches):
            # The first text stays; the newest variants replace older ones.
            sketches = [*sketches[:1], *sketches[1:][-(KEPT_SKETCHES - 2) :], feature.sketch][:KEPT_SKETCHES]
        reach += feature.reach
    story.mention_count += len(joined)
    top = term_counts.most_common(KEPT_TERM_COUNTS)
    story.signature = {
        "customers": sorted(customers),
        "terms": [term for term, _count in top[:TOP_TERMS]],
        "categories": categories[:TOP_TERMS],
        "term_counts": dict(top),
        "minhash": sketches,
        "reach": reach,
    }
    return new_customers
