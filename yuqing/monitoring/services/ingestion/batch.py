"""A batch's de-duplication and storage: lookups, classification, bulk inserts, repost counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from yuqing.monitoring.models import Mention, MentionRepost, Source
from yuqing.monitoring.services.ingestion.items import Candidate, identity_of
from yuqing.monitoring.services.ingestion.results import ACCEPTED, DUPLICATE, ItemResult
from yuqing.tenancy.managers import TenantQuerySet
from yuqing.tenancy.models import Tenant

LOOKUP_CHUNK = 500


# ---------------------------------------------------------------- classification and storage


@dataclass(slots=True, eq=False)
class _Slot:
    """A new mention of this batch, with the batch's items that repeat it."""

    candidate: Candidate
    mention_id: int | None = None
    identities: set[tuple[str, str]] = field(default_factory=set)  # its own and its reposts'
    reposts: list[Candidate] = field(default_factory=list)


@dataclass(slots=True)
class _Outcome:
    """A result whose mention id may only be known after the insert (`target` a slot)."""

    index: int
    status: str
    target: int | _Slot | None
    reason: str
    is_repost: bool = False

    def result(self) -> ItemResult:
        target = self.target
        mention_id = target.mention_id if isinstance(target, _Slot) else target
        return ItemResult(self.index, self.status, mention_id, self.reason, self.is_repost)


@dataclass(slots=True)
class _Repost:
    outcome: _Outcome
    candidate: Candidate
    target: int | _Slot

    @property
    def mention_id(self) -> int:
        target = self.target
        return target.mention_id if isinstance(target, _Slot) else target  # type: ignore[return-value]


def chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Conflict(Exception):
    """Another request stored some of this batch's new mentions meanwhile (and has committed: the
    insert waited for it). Classifying the batch again against fresh lookups is cheaper than the
    one-savepoint-per-item fallback."""


