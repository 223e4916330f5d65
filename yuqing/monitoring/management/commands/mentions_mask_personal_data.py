"""Mask ID and mobile numbers in mentions stored before ingestion masked them (run once after upgrading).

New mentions are masked when they are ingested; this command brings the stored ones (and the
story titles, incident titles and summaries, notifications and deliveries copied from them) to
the same state, keeping each original encrypted for the audited reveal. It is idempotent: run it
again and it changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yuqing.monitoring.services.personal_data import mentions_mask_stored
from yuqing.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Mask ID and mobile numbers in stored mentions (originals kept encrypted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="只处理这个租户（slug）；默认处理全部租户")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.order_by("pk")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(_("找不到租户“%(slug)s”。") % {"slug": options["tenant"]})
        for tenant in tenants:
            counts = mentions_mask_stored(tenant=tenant)
            self.stdout.write(
                _(
                    "%(tenant)s：遮盖了 %(mentions)d 条信息、%(stories)d 个话题、%(incidents)d 个事件、"
                    "%(notifications)d 条站内通知、%(deliveries)d 条推送。"
                )
                % {"tenant": tenant.slug, **counts}
            )
