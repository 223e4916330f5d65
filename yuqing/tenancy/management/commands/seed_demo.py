"""Load the demo data: every app's `demo.DEMO_STEPS`, lower layers first. Safe to run again."""

from __future__ import annotations

import importlib
import importlib.util
from itertools import groupby
from typing import Any

from django.apps import AppConfig, apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from yuqing.tenancy.demo import DEMO_PASSWORD, DEMO_TENANTS, DemoData, DemoStep, demo_logins
from yuqing.tenancy.management.commands.runall import portal_url


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


def demo_logins_text() -> str:
    names = {spec.slug: spec.name for spec in DEMO_TENANTS}
    lines = [_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD}]
    for slug, rows in groupby(demo_logins(), key=lambda row: row[0]):
        lines.append(f"  {names[slug]}（{slug}）")
        lines.extend(
            f"    {username:<10} {name}\t{role}\t{department}" for _slug, username, name, role, department in rows
        )
    lines.append(_("门户地址：%(url)s") % {"url": portal_url()})
    return "\n".join(lines)
