"""Small display helpers of the incident pages: severity colours, SLA state badges, mentions."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from incidents.selectors.sla import SLA_STATE_CSS, SLA_STATE_LABELS

register = template.Library()

# 分级预警 colours: I 红 / II 橙 / III 黄 / IV 蓝.
SEVERITY_LEVELS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
SEVERITY_SHORT = {1: "I", 2: "II", 3: "III", 4: "IV"}
MENTION = re.compile(r"(?<![\w@])@([\w.@+-]{1,150})")


@register.filter
def severity_level(severity: int | None) -> str:
    return SEVERITY_LEVELS.get(int(severity or 4), "blue")


@register.simple_tag
def severity_badge(incident: object) -> SafeString:
    severity = int(getattr(incident, "severity", 4) or 4)
    return format_html(
        '<span class="badge level-{}" data-severity="{}" title="{}">{}</span>',
        SEVERITY_LEVELS.get(severity, "blue"),
        severity,
        incident.get_severity_display(),  # type: ignore[attr-defined]
        _("%(grade)s 级") % {"grade": SEVERITY_SHORT.get(severity, "?")},
    )


@register.simple_tag
def sla_badge(state: str | None) -> SafeString:
    if not state:
        return mark_safe('<span class="faint">—</span>')
    return format_html(
        '<span class="badge badge-{}" data-sla="{}">{}</span>',
        SLA_STATE_CSS.get(state, "muted"),
        state,
        SLA_STATE_LABELS.get(state, state),
    )


@register.filter(needs_autoescape=True)
def mentions(text: str, autoescape: bool = True) -> SafeString:
    """Escape the text and highlight @username mentions."""
    escaped = conditional_escape(text) if autoescape else text
    # Safe: the text is escaped above, and the pattern matches no markup characters.
    return mark_safe(MENTION.sub(r'<span class="mention">@\1</span>', str(escaped)))  # noqa: S308


@register.filter
def duration_zh(value: dt.timedelta | None) -> str:
    """A duration as the desk says it: 2 天 3 小时 5 分钟 (under a minute: 不足 1 分钟)."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("不足 1 分钟")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d 天") % {"n": days})
    if hours:
        parts.append(_("%(n)d 小时") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)d 分钟") % {"n": minutes})
    return " ".join(parts)
