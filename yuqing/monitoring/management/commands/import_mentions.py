"""Import a crawler output file (JSON, JSONL or CSV) into one source of a tenant, and print the counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yuqing.monitoring.models import Source
from yuqing.monitoring.services.crawler_files import crawler_file_import
from yuqing.tenancy.models import Tenant

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "把爬虫导出的 JSON / JSONL / CSV 文件导入到租户的某个信息源，并打印读取、收录、重复、拒绝的条数。"
        '例：manage.py import_mentions huaxin "微博搜索" data/wb/jsonl/search_contents_2025-06-01.jsonl'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="租户标识（slug）")
        parser.add_argument("source", help="信息源名称")
        parser.add_argument("file", help="文件路径；路径中的 data/{平台}/ 用于识别平台")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"], is_active=True).first()
        if tenant is None:
            raise CommandError(_("找不到启用中的租户“%(slug)s”。") % {"slug": options["tenant"]})
        source = Source.objects.for_tenant(tenant).filter(name=options["source"]).first()
        if source is None:
            names = "、".join(Source.objects.for_tenant(tenant).values_list("name", flat=True)[:20]) or _("（无）")
            raise CommandError(
                _("租户“%(tenant)s”没有名为“%(source)s”的信息源。现有信息源：%(names)s")
                % {"tenant": tenant.slug, "source": options["source"], "names": names}
            )
        path = Path(options["file"])
        try:
            result = crawler_file_import(tenant=tenant, actor=None, source=source, upload=path, filename=str(path))
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error

        platform = result.platform or _("未识别")
        self.stdout.write(
            _("文件：%(file)s（%(format)s，平台 %(platform)s）")
            % {"file": result.filename, "format": result.format.upper(), "platform": platform}
        )
        self.stdout.write(
            _("读取 %(read)d 条，收录 %(accepted)d 条，重复 %(duplicate)d 条，拒绝 %(rejected)d 条。")
            % {
                "read": result.rows_read,
                "accepted": result.accepted,
                "duplicate": result.duplicate,
                "rejected": result.rejected_count,
            }
        )
        for row in result.rejected[:SHOWN_REJECTIONS]:
            self.stdout.write(_("  第 %(line)d 行：%(reason)s") % {"line": row.line, "reason": row.reason})
        if result.rejected_count > SHOWN_REJECTIONS:
            self.stdout.write(_("  ……另有 %(count)d 条被拒绝。") % {"count": result.rejected_count - SHOWN_REJECTIONS})
