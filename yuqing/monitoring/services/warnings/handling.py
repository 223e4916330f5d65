"""What a warning's level sets off: the customer-service queue, or an incident and the duty roster.

- Blue and yellow: queue customer_service; the active members of the tenant's 客服 departments
  who may act (handlers, managers, admins) are notified in the portal, once per warning and level
  (dedupe_key "warning:<id>:<level>"). A tenant with nobody there notifies the duty roster instead.
- Orange and red: queue incident. The story is handed to incidents' intake
  (incidents.services.intake.story_intake, as a StoryReport of plain values): it joins the story's
  open incident (its customers completed, a timeline note, its severity raised when the warning is
  more severe; never lowered), else opens a new one with severity = level (which proposes the
  emergency plan for I/II). The duty roster (intake.duty_roster: the managers and admins of the
  management department, or every active manager and admin when that department has none) is
  notified once per warning and level.
- Later mentions of a story with an open incident join it (customers, one note per batch when a
  mention reached a level or named a new customer). When the incident was closed but the warning
  was not, another orange or red mention opens a new incident (the story flared up again).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from incidents.models import MediaLevel
from incidents.services.intake import StoryReport, duty_roster
from yuqing.monitoring.models import Level, Mention, RiskWarning, Source, Story, WarningPolicy
from yuqing.monitoring.services.warnings.routing import Message
from yuqing.notify.models import Notification
from yuqing.notify.services import Outgoing, notification_send, notification_send_many
from yuqing.tenancy.models import Department, Membership, Role, Tenant

if TYPE_CHECKING:
    from incidents.models import Incident

INCIDENT_LEVELS = (Level.RED, Level.ORANGE)
CS_ROLES = [Role.HANDLER, Role.MANAGER, Role.ADMIN]
PLAN_2006_NAMES = {
    Level.RED: gettext_lazy("特别严重"),
    Level.ORANGE: gettext_lazy("严重"),
    Level.YELLOW: gettext_lazy("较重"),
    Level.BLUE: gettext_lazy("一般"),
}
COLOUR_NAMES = {
    Level.RED: gettext_lazy("红色"),
    Level.ORANGE: gettext_lazy("橙色"),
    Level.YELLOW: gettext_lazy("黄色"),
    Level.BLUE: gettext_lazy("蓝色"),
}
SELF_MEDIA_KINDS = {
    Source.Kind.WEIBO,
    Source.Kind.WECHAT,
    Source.Kind.XIAOHONGSHU,
    Source.Kind.DOUYIN,
    Source.Kind.TIEBA,
    Source.Kind.ZHIHU,
    Source.Kind.FORUM,
    Source.Kind.COMMUNITY,
}
NOTE_TITLES = 3


def queue_for(level: int) -> str:
    return RiskWarning.Queue.INCIDENT if level in INCIDENT_LEVELS else RiskWarning.Queue.CUSTOMER_SERVICE


def level_name(level: int, policy: WarningPolicy | None = None) -> str:
    """The level as the tenant names it: 2024 law (橙色 II 级) or 2006 plan (严重（橙色）)."""
    level = Level(level)
    if policy is not None and policy.label_style == WarningPolicy.LabelStyle.PLAN_2006:
        return f"{PLAN_2006_NAMES[level]}（{COLOUR_NAMES[level]}）"
    return str(level.label)


def _link(name: str, pk: int) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def warning_link(warning: RiskWarning) -> str:
    return _link("monitoring:warning-detail", warning.pk)


def signature_terms(story: Story) -> list[str]:
    signature = story.signature if isinstance(story.signature, dict) else {}
    return [str(term) for term in signature.get("terms") or []][:5]


def describe(story: Story, warning: RiskWarning, level: int, policy: WarningPolicy | None, customers: list[str]) -> str:
    parts = [_("级别：%(level)s，风险分 %(score)d") % {"level": level_name(level, policy), "score": warning.score}]
    terms = signature_terms(story)
    if terms:
        parts.append(_("关键词：%(terms)s") % {"terms": "、".join(terms)})
    if customers:
        parts.append(_("涉及客户：%(names)s") % {"names": "、".join(customers[:5])})
    parts.append(_("相关信息 %(count)d 条") % {"count": story.mention_count})
    return "；".join(parts) + "。"


def customer_names(story_ids: list[int], *, tenant: Tenant) -> dict[int, list[str]]:
    """{story pk: names of its customers (at most five)}, in one query for many stories."""
    names: dict[int, list[str]] = {}
    rows = Story.customers.through.objects.for_tenant(tenant).filter(story_id__in=story_ids).order_by("customer_id")
    for story_id, name in rows.values_list("story_id", "customer__name"):
        if len(names.setdefault(story_id, [])) < 5:
            names[story_id].append(name)
    return names


def warning_message(
    story: Story, warning: RiskWarning, level: int, policy: WarningPolicy | None, customers: list[str] | None = None
) -> Message:
    """The text of a warning: its story's title (channels put the level in front), a summary, a link."""
    if customers is None:
        customers = customer_names([story.pk], tenant=story.tenant).get(story.pk, [])
    body = describe(story, warning, level, policy, customers)
    return Message(title=story.title, body=body, link=warning_link(warning))


