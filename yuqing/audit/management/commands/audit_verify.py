"""manage.py audit_verify [--tenant SLUG]: check every tenant's audit hash chain.

Each chain is also compared with the signed head checkpoint that the previous run left outside
the database (settings.AUDIT_CHECKPOINT_DIR), and an intact one gets a new checkpoint.
Exit status: 0 when every chain holds, 1 when one is broken or disagrees with its checkpoint,
2 for an unknown tenant.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yuqing.audit.services.checkpoint import checkpoints_without_tenant
from yuqing.audit.services.verify import CHUNK_SIZE, ChainReport, chain_verify_all
from yuqing.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Verify every tenant's audit hash chain (gaps, previous-hash links, recomputed hashes, checkpoints)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.description = _(
            "校验审计日志的哈希链：逐个租户检查序号连续、上一条哈希相符、哈希可复算，并与上次的链头检查点比对。"
        )
        parser.add_argument("--tenant", metavar="SLUG", help=_("只校验这个租户（标识）"))
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help=_("每次读取的事件数"))

    def handle(self, *args: Any, tenant: str | None = None, chunk_size: int = CHUNK_SIZE, **options: Any) -> None:
        if chunk_size < 1:
            raise CommandError(_("--chunk-size 须为正整数。"), returncode=2)
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(_("没有标识为 %(slug)s 的租户。") % {"slug": tenant}, returncode=2)

        broken = 0
        for report in chain_verify_all(tenants=tenants, chunk_size=chunk_size):
            if report.is_intact:
                self.stdout.write(self.style.SUCCESS(self._ok_line(report)))
                continue
            broken += 1
            if report.first_break is not None:
                self.stdout.write(self.style.ERROR(self._break_line(report)))
            if report.checkpoint_problem is not None:
                self.stdout.write(
                    self.style.ERROR(
                        _("%(slug)s: 与链头检查点不符：%(problem)s")
                        % {"slug": report.tenant.slug, "problem": report.checkpoint_problem}
                    )
                )
        if not tenant:
            for problem in checkpoints_without_tenant(
                tenant_ids=set(Tenant.objects.values_list("pk", flat=True)), directory=settings.AUDIT_CHECKPOINT_DIR
            ):
                broken += 1
                self.stdout.write(self.style.ERROR(problem))
        if broken:
            raise CommandError(_("%(count)s 个租户的审计哈希链已断开。") % {"count": broken}, returncode=1)

    def _ok_line(self, report: ChainReport) -> str:
        line = _("%(slug)s: OK %(count)s events") % {"slug": report.tenant.slug, "count": report.events_checked}
        if report.head_sequence is not None:
            line += _("（链头 #%(sequence)s %(hash)s）") % {"sequence": report.head_sequence, "hash": report.head_hash}
        return line

    def _break_line(self, report: ChainReport) -> str:
        assert report.first_break is not None
        return _("%(slug)s: 断链于序号 %(sequence)s（事件编号 %(event_id)s）：%(problem)s") % {
            "slug": report.tenant.slug,
            "sequence": report.first_break.sequence,
            "event_id": report.first_break.event_id,
            "problem": report.first_break.problem,
        }
