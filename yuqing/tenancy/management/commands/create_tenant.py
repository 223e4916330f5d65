"""Create a tenant with its six default departments and, optionally, its first administrator."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from yuqing.tenancy.models import Department, Role, Tenant, User
from yuqing.tenancy.services import membership_add, tenant_create


def _messages(error: ValidationError) -> str:
    return "；".join(str(message) for message in error.messages)


class Command(BaseCommand):
    help = (
        "创建租户（含六个默认部门），可同时创建或指定其管理员。"
        '例：manage.py create_tenant huaxin "华信融资租赁有限公司" --admin zhaolei --admin-email zl@example.cn'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="租户标识：字母、数字、下划线或连字符，如 huaxin-leasing")
        parser.add_argument("name", help="租户名称，如“华信融资租赁有限公司”")
        parser.add_argument("--time-zone", default="Asia/Shanghai", help="时区（默认 Asia/Shanghai）")
        parser.add_argument("--admin", metavar="USERNAME", help="管理员用户名；用户不存在时新建")
        parser.add_argument("--admin-email", default="", help="新建管理员的电子邮箱")
        parser.add_argument("--admin-name", default="", help="新建管理员的姓名")
        parser.add_argument(
            "--admin-password", help="新建管理员的初始密码；省略时在终端提示输入（非交互运行时必须提供）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug, name = options["slug"].strip(), options["name"].strip()
        self._check_tenant(slug, name, options["time_zone"])
        admin = self._admin_user(options) if options["admin"] else None

        with transaction.atomic():
            try:
                tenant = tenant_create(slug=slug, name=name, time_zone=options["time_zone"], actor=None)
            except ValidationError as error:
                raise CommandError(_("无法创建租户：%(errors)s") % {"errors": _messages(error)}) from error
            if admin is not None:
                if admin.pk is None:
                    admin.save()
                management = Department.objects.for_tenant(tenant).filter(kind=Department.Kind.MANAGEMENT).first()
                membership_add(tenant=tenant, actor=None, user=admin, role=Role.ADMIN, department=management)

        self.stdout.write(
            self.style.SUCCESS(
                _("已创建租户“%(name)s”（%(slug)s），含 %(count)d 个默认部门。")
                % {"name": tenant.name, "slug": tenant.slug, "count": Department.objects.for_tenant(tenant).count()}
            )
        )
        if admin is not None:
            self.stdout.write(_("管理员：%(username)s") % {"username": admin.username})

    def _check_tenant(self, slug: str, name: str, time_zone: str) -> None:
        existing = Tenant.objects.filter(slug=slug).first()
        if existing is not None:
            raise CommandError(
                _("标识“%(slug)s”已被租户“%(name)s”使用，请换一个标识。") % {"slug": slug, "name": existing.name}
            )
        if not name:
            raise CommandError(_("租户名称不能为空。"))
        candidate = Tenant(slug=slug, name=name, time_zone=time_zone)
        try:
            candidate.full_clean()
        except ValidationError as error:
            problems = []
            if "slug" in error.message_dict:
                problems.append(
                    _("标识“%(slug)s”无效：只能使用字母、数字、下划线或连字符，且不超过 50 个字符。") % {"slug": slug}
                )
            if "time_zone" in error.message_dict:
                problems.append(_("未知的时区“%(tz)s”，例如 Asia/Shanghai。") % {"tz": time_zone})
            problems += [
                f"{field}: {message}"
                for field, messages in error.message_dict.items()
                if field not in {"slug", "time_zone"}
                for message in messages
            ]
            raise CommandError(" ".join(problems)) from error

    def _admin_user(self, options: dict[str, Any]) -> User:
        """The existing user named by --admin, or a new, unsaved one with a checked password."""
        username = options["admin"].strip()
        user = User.objects.filter(username=username).first()
        if user is not None:
            if options["admin_password"]:
                raise CommandError(
                    _("用户“%(username)s”已存在，不会修改其密码；请去掉 --admin-password。") % {"username": username}
                )
            return user
        user = User(username=username, email=options["admin_email"], display_name=options["admin_name"])
        try:
            User._meta.get_field("username").run_validators(username)
            if user.email:
                validate_email(user.email)
        except ValidationError as error:
            raise CommandError(_("管理员信息无效：%(errors)s") % {"errors": _messages(error)}) from error
        password = options["admin_password"] or self._prompt_password(username)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(_("密码不符合要求：%(errors)s") % {"errors": _messages(error)}) from error
        user.set_password(password)
        return user

    def _prompt_password(self, username: str) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                _("非交互运行时请用 --admin-password 提供新管理员“%(username)s”的密码。") % {"username": username}
            )
        password = getpass.getpass(_("管理员 %(username)s 的密码：") % {"username": username})
        if password != getpass.getpass(_("再输入一次：")):
            raise CommandError(_("两次输入的密码不一致。"))
        return password
