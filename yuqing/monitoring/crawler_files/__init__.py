"""Import of crawler output files (JSON, JSONL, CSV) into mentions.

Common Chinese social-media crawlers (MediaCrawler the best known; its licence forbids commercial
use, so the product only reads the files it writes) save posts and comments per platform as
`data/{platform}/{json|jsonl|csv}/{search|detail|creator}_{contents|comments|creators}_{date}.*`
(DOMAIN.md, "Crawler output files"). `reading` reads such a file whatever its format and encoding
and tells the platform from the path or, failing that, from the fields; `records` maps each
record of the current or an older field set to an ingestion item; `crawler_file_import` hands the
items to `mentions_ingest` in chunks and reports every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.services.access import require_role
from yuqing.audit.services import audit_record
from yuqing.monitoring.crawler_files.reading import MAX_FILE_BYTES, CrawlerFile, CrawlerRow, crawler_file_read
from yuqing.monitoring.crawler_files.records import province_of, record_to_item
from yuqing.monitoring.ingestion import mentions_ingest
from yuqing.monitoring.models import Mention, Source
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

__all__ = [
    "MAX_FILE_BYTES",
    "CrawlerFile",
    "CrawlerRow",
    "ImportResult",
    "RejectedRow",
    "crawler_file_import",
    "crawler_file_read",
    "province_of",
    "record_to_item",
]

INGEST_CHUNK = 1000


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportResult:
    filename: str
    format: str
    platform: str
    kind: str
    rows_read: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


def crawler_file_import(
    *, tenant: Tenant, actor: User | None, source: Source, upload: Any, filename: str
) -> ImportResult:
    """Import a crawler file into `source`: every good record, whatever the bad ones.

    Records go to `mentions_ingest` in chunks of 1,000 (each chunk its own transaction, so a
    large file keeps what it accepted even if a later chunk fails). The result counts rows read,
    accepted and duplicate, and lists the rejected ones with their line and reason. File-level
    problems (size, encoding, unreadable JSON, a creators file, a paused source) raise
    ValidationError; another tenant's source is a 404.
    """
    require_role(tenant=tenant, actor=actor, permission=Permission.WRITE)
    source = get_for_tenant(Source, tenant=tenant, pk=source.pk)
    if source.is_paused:
        raise ValidationError(_("信息源“%(name)s”已暂停，无法导入。") % {"name": source.name})
    crawler_file = crawler_file_read(upload, filename=filename)
    result = ImportResult(
        filename=PurePath(filename).name,
        format=crawler_file.format,
        platform=crawler_file.platform,
        kind=crawler_file.kind,
        rows_read=len(crawler_file.rows),
    )
    good = [row for row in crawler_file.rows if row.item is not None]
    rejected = [RejectedRow(row.line, row.error) for row in crawler_file.rows if row.item is None]
    for start in range(0, len(good), INGEST_CHUNK):
        chunk = good[start : start + INGEST_CHUNK]
        # No actor here: the permission is checked above and the import is audited once, below.
        report = mentions_ingest(tenant=tenant, source=source, items=[row.item for row in chunk], via=Mention.Via.FILE)
        for outcome in report.results:
            if outcome.status == "accepted":
                result.accepted += 1
            elif outcome.status == "duplicate":
                result.duplicate += 1
            else:
                rejected.append(RejectedRow(chunk[outcome.index].line, outcome.reason))
    result.rejected = sorted(rejected, key=lambda row: row.line)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="mention.import",
        target=source,
        changes={
            "file": result.filename,
            "format": result.format,
            "platform": result.platform,
            "rows": result.rows_read,
            "accepted": result.accepted,
            "duplicate": result.duplicate,
            "rejected": result.rejected_count,
        },
    )
    return result
