"""Display helpers of the monitoring pages: level badges in the tenant's label style, polarity and
triage badges, factor shares, and matched risk terms highlighted in a mention's text."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yuqing.monitoring.models import LEVEL_COLOURS, Level, Mention, Polarity

register = template.Library()

POLARITY_CSS = {Polarity.NEGATIVE: "danger", Polarity.NEUTRAL: "muted", Polarity.POSITIVE: "success"}
TRIAGE_CSS = {
    Mention.Triage.NEW: "muted",
    Mention.Triage.RELEVANT: "primary",
    Mention.Triage.NOT_RELEVANT: "muted",
    Mention.Triage.DISMISSED: "muted",
    Mention.Triage.ESCALATED: "danger",
}


@register.filter
def level_colour(level: int | None) -> str:
    try:
        return LEVEL_COLOURS[Level(int(level))]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def level_badge(level: int | None, labels: dict | None = None) -> SafeString:
    """The level as a coloured badge, named in the tenant's label style (`labels` from level_labels)."""
    colour = level_colour(level)
    if not colour:
        return format_html('<span class="badge badge-muted" data-level="">{}</span>', _("未达预警"))
    label = (labels or {}).get(int(level)) or Level(int(level)).label  # type: ignore[arg-type]
    return format_html('<span class="badge level-{}" data-level="{}">{}</span>', colour, int(level), label)


@register.simple_tag
def polarity_badge(mention: Mention) -> SafeString:
    """The analyst's label when there is one (marked 人工), else the model's polarity."""
    value = mention.labelled_polarity or mention.polarity
    if not value:
        return mark_safe('<span class="faint">—</span>')
    label = Polarity(value).label
    manual = (
        format_html(' <span class="faint" title="{}">·{}</span>', _("人工标注"), _("人工"))
        if mention.labelled_polarity
        else ""
    )
    return format_html(
        '<span class="badge badge-{}" data-polarity="{}">{}</span>{}', POLARITY_CSS[value], value, label, manual
    )


@register.simple_tag
def triage_badge(mention: Mention) -> SafeString:
    return format_html(
        '<span class="badge badge-{}" data-triage="{}">{}</span>',
        TRIAGE_CSS.get(mention.triage, "muted"),
        mention.triage,
        mention.get_triage_display(),
    )


@register.filter
def percent(share: float | int | None) -> str:
    """0.34 → "34%" (one decimal under 10 %)."""
    try:
        value = float(share or 0) * 100
    except (TypeError, ValueError):
        return "—"
    return f"{value:.1f}%" if 0 < value < 10 else f"{value:.0f}%"


@register.filter
def bar_width(share: float | int | None) -> str:
    """A share as a CSS width, at least a sliver when it is not zero."""
    try:
        value = max(0.0, min(1.0, float(share or 0))) * 100
    except (TypeError, ValueError):
        value = 0.0
    return f"{max(value, 1.5) if value else 0:.1f}%"


@register.filter(needs_autoescape=True)
def highlight(text: str, terms: Iterable[str] | None, autoescape: bool = True) -> SafeString:
    """Escape `text` and wrap every occurrence of the terms in <mark> (longest terms first)."""
    escape = conditional_escape if autoescape else (lambda value: value)
    words = sorted({term for term in (terms or []) if term}, key=len, reverse=True)
    if not text or not words:
        return mark_safe(escape(text or ""))  # noqa: S308 - escaped
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f'<mark class="term">{escape(match.group(0))}</mark>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    # Safe: every piece of the text is escaped above; the only markup is our own <mark>.
    return mark_safe("".join(parts))  # noqa: S308


@register.filter
def factor_label(factor: dict) -> str:
    labels = {
        "keywords": _("关键词"),
        "sentiment": _("情感"),
        "reach": _("传播量"),
        "source": _("信息源权重"),
        "velocity": _("传播速度"),
        "customer": _("涉及客户"),
    }
    # By key first: the label stored in the explanation is the Chinese one of scoring time.
    key = factor.get("key", "")
    return labels.get(key) or _(factor.get("label") or key)
