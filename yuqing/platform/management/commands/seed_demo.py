"""Load the demo data: every app's `demo.DEMO_STEPS`, lower layers first. Safe to run again."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import AppConfig, apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from yuqing.platform.demo_run import demo_logins_text
from yuqing.tenancy.demo import DemoData, DemoStep


def demo_steps_of(app_config: AppConfig) -> list[DemoStep]:
    module_name = f"{app_config.name}.demo"
    if importlib.util.find_spec(module_name) is None:
        return []
    return list(getattr(importlib.import_module(module_name), "DEMO_STEPS", []))


def demo_seed(*, log: Any = lambda line: None) -> DemoData:
    """Run every app's demo steps in one transaction: all the demo data, or none of it."""
    demo = DemoData(log=log)
    with transaction.atomic():
        for app_config in apps.get_app_configs():
            for step in demo_steps_of(app_config):
                step(demo)
    return demo


class Command(BaseCommand):
    help = _("载入演示数据（两个演示租户及各部门人员）。可重复运行：已有的数据不会改动。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-logins", action="store_true", help=_("不打印演示账号列表"))

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        demo = demo_seed(log=(lambda line: self.stdout.write(f"  + {line}")) if verbosity >= 2 else (lambda line: None))
        if demo.created:
            self.stdout.write(self.style.SUCCESS(_("演示数据已载入：新建 %(count)d 项。") % {"count": demo.created}))
        else:
            self.stdout.write(_("演示数据已存在，未做任何修改。"))
        if not options["no_logins"] and verbosity >= 1:
            self.stdout.write(demo_logins_text())
