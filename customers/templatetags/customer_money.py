"""Amounts as people in Chinese lending read them: 5.20 亿元, 3,200.00 万元."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

YI = Decimal("100000000")
WAN = Decimal("10000")
MILLION = Decimal("1000000")


@register.filter
def cny(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    if not (get_language() or "").startswith("zh"):
        # 亿 and 万 have no English unit: English readers get millions.
        if abs(amount) >= MILLION:
            return f"CNY {intcomma(f'{amount / MILLION:.2f}')} million"
        return f"CNY {intcomma(f'{amount:.2f}')}"
    if abs(amount) >= YI:
        return _("%(n)s 亿元") % {"n": intcomma(f"{amount / YI:.2f}")}
    if abs(amount) >= WAN:
        return _("%(n)s 万元") % {"n": intcomma(f"{amount / WAN:.2f}")}
    return _("%(n)s 元") % {"n": intcomma(f"{amount:.2f}")}
