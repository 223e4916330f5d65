"""Hostile values screened out of an item before any other step reads it.

This is the one place where every ingestion path (JSON API, crawler files, RSS/Atom, manual
entry) refuses values that no later step could handle and that would otherwise fail the whole
batch's transaction, or the response, instead of one item:

- a lone surrogate (`"\\ud800"` in JSON) anywhere, in a key or a value, however deep: it is not
  text, cannot be encoded as UTF-8, so neither the database nor the JSON answer can carry it;
- NUL and the other C0 control characters in the values kept verbatim (the URL, `extra`'s keys
  and values): PostgreSQL cannot store NUL in text or jsonb. The free-text fields (title, body,
  author, keyword, external id) are normalised later, which removes control characters;
- NaN and ±Infinity (Python's `json` reads them): not numbers any database or JSON can hold;
- nesting deeper than MAX_EXTRA_DEPTH levels in `extra` (and containers anywhere deeper than
  that), which also keeps every later recursive step (json.dumps, jsonb) far from its limits;
- text fields longer than the limits the OpenAPI schema states (checked on the raw value, so
  the schema and the validator agree, and megabytes are never normalised only to be refused).

It only refuses, never changes a value; a refused item gets a Chinese reason naming the field.
Separate from normalisation (`items.clean_item`) and from any later masking of personal data.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BODY_CHARS = 20_000
MAX_TITLE_CHARS_RAW = 20_000  # stored titles are cut to 300 characters; longer than a body is refused
MAX_EXTERNAL_ID_CHARS = 200
MAX_URL_CHARS = 1000
MAX_KEYWORD_CHARS = 100
MAX_AUTHOR_CHARS = 1000
MAX_EXTRA_CHARS = 20_000
MAX_EXTRA_DEPTH = 20
# Integer identifiers (external ids, author ids) are platform ids: what a signed 64-bit column holds.
MAX_INTEGER_ID = 2**63 - 1

# Raw length limits of the text fields, as the OpenAPI schema states them.
TEXT_LIMITS: dict[str, int] = {
    "title": MAX_TITLE_CHARS_RAW,
    "body": MAX_BODY_CHARS,
    "external_id": MAX_EXTERNAL_ID_CHARS,
    "url": MAX_URL_CHARS,
    "author": MAX_AUTHOR_CHARS,
    "keyword": MAX_KEYWORD_CHARS,
}
# Fields stored as they come: control characters there are refused, not removed.
VERBATIM_FIELDS = frozenset({"url", "extra"})

# C0 control characters but tab and line breaks, and DEL. The OpenAPI schema states the same
# (as the pattern of a text that holds none) for the source name.
CONTROL_CHARACTERS = r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
NO_CONTROL_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
_CONTROL = re.compile(CONTROL_CHARACTERS)


class Hostile(Exception):
    """An item (or a source name) holds a value that cannot be stored; `reason` says which, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Lazy: the walk below names the field of every value it looks at, and a translated label is only
# needed for the rare value it refuses (translating eagerly cost ~15 s per 10,000 items).
FIELD_LABELS = {
    "title": gettext_lazy("标题（title）"),
    "body": gettext_lazy("正文（body）"),
    "external_id": gettext_lazy("外部编号（external_id）"),
    "url": gettext_lazy("链接（url）"),
    "author": gettext_lazy("作者（author）"),
    "keyword": gettext_lazy("采集关键词（keyword）"),
    "extra": gettext_lazy("附加字段（extra）"),
    "published_at": gettext_lazy("发布时间（published_at）"),
    "retrieved_at": gettext_lazy("采集时间（retrieved_at）"),
    "likes": gettext_lazy("点赞数（likes）"),
    "comments": gettext_lazy("评论数（comments）"),
    "shares": gettext_lazy("转发数（shares）"),
    "views": gettext_lazy("阅读数（views）"),
    "followers": gettext_lazy("粉丝数（followers）"),
}
FIELD_NAME_LABEL = gettext_lazy("字段名")


def _other_field_label(name: str) -> str:
    return _("字段“%(name)s”") % {"name": printable(name)}


_other_field_label_lazy = lazy(_other_field_label, str)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or _other_field_label_lazy(name)


def printable(text: str, limit: int = 40) -> str:
    """`text` safe to show in a reason: lone surrogates replaced, control characters escaped, cut."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text[:limit])


def is_text(text: str) -> bool:
    """False for a string with a lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_screen(text: str, *, what: str, verbatim: bool = True) -> None:
    """Raise Hostile for a lone surrogate, or (when stored `verbatim`) a control character such as NUL."""
    if not is_text(text):
        raise Hostile(_("%(what)s含有无效的 Unicode 字符（孤立的代理项），不是文本") % {"what": what})
    if verbatim and _CONTROL.search(text):
        raise Hostile(_("%(what)s含有控制字符（如 NUL），无法保存") % {"what": what})


def item_screen(raw: dict[Any, Any]) -> None:
    """Raise Hostile when the item holds a value no later step can handle (see the module docstring)."""
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        if isinstance(value, str) and len(value) > limit:
            if name == "body":
                raise Hostile(_("正文超过 %(max)d 字") % {"max": limit})
            raise Hostile(_("%(what)s超过 %(max)d 个字符") % {"what": field_label(name), "max": limit})
        if isinstance(value, int) and not isinstance(value, bool) and name in ("external_id", "author"):
            if not 0 <= value <= MAX_INTEGER_ID:
                raise Hostile(_("%(what)s超出范围（0 到 2^63-1）") % {"what": field_label(name)})
    # One iterative walk over everything (no recursion: depth is what is being checked).
    stack: list[tuple[Any, str, int]] = []
    for key, value in raw.items():
        if isinstance(key, str):
            text_screen(key, what=FIELD_NAME_LABEL, verbatim=False)
        name = key if isinstance(key, str) else str(key)
        stack.append((value, name, 1))
    while stack:
        value, top, depth = stack.pop()
        what = field_label(top)
        if isinstance(value, str):
            text_screen(value, what=what, verbatim=top in VERBATIM_FIELDS)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise Hostile(_("%(what)s含有 NaN 或 Infinity，不是有效的数值") % {"what": what})
        elif isinstance(value, dict | list | tuple):
            if depth > MAX_EXTRA_DEPTH:
                raise Hostile(_("%(what)s嵌套超过 %(max)d 层") % {"what": what, "max": MAX_EXTRA_DEPTH})
            if isinstance(value, dict):
                for key, child in value.items():
                    if isinstance(key, str):
                        text_screen(key, what=what, verbatim=top in VERBATIM_FIELDS)
                    stack.append((child, top, depth + 1))
            else:
                stack.extend((child, top, depth + 1) for child in value)
