"""Load a tenant's holiday schedule (date,kind,note CSV): every row is checked first, then all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yuqing.tenancy.models import Tenant
from yuqing.workcalendar.services import calendar_overrides_import
from yuqing.workcalendar.services.holiday_file import holiday_file_parse


class Command(BaseCommand):
    help = (
        "导入租户的放假与调休安排（CSV：日期,类别,说明；类别为“休息日”或“工作日”）。"
        "先检查全部行，有任何错误则一行也不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="租户标识（slug）")
        parser.add_argument("file", help="CSV 文件路径")
        parser.add_argument(
            "--complete-years",
            action="store_true",
            help="文件是所涉年份的完整国务院放假安排：这些年份不再提示“按周一至周五推算”",
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查，不导入")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(_("找不到标识为“%(slug)s”的租户。") % {"slug": options["tenant"]})
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error.strerror})

        parsed = holiday_file_parse(data)
        if not parsed.is_valid:
            for message in parsed.errors:
                self.stderr.write(message)
            raise CommandError(
                _("文件有 %(count)d 处错误，未导入任何数据。请修改后重新导入。") % {"count": len(parsed.errors)}
            )
        if options["dry_run"]:
            self.stdout.write(_("检查通过：%(count)d 行，未导入（--dry-run）。") % {"count": len(parsed.rows)})
            return

        result = calendar_overrides_import(
            tenant=tenant, actor=None, rows=parsed.rows, complete_years=options["complete_years"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("已为“%(tenant)s”导入 %(count)d 行：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d。")
                % {
                    "tenant": tenant.name,
                    "count": len(parsed.rows),
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        )
        if options["complete_years"]:
            years = "、".join(str(year) for year in sorted(result.years))
            self.stdout.write(_("已登记完整放假安排的年份：%(years)s") % {"years": years})