def portal_title(message: Message, level: int) -> str:
    return _("【%(level)s预警】%(title)s") % {"level": COLOUR_NAMES[Level(level)], "title": message.title}


# ------------------------------------------------------------------------------------ recipients


def customer_service_members(*, tenant: Tenant) -> list[Membership]:
    return list(
        Membership.objects.for_tenant(tenant)
        .filter(
            is_active=True,
            role__in=CS_ROLES,
            department__kind=Department.Kind.CUSTOMER_SERVICE,
            department__is_active=True,
        )
        .order_by("pk")
    )


def notify_customer_service(
    *, tenant: Tenant, items: list[tuple[RiskWarning, int, Message]], recipients: list[Membership] | None = None
) -> int:
    """Tell the customer-service members of each (warning, level, message), in one INSERT for the batch."""
    if not items:
        return 0
    if recipients is None:
        recipients = customer_service_members(tenant=tenant) or duty_roster(tenant=tenant)
    return notification_send_many(
        outgoing=[
            Outgoing(
                recipient=recipient,
                kind=Notification.Kind.WARNING,
                title=portal_title(message, level),
                body=message.body + _("请客服首办。"),
                link=message.link,
                dedupe_key=f"warning:{warning.pk}:{level}",
            )
            for warning, level, message in items
            for recipient in recipients
        ]
    )


def notify_duty(
    *, tenant: Tenant, warning: RiskWarning, level: int, message: Message, incident: Incident, dedupe_key: str = ""
) -> list[Notification]:
    """The duty roster hears of the warning at this level once (or once per `dedupe_key` given)."""
    return notification_send(
        tenant=tenant,
        recipients=duty_roster(tenant=tenant),
        kind=Notification.Kind.WARNING,
        title=portal_title(message, level),
        body=message.body + _("已转事件 %(code)s 处置。") % {"code": incident.code},
        link=_link("incidents:incident-detail", incident.pk) or message.link,
        dedupe_key=dedupe_key or f"warning:{warning.pk}:{level}",
    )


# ------------------------------------------------------------------------------------- incidents


def media_level_of(mentions: Iterable[Mention]) -> str:
    """Self-media when every source is a platform of individuals; unknown (blank) otherwise."""
    kinds = {mention.source.kind for mention in mentions if mention.source_id}
    return MediaLevel.SELF_MEDIA if kinds and kinds <= SELF_MEDIA_KINDS else ""


def _mention_lines(mentions: list[Mention]) -> str:
    ranked = sorted(mentions, key=lambda m: (-(m.score or 0), m.pk))[:NOTE_TITLES]
    return "；".join(
        f"{(m.title or m.body[:40]).strip()}（{m.score or 0}）{(' ' + m.url) if m.url else ''}" for m in ranked
    )


def join_note(*, story: Story, warning: RiskWarning, policy: WarningPolicy | None, mentions: list[Mention]) -> str:
    """The timeline note of new mentions joining the story's open incident."""
    note = _("预警“%(title)s”新增 %(count)d 条相关信息，当前级别 %(level)s，最高风险分 %(score)d。") % {
        "title": story.title,
        "count": len(mentions),
        "level": level_name(warning.level, policy),
        "score": max((m.score or 0 for m in mentions), default=warning.score),
    }
    return note + _mention_lines(mentions)


def story_report(
    *,
    tenant: Tenant,
    warning: RiskWarning,
    story: Story,
    severity: int | None,
    policy: WarningPolicy | None,
    mentions: list[Mention],
    join_mentions: list[Mention],
    new_customer_ids: set[int],
    joining: bool,
    note: str = "",
) -> StoryReport:
    """The story as incidents' intake takes it. `joining`: the warning's incident is open (locked by
    incidents_lock), so the new incident's summary and customers are not needed. `mentions`
    describe a new incident, `join_mentions` the note for an open one; `note` replaces that note,
    and goes on a new incident's timeline."""
    summary, customer_ids, reach, media_level = "", (), 0, ""
    if not joining:
        customers = list(
            Customer.objects.for_tenant(tenant).filter(stories=story).order_by("pk").values_list("pk", "name")
        )
        level = severity if severity is not None else warning.level
        summary = _("由舆情预警登记：%(describe)s") % {
            "describe": describe(story, warning, level, policy, [name for _pk, name in customers])
        }
        lines = _mention_lines(mentions)
        if lines:
            summary += _("主要信息：%(lines)s") % {"lines": lines}
        signature = story.signature if isinstance(story.signature, dict) else {}
        customer_ids = tuple(pk for pk, _name in customers)
        reach = int(signature.get("reach") or 0)
        media_level = media_level_of(mentions)
    return StoryReport(
        title=story.title,
        severity=severity,
        summary=summary,
        join_note=note or join_note(story=story, warning=warning, policy=policy, mentions=join_mentions),
        open_note=note,
        incident_id=warning.incident_id,
        customer_ids=customer_ids,
        new_customer_ids=frozenset(new_customer_ids),
        estimated_reach=reach,
        media_level=media_level,
    )
