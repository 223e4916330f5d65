"""One item: validated field by field (a Chinese reason when it fails) and normalised into an unsaved Mention."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yuqing import privacy
from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.ingestion.normalize import (
    MAX_COUNT,
    canonical_url,
    content_fingerprint,
    normalize_identifier,
    normalize_text,
    parse_count,
    parse_datetime,
)
from yuqing.monitoring.services.ingestion.screen import (
    MAX_EXTRA_CHARS,
    MAX_KEYWORD_CHARS,
    MAX_URL_CHARS,
    Hostile,
    item_screen,
)
from yuqing.monitoring.services.personal_data import mention_mask_personal_data
from yuqing.tenancy.models import Tenant

MAX_TITLE_CHARS = 300  # stored length: longer titles are cut
FUTURE_TOLERANCE = dt.timedelta(days=1)

COUNT_FIELDS = ("likes", "comments", "shares", "views", "followers")

# Field names for the reasons, lazy: translated only when an item is rejected.
_WHAT_TITLE = gettext_lazy("标题")
_WHAT_BODY = gettext_lazy("正文")
_WHAT_EXTERNAL_ID = gettext_lazy("外部编号")
_WHAT_URL = gettext_lazy("链接")
_WHAT_PUBLISHED = gettext_lazy("发布时间")
_WHAT_RETRIEVED = gettext_lazy("采集时间")
_WHAT_AUTHOR = gettext_lazy("作者")
_WHAT_KEYWORD = gettext_lazy("采集关键词")


def _count_label(name: str) -> str:
    return {
        "likes": _("点赞数"),
        "comments": _("评论数"),
        "shares": _("转发数"),
        "views": _("阅读数"),
        "followers": _("粉丝数"),
    }[name]


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- validation and normalisation


def author_pseudonymise(*, tenant: Tenant, author: str) -> tuple[str, str]:
    """(salted hash, masked nickname) of a crawled author: the clear name is never stored.

    The hash is keyed per tenant (HMAC, key derived from SECRET_KEY), so one tenant's hashes
    cannot be matched against another's; the display keeps the first character: 张三 → 张**.
    """
    author = normalize_text(author, multiline=False)
    if not author:
        return "", ""
    return privacy.digest(author, purpose=f"mention-author:{tenant.pk}"), f"{author[0]}**"


def _text(raw: dict, key: str, what: Promise, *, numbers: bool = False) -> str:
    """The item's text field; identifiers (external ids, author ids) may also be integers."""
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, str) or (numbers and isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise Rejected(_("%(what)s必须是文本") % {"what": what})


def _time(value: object, *, what: Promise, now: dt.datetime) -> dt.datetime:
    if value is None or value == "":
        return now
    try:
        result = parse_datetime(value)
    except ValueError:
        shown = str(value)[:40]
        raise Rejected(_("%(what)s格式无法识别：%(value)s") % {"what": what, "value": shown})
    if result > now + FUTURE_TOLERANCE:
        raise Rejected(_("%(what)s晚于当前时间超过 1 天") % {"what": what})
    return result


@dataclass(slots=True)
class Candidate:
    """A valid item, normalised, not yet classified."""

    index: int
    mention: Mention

    @property
    def external_id(self) -> str:
        return self.mention.external_id

    @property
    def identity(self) -> tuple[str, str]:
        return identity_of(self.mention.external_id, self.mention.url)


def identity_of(external_id: str, url: str) -> tuple[str, str]:
    """Which item this is, within its source: its external id, else its URL, else nothing more."""
    if external_id:
        return ("id", external_id)
    if url:
        return ("url", url)
    return ("", "")


def clean_item(index: int, raw: object, *, tenant: Tenant, source: Source, via: str, now: dt.datetime) -> Candidate:
    if not isinstance(raw, dict):
        raise Rejected(_("条目必须是 JSON 对象"))
    # Step 1: hostile values (lone surrogates, NUL, NaN, deep nesting, oversize text), every path.
    try:
        item_screen(raw)
    except Hostile as hostile:
        raise Rejected(hostile.reason) from None
    # Step 2: field by field, normalised. Length limits were checked on the raw values above.
    to_simplified = source.to_simplified
    title = normalize_text(_text(raw, "title", _WHAT_TITLE), to_simplified=to_simplified, multiline=False)
    body = normalize_text(_text(raw, "body", _WHAT_BODY), to_simplified=to_simplified) or title
    if not body:
        raise Rejected(_("缺少正文（body）"))
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1] + "…"

    external_id = normalize_identifier(_text(raw, "external_id", _WHAT_EXTERNAL_ID, numbers=True))

    try:
        url = canonical_url(_text(raw, "url", _WHAT_URL))
    except ValueError:
        raise Rejected(_("链接必须是 http:// 或 https:// 开头的网址"))
    if len(url) > MAX_URL_CHARS:  # the raw URL was within the limit, percent-encoding made it longer
        raise Rejected(_("规范化后的链接超过 %(max)d 个字符") % {"max": MAX_URL_CHARS})

    published_at = _time(raw.get("published_at"), what=_WHAT_PUBLISHED, now=now)
    retrieved_at = _time(raw.get("retrieved_at"), what=_WHAT_RETRIEVED, now=now)

    counts: dict[str, int] = {}
    for name in COUNT_FIELDS:
        try:
            value = parse_count(raw.get(name))
        except ValueError:
            raise Rejected(_("%(label)s（%(name)s）格式错误") % {"label": _count_label(name), "name": name})
        if value < 0:
            raise Rejected(_("%(label)s（%(name)s）不能为负数") % {"label": _count_label(name), "name": name})
        if value > MAX_COUNT:
            raise Rejected(_("%(label)s（%(name)s）超出范围") % {"label": _count_label(name), "name": name})
        counts[name] = value

    author_hash, author_display = author_pseudonymise(
        tenant=tenant, author=_text(raw, "author", _WHAT_AUTHOR, numbers=True)
    )
    # Within the limit raw; NFKC can still expand a character ("㍿" → 4), so the column's limit holds.
    keyword = normalize_text(_text(raw, "keyword", _WHAT_KEYWORD), multiline=False)[:MAX_KEYWORD_CHARS]

    extra = raw.get("extra")
    if extra is None:
        extra = {}
    elif not isinstance(extra, dict):
        raise Rejected(_("附加字段（extra）必须是 JSON 对象"))
    elif extra:
        encoded = json.dumps(extra, ensure_ascii=False, default=str)
        if len(encoded) > MAX_EXTRA_CHARS:
            raise Rejected(_("附加字段（extra）超过 %(max)d 个字符") % {"max": MAX_EXTRA_CHARS})
        extra = json.loads(encoded)  # what the database gives back: no datetimes, Decimals, tuples

    mention = Mention(
        tenant=tenant,
        source=source,
        external_id=external_id,
        url=url,
        title=title,
        body=body,
        author_hash=author_hash,
        author_display=author_display,
        keyword=keyword,
        published_at=published_at,
        retrieved_at=retrieved_at,
        via=via,
        content_hash=content_fingerprint(title, body),
        extra=extra,
        status=Mention.Status.PENDING,
        **counts,
    )
    mention_mask_personal_data(mention)  # a separate step: ID and mobile numbers masked, originals encrypted
    return Candidate(index=index, mention=mention)