class Batch:
    def __init__(
        self, *, tenant: Tenant, source: Source, candidates: list[Candidate], raise_conflict: bool = False
    ) -> None:
        self.tenant = tenant
        self.raise_conflict = raise_conflict
        self.source = source
        self.candidates = candidates
        self.outcomes: list[_Outcome] = []
        self.slots: list[_Slot] = []
        self.reposts: list[_Repost] = []
        # Stored state, looked up once.
        self.mention_by_external_id: dict[str, int] = {}
        self.repost_by_external_id: dict[str, int] = {}
        self.mention_by_hash: dict[str, tuple[int, int, str, str]] = {}  # hash → (pk, source, ext id, url)
        self.known_repost_identities: set[tuple[int, tuple[str, str]]] = set()  # (mention, identity)
        # This batch.
        self.batch_external_ids: dict[str, int | _Slot] = {}
        self.batch_hashes: dict[str, _Slot] = {}
        # Mentions whose repost count this batch raised (they are scored again).
        self.reposted_ids: set[int] = set()

    def _mentions(self) -> TenantQuerySet:
        return Mention.objects.for_tenant(self.tenant)

    def look_up(self) -> None:
        external_ids = sorted({c.external_id for c in self.candidates if c.external_id})
        hashes = sorted({c.mention.content_hash for c in self.candidates})
        for chunk in chunks(external_ids):
            self.mention_by_external_id.update(
                self._mentions().filter(source=self.source, external_id__in=chunk).values_list("external_id", "pk")
            )
        for chunk in chunks(hashes):
            for content_hash, pk, source_id, external_id, url in (
                self._mentions()
                .filter(content_hash__in=chunk)
                .values_list("content_hash", "pk", "source_id", "external_id", "url")
            ):
                self.mention_by_hash[content_hash] = (pk, source_id, external_id, url)
        # Reposts recorded from this source: by external id, or (without one) by URL under a matched mention.
        matched = sorted({pk for pk, *_rest in self.mention_by_hash.values()})
        urls = sorted({c.mention.url for c in self.candidates if not c.external_id})
        conditions = [Q(external_id__in=chunk) for chunk in chunks(external_ids)]
        if matched and urls:
            conditions += [
                Q(external_id="", mention_id__in=m_chunk, url__in=u_chunk)
                for m_chunk in chunks(matched)
                for u_chunk in chunks(urls)
            ]
        if not conditions:
            return
        where = conditions[0]
        for condition in conditions[1:]:
            where |= condition
        for mention_id, external_id, url in (
            MentionRepost.objects.for_tenant(self.tenant)
            .filter(where, source=self.source)
            .values_list("mention_id", "external_id", "url")
        ):
            if external_id:
                self.repost_by_external_id[external_id] = mention_id
            self.known_repost_identities.add((mention_id, identity_of(external_id, url)))

    def classify(self) -> None:
        for candidate in self.candidates:
            self._classify(candidate)

    def _outcome(self, candidate: Candidate, status: str, target: int | _Slot | None, reason: str = "") -> _Outcome:
        outcome = _Outcome(candidate.index, status, target, reason)
        self.outcomes.append(outcome)
        return outcome

    def _classify(self, candidate: Candidate) -> None:
        external_id = candidate.external_id
        if external_id:
            known = (
                self.mention_by_external_id.get(external_id)
                or self.repost_by_external_id.get(external_id)
                or self.batch_external_ids.get(external_id)
            )
            if known is not None:
                self._outcome(candidate, DUPLICATE, known, _("外部编号已收录"))
                return
        identity = candidate.identity
        content_hash = candidate.mention.content_hash
        stored = self.mention_by_hash.get(content_hash)
        if stored is not None:
            pk, source_id, stored_external_id, stored_url = stored
            same_item = source_id == self.source.pk and identity_of(stored_external_id, stored_url) == identity
            if same_item or (pk, identity) in self.known_repost_identities:
                self._outcome(candidate, DUPLICATE, pk, _("内容已收录"))
            else:
                self._repost(candidate, pk)
                self.known_repost_identities.add((pk, identity))
            if external_id:
                self.batch_external_ids[external_id] = pk
            return
        slot = self.batch_hashes.get(content_hash)
        if slot is not None:
            if identity in slot.identities:
                self._outcome(candidate, DUPLICATE, slot, _("内容已收录"))
            else:
                self._repost(candidate, slot)
                slot.identities.add(identity)
                slot.reposts.append(candidate)
                slot.candidate.mention.repost_count += 1
            if external_id:
                self.batch_external_ids[external_id] = slot
            return
        slot = _Slot(candidate=candidate, identities={identity})
        self.slots.append(slot)
        self.batch_hashes[content_hash] = slot
        if external_id:
            self.batch_external_ids[external_id] = slot
        self._outcome(candidate, ACCEPTED, slot)

    def _repost(self, candidate: Candidate, target: int | _Slot) -> None:
        outcome = self._outcome(candidate, DUPLICATE, target, _("转载：内容与已收录信息相同，转载数加一"))
        outcome.is_repost = True
        self.reposts.append(_Repost(outcome, candidate, target))

    # -- storage

    def insert_mentions(self) -> None:
        # In the order of a unique key (the content fingerprint, unique per tenant), whatever the
        # order of the items: two overlapping batches then take the index entries' locks in the same
        # order and one waits for the other instead of deadlocking with it.
        self.slots.sort(key=lambda slot: slot.candidate.mention.content_hash)
        objects = [slot.candidate.mention for slot in self.slots]
        if not objects:
            return
        try:
            with transaction.atomic():
                Mention.objects.bulk_create(objects)
        except IntegrityError as error:
            if self.raise_conflict:
                raise Conflict from error
            # Another request stored some of these meanwhile: one savepoint per item.
            for obj in objects:
                obj.pk = None
                obj._state.adding = True
            for slot in self.slots:
                self._insert_one(slot)
            return
        for slot in self.slots:
            slot.mention_id = slot.candidate.mention.pk

    def _insert_one(self, slot: _Slot) -> None:
        mention = slot.candidate.mention
        try:
            with transaction.atomic():
                mention.save(force_insert=True)
        except IntegrityError as error:
            mention.pk = None
            conflict = error
        else:
            slot.mention_id = mention.pk
            return
        # It is stored now: fold this slot into the stored mention.
        outcome = next(o for o in self.outcomes if o.target is slot and o.status == ACCEPTED)
        stored = None
        if mention.external_id:
            stored = (
                self._mentions()
                .filter(source=self.source, external_id=mention.external_id)
                .values_list("pk", "source_id", "external_id", "url")
                .first()
            )
            if stored is not None:
                outcome.status, outcome.reason = DUPLICATE, _("外部编号已收录")
        if stored is None:
            stored = (
                self._mentions()
                .filter(content_hash=mention.content_hash)
                .values_list("pk", "source_id", "external_id", "url")
                .first()
            )
            if stored is None:  # neither constraint explains it: not a race, a real error
                raise conflict
            _pk, source_id, stored_external_id, stored_url = stored
            if source_id == self.source.pk and identity_of(stored_external_id, stored_url) == slot.candidate.identity:
                outcome.status, outcome.reason = DUPLICATE, _("内容已收录")
            else:
                outcome.status, outcome.reason = DUPLICATE, _("转载：内容与已收录信息相同，转载数加一")
                outcome.is_repost = True
                self.reposts.append(_Repost(outcome, slot.candidate, stored[0]))
        slot.mention_id = stored[0]
        mention.repost_count = 0  # its reposts now count on the stored mention (see insert_reposts)
        # An item of this batch that repeated the slot may be the stored mention itself (another
        # request stored that item first, under its own identity): a re-delivery, not a repost.
        _pk, source_id, stored_external_id, stored_url = stored
        if source_id == self.source.pk:
            itself = identity_of(stored_external_id, stored_url)
            for repost in [r for r in self.reposts if r.target is slot and r.candidate.identity == itself]:
                repost.outcome.is_repost = False
                repost.outcome.reason = _("外部编号已收录") if stored_external_id else _("内容已收录")
                self.reposts.remove(repost)

    def insert_reposts(self) -> None:
        if not self.reposts:
            return
        self.reposts.sort(key=lambda repost: (repost.candidate.mention.external_id, repost.candidate.mention.url))
        rows = [
            MentionRepost(
                tenant=self.tenant,
                mention_id=repost.mention_id,
                source=self.source,
                external_id=repost.candidate.mention.external_id,
                url=repost.candidate.mention.url,
                published_at=repost.candidate.mention.published_at,
            )
            for repost in self.reposts
        ]
        inserted: list[_Repost] = []
        try:
            with transaction.atomic():
                MentionRepost.objects.bulk_create(rows)
            inserted = list(self.reposts)
        except IntegrityError:
            for repost, row in zip(self.reposts, rows, strict=True):
                row.pk = None
                try:
                    with transaction.atomic():
                        row.save(force_insert=True)
                except IntegrityError:
                    # Recorded by a concurrent delivery of the same item: already counted there.
                    repost.outcome.is_repost = False
                    repost.outcome.reason = _("外部编号已收录")
                else:
                    inserted.append(repost)
        self._apply_repost_counts(inserted)

    def _apply_repost_counts(self, inserted: Iterable[_Repost]) -> None:
        counted = Counter(repost.mention_id for repost in inserted)
        # New mentions were inserted with their batch reposts already counted.
        preset = Counter({slot.mention_id: slot.candidate.mention.repost_count for slot in self.slots})
        by_delta: dict[int, list[int]] = defaultdict(list)
        for mention_id in set(counted) | {pk for pk, count in preset.items() if count}:
            delta = counted[mention_id] - preset.get(mention_id, 0)
            if delta:
                by_delta[delta].append(mention_id)
        if by_delta:
            # Lock the counted mentions in id order first, for the same reason as the inserts.
            locked = sorted({pk for ids in by_delta.values() for pk in ids})
            for chunk in chunks(locked):
                list(self._mentions().filter(pk__in=chunk).order_by("pk").select_for_update().values_list("pk"))
        for delta, ids in by_delta.items():
            for chunk in chunks(sorted(ids)):
                self._mentions().filter(pk__in=chunk).update(repost_count=F("repost_count") + delta)
        self.reposted_ids = {mention_id for mention_id, count in counted.items() if count}

    def report(self) -> list[ItemResult]:
        return [outcome.result() for outcome in self.outcomes]
