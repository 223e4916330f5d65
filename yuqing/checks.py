"""System checks of the machine the system runs on (`manage.py check`, and at every start).

Registered by `yuqing.tenancy.apps.TenancyConfig.ready()`. They run in the plain `check` too,
not only with `--deploy`, so a developer sees them on the first `bin/run`.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from typing import Any

from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning
from django.utils.translation import gettext_lazy as _

TAG = "yuqing"
FONT_HINT = _("在 Debian/Ubuntu 上执行 bin/setup（或 apt-get install fontconfig fonts-noto-cjk）后重启。")


@cache
def cjk_font_families() -> tuple[str, ...] | None:
    """The families fontconfig knows for Chinese, or None when fc-list is not installed.

    Cached per process: fonts do not change while it runs, and a check runs on every command.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({line.strip() for line in result.stdout.splitlines() if line.strip()}))


@register(TAG)
def check_cjk_font(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """PDF reports embed a local CJK font; without one WeasyPrint draws Chinese as empty boxes."""
    families = cjk_font_families()
    if families is None:
        return [
            CheckWarning(
                _("找不到 fc-list，无法确认是否安装了中文字体；PDF 报告中的中文可能无法显示。"),
                hint=FONT_HINT,
                id="yuqing.W001",
            )
        ]
    if not families:
        return [
            CheckWarning(
                _("未找到中文（CJK）字体：PDF 报告中的中文将显示为方框。"),
                hint=FONT_HINT,
                id="yuqing.W002",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_feeds_private_addresses(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The switch that lets feed polls reach loopback/private addresses is for development and tests."""
    from django.conf import settings

    if settings.DEBUG or not getattr(settings, "YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES", False):
        return []
    return [
        CheckWarning(
            _("生产环境开启了 YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES：订阅抓取可访问本机、内网和云元数据地址。"),
            hint=_("该开关仅供开发和测试使用，请在生产环境中删除或设为 0。"),
            id="yuqing.W020",
        )
    ]
