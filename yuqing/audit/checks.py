"""System checks of the audit keys (registered by AuditConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.translation import gettext_lazy as _

from yuqing.audit.services.keys import MIN_KEY_LENGTH

KEY_HINT = _(
    "用 python -c 'import secrets; print(secrets.token_urlsafe(32))' 生成一个密钥，"
    "写入环境变量 YUQING_AUDIT_KEYS（多个用逗号分隔，最新的在前；旧密钥须保留，否则其事件无法校验）。"
)


@register("yuqing", deploy=True)
def check_audit_keys_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production the chain's key must not be derivable from SECRET_KEY alone."""
    if settings.DEBUG or settings.AUDIT_KEYS:
        return []
    return [Error(_("生产环境未设置审计日志密钥 YUQING_AUDIT_KEYS。"), hint=KEY_HINT, id="audit.E001")]


@register("yuqing")
def check_audit_keys_length(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    short = [number for number, key in enumerate(settings.AUDIT_KEYS, start=1) if len(key) < MIN_KEY_LENGTH]
    if not short:
        return []
    return [
        Error(
            _("YUQING_AUDIT_KEYS 中第 %(numbers)s 个密钥短于 %(length)s 个字符，太容易被猜中。")
            % {"numbers": "、".join(map(str, short)), "length": MIN_KEY_LENGTH},
            hint=KEY_HINT,
            id="audit.E002",
        )
    ]
