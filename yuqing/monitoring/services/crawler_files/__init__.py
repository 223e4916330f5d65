"""Import of crawler output files (JSON, JSONL, CSV) into mentions.

Common Chinese social-media crawlers (MediaCrawler the best known; its licence forbids commercial
use, so the product only reads the files it writes) save posts and comments per platform as
`data/{platform}/{json|jsonl|csv}/{search|detail|creator}_{contents|comments|creators}_{date}.*`
(DOMAIN.md, "Crawler output files"). `reading` reads such a file whatever its format and encoding
and tells the platform from the path or, failing that, from the fields; `records` maps each
record of the current or an older field set to an ingestion item; `crawler_file_import` hands the
items to ingestion in chunks, in one transaction, and reports every row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.crawler_files.reading import MAX_FILE_BYTES, CrawlerFile, CrawlerRow, crawler_file_read
from yuqing.monitoring.services.crawler_files.records import province_of, record_to_item
from yuqing.monitoring.services.ingestion.guarded import ingest_isolated, tally
from yuqing.tenancy.guard import tenant_service
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

logger = logging.getLogger(__name__)

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


# Not one transaction: a fatal error rolls the file back and is then audited in a transaction of its own.
@tenant_service(Permission.WRITE, atomic=False)
def crawler_file_import(
    *, tenant: Tenant, actor: User | None, source: Source, upload: Any, filename: str
) -> ImportResult:
    """Import a crawler file into `source`: all or nothing for a fatal error, row by row otherwise.

    Why all-or-nothing and not resumable: ingestion de-duplicates, so importing the same file
    again after a failure is already safe (rows kept before come back as duplicates); a stored
    "how far it got" would add state to reconcile and gain nothing. What a failure must not do is
    leave part of a file in and no record of it, so the whole file is one transaction:

    - A row that cannot be read (a broken JSON line, a CSV row of the wrong shape), that ingestion
      rejects, or that makes ingestion raise costs only that row: it is listed as rejected with
      its line and a Chinese reason, and the good rows go in (`ingest_isolated`).
    - A fatal error (connection lost, deadlock, a broken transaction) rolls the whole file back.
      A `mention.import_failed` audit event, in its own transaction, records the file, the line of
      the chunk it stopped at and that nothing was kept; the caller gets a ValidationError.
    - Success records one `mention.import` audit event in the same transaction as the mentions
      (file, counts accepted / duplicate / rejected, the last line read).

    Records go to ingestion in chunks of 1,000 (memory and statement size). File-level problems
    (size, encoding, a JSON array that does not parse, a creators file, a paused source) raise
    ValidationError before anything is written; another tenant's source is a 404.
    """
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
    unreadable = [RejectedRow(row.line, row.error) for row in crawler_file.rows if row.item is None]
    last_line = crawler_file.rows[-1].line if crawler_file.rows else 0
    stopped_at = 0
    try:
        with transaction.atomic():
            rejected = list(unreadable)
            for start in range(0, len(good), INGEST_CHUNK):
                chunk = good[start : start + INGEST_CHUNK]
                stopped_at = chunk[0].line
                # No actor here: the guard checked it, and the import is audited once, below.
                outcomes = ingest_isolated(
                    tenant=tenant, source=source, items=[row.item for row in chunk], via=Mention.Via.FILE
                )
                counted = tally(outcomes)
                result.accepted += counted.accepted
                result.duplicate += counted.duplicate
                rejected += [RejectedRow(chunk[outcome.index].line, outcome.reason) for outcome in counted.rejected]
            result.rejected = sorted(rejected, key=lambda row: row.line)
            audit_record(
                tenant=tenant,
                actor=actor,
                action="mention.import",
                target=source,
                changes={**_audit_changes(result), "completed": True, "last_line": last_line},
            )
    except Exception as error:
        logger.exception("crawler import of %s rolled back at line %d", result.filename, stopped_at)
        _audit_failure(tenant=tenant, actor=actor, source=source, result=result, line=stopped_at, error=error)
        raise ValidationError(
            _(
                "导入失败，本文件未保存任何一条：在第 %(line)d 行附近出错（%(error)s）。"
                "问题排除后可重新导入同一文件，已收录的内容不会重复。"
            )
            % {"line": stopped_at, "error": type(error).__name__}
        ) from error
    return result


def _audit_changes(result: ImportResult) -> dict[str, Any]:
    return {
        "file": result.filename,
        "format": result.format,
        "platform": result.platform,
        "rows": result.rows_read,
        "accepted": result.accepted,
        "duplicate": result.duplicate,
        "rejected": result.rejected_count,
    }


def _audit_failure(
    *, tenant: Tenant, actor: User | None, source: Source, result: ImportResult, line: int, error: Exception
) -> None:
    """Record the failed import after the rollback, in its own transaction; if even that fails
    (the database is gone), the log line above is the record."""
    try:
        with transaction.atomic():
            audit_record(
                tenant=tenant,
                actor=actor,
                action="mention.import_failed",
                target=source,
                changes={
                    "file": result.filename,
                    "format": result.format,
                    "platform": result.platform,
                    "rows": result.rows_read,
                    # Nothing was kept: the counts reached before the failure were rolled back.
                    "accepted": 0,
                    "duplicate": 0,
                    "rejected": 0,
                    "completed": False,
                    "stopped_at_line": line,
                    "error": type(error).__name__,
                },
            )
    except Exception:
        logger.exception("the failed crawler import of %s could not be audited", result.filename)
