"""What ingestion answers: one result per item, in order, and the batch's counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one item: accepted (a new mention), duplicate (of `mention_id`) or rejected."""

    index: int
    status: str
    mention_id: int | None = None
    reason: str = ""
    is_repost: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "status": self.status, "id": self.mention_id, "reason": self.reason}


@dataclass(slots=True)
class IngestReport:
    results: list[ItemResult] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def accepted(self) -> int:
        return self._count(ACCEPTED)

    @property
    def duplicate(self) -> int:
        return self._count(DUPLICATE)

    @property
    def rejected(self) -> int:
        return self._count(REJECTED)

    @property
    def accepted_ids(self) -> list[int]:
        return [r.mention_id for r in self.results if r.status == ACCEPTED and r.mention_id is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "results": [result.as_dict() for result in self.results],
        }
