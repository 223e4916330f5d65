"""Normalising what the ingestion paths deliver: text, URLs, counts, times, and the content fingerprint.

Decisions, so every path stores the same text for the same content:
- Unicode NFKC folds full-width letters, digits and symbols to ASCII (`ＡＢＣ１２３％＠` → `ABC123%@`)
  and the ideographic space to a space, but it would also turn Chinese punctuation into ASCII
  (`，！？：；（）` → `,!?:;()`, `…` → `...`). Those marks are kept as they are: they are the
  normal punctuation of Chinese text, and analysts read the stored body. The CJK marks `。、「」【】《》`
  are untouched by NFKC anyway.
- Zero-width characters, bidirectional controls, soft hyphens and control characters are removed;
  runs of spaces become one space, line breaks become `\\n`, at most one blank line is kept.
- Traditional → simplified uses snownlp's table (`snownlp.normal.zh.zh2hans`), script only: its
  vocabulary substitutions (Taiwan/Hong Kong terms, e.g. 互聯網 → 因特网, 共用 → 共享) are left out,
  because they would break keyword rules (互联网金融) and some rewrite text that is already simplified.
- The content fingerprint ignores punctuation, spacing, case, script (traditional/simplified) and
  repost wrappers (`转发微博`, `//@某某:` chains), so a repost collides with its original.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import math
import re
import unicodedata
import zoneinfo
from functools import cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CHINA_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

# ---------------------------------------------------------------- text

# Chinese punctuation that NFKC would fold to ASCII and that we keep.
_KEPT_PUNCTUATION = "，！？：；（）～…"
# Placeholders in Supplementary Private Use Area-B: NFKC leaves them alone, and input never keeps any
# (the junk pattern below strips that plane first).
_PROTECT = str.maketrans({ch: chr(0x100000 + i) for i, ch in enumerate(_KEPT_PUNCTUATION)})
_UNPROTECT = str.maketrans({chr(0x100000 + i): ch for i, ch in enumerate(_KEPT_PUNCTUATION)})

# Control characters (but tab and line breaks), soft hyphen, zero-width and bidirectional marks,
# BOM, interlinear annotation, and private-use plane 16.
_JUNK = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U00100000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except the line break; NFKC made most of it a plain space
_SPACE_AROUND_BREAK = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str, *, to_simplified: bool = False, multiline: bool = True) -> str:
    """Text as stored: NFKC (Chinese punctuation kept), no invisible characters, tidy whitespace.

    `multiline=False` (titles) joins lines with a space. Idempotent.
    """
    if not text:
        return ""
    text = _JUNK.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_PROTECT)).translate(_UNPROTECT)
        if to_simplified:
            text = traditional_to_simplified(text)
    text = _LINE_BREAK.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ")
    text = _SPACES.sub(" ", text)
    if multiline:
        text = _BLANK_LINES.sub("\n\n", _SPACE_AROUND_BREAK.sub("\n", text))
    return text.strip()


@cache
def _simplified_tables() -> tuple[dict[int, str], re.Pattern[str] | None, dict[str, str]]:
    """(character table for str.translate, pattern of the kept phrases, phrase → replacement).

    A phrase of snownlp's table is kept when it only corrects the character table in context,
    each character becoming either its table value or staying as it is (顯著 → 显著 not 显着,
    乾坤 stays); phrases that swap in another word (互聯網 → 因特网, 共用 → 共享) are not.
    """
    from snownlp.normal.zh import zh2hans

    chars = {ord(key): value for key, value in zh2hans.items() if len(key) == 1 and key != value}
    chars[ord("畫")] = "画"  # snownlp maps 畫 to 划; 畫 is 画 (划 is 劃)
    phrases: dict[str, str] = {}
    for key, value in zh2hans.items():
        by_character = key.translate(chars)
        if len(key) < 2 or by_character == value or len(value) != len(key):
            continue
        if all(v in (k, b) for k, b, v in zip(key, by_character, value, strict=True)):
            phrases[key] = value
    if not phrases:
        return chars, None, phrases
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    return chars, pattern, phrases


def traditional_to_simplified(text: str) -> str:
    """Traditional Chinese script → simplified (character table, plus the phrases that guard words like 乾坤)."""
    chars, pattern, phrases = _simplified_tables()
    if pattern is None:
        return text.translate(chars)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(text[position : match.start()].translate(chars))
        parts.append(phrases[match.group()])
        position = match.end()
    parts.append(text[position:].translate(chars))
    return "".join(parts)


# ---------------------------------------------------------------- URLs

TRACKING_PARAMS = frozenset(
    {
        "spm",
        "spm_id_from",
        "from",
        "from_source",
        "fbclid",
        "gclid",
        "msclkid",
        "yclid",
        "igshid",
        "isappinstalled",
        "scene",
        "clicktime",
        "enterid",
        "ref",
        "ref_src",
        "wfr",
        "vd_source",
        "xsec_source",
        "_hsenc",
        "_hsmi",
        "mc_cid",
        "mc_eid",
    }
)
TRACKING_PREFIXES = ("utm_", "share_", "sharer_")


def canonical_url(url: str) -> str:
    """One spelling per address: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (utm_*, spm, from, share_*, …), the other parameters sorted.

    Raises ValueError when it is not an http(s) URL with a host. "" stays "".
    """
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased, brackets of an IPv6 address removed
    if scheme not in ("http", "https") or not host:
        raise ValueError("not an http(s) URL")
    port = parts.port  # raises ValueError for a port out of range
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (80 if scheme == "http" else 443):
        host = f"{host}:{port}"
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{credentials}@{host}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    )
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


# ---------------------------------------------------------------- fingerprint

# `//@某某:` — Weibo's repost chain: "my comment//@B:B's comment//@C:…".
_REPOST_CHAIN = re.compile(r"//\s*@[^:：\s/]{1,40}\s*[:：]")
_REPOST_PREFIX = re.compile(
    r"^(?:\s*(?:转发微博|转发了)\s*[:：]?\s*"
    r"|\s*(?:转发|转载|转|repost|rt)\s*[:：]\s*"
    r"|\s*[【\[](?:转载|转发|转)[】\]]\s*"
    r"|\s*回复\s*@[^:：\s]{1,40}\s*[:：]\s*)+",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[\W_]+")
# Below this many significant characters a body is too short to identify content on its own
# ("如题", "转发微博"), and the title joins the fingerprint.
_SHORT_BODY = 30


def _core(text: str) -> str:
    """The significant characters: simplified, lower-case, no punctuation, spacing or symbols."""
    return _NOT_WORD.sub("", normalize_text(text, to_simplified=True).casefold())


def strip_repost_wrapper(text: str) -> str:
    """The reposted text inside a repost: without `转发微博` prefixes and `//@某某:` chains.

    In a chain the last segment is the oldest text, the one everybody passed on; when it is empty
    (a bare `//@某某:`), the text before the chain is used.
    """
    segments = _REPOST_CHAIN.split(text)
    for segment in reversed(segments) if len(segments) > 1 else segments:
        segment = _REPOST_PREFIX.sub("", segment)
        if _NOT_WORD.sub("", segment):
            return segment
    return _REPOST_PREFIX.sub("", text)


def content_fingerprint(title: str, body: str) -> str:
    """SHA-256 (hex) of the content, equal for reposts that differ in spacing, punctuation, script
    or repost wrappers. A short body is fingerprinted with its title, so that two forum posts
    "如题" under different titles stay apart."""
    body_core = _core(strip_repost_wrapper(body or ""))
    if len(body_core) >= _SHORT_BODY:
        key = body_core
    else:
        key = f"{_core(strip_repost_wrapper(title or ''))}\x1f{body_core}"
        if key == "\x1f":
            # Nothing significant (emoji only, "转发微博"): the normalised text itself.
            key = "\x1e" + normalize_text(f"{title or ''}\n{body or ''}", to_simplified=True)
    return hashlib.sha256(key.encode()).hexdigest()


# ---------------------------------------------------------------- counts and times

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space, as Chinese input methods type them.
FULL_WIDTH = str.maketrans({0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: " "})
# A count written as text, checked on the raw string (the OpenAPI schema states the same pattern, see
# the Count schema): ASCII or full-width digits, thousands separators, a decimal part, a Chinese or
# w/k unit, a trailing "+". Other digits ("²", "١٢", "一万") are refused: NFKC would read "10²" as 102.
COUNT_PATTERN = (
    r"^[ \t\u3000]*(?:[0-9\uff10-\uff19][0-9\uff10-\uff19,\uff0c]*(?:[.\uff0e][0-9\uff10-\uff19]+)?"
    r"[ \t\u3000]*(?:万|亿|千|百|[wWkK\uff57\uff37\uff4b\uff2b])?[+\uff0b]?)?[ \t\u3000]*$"
)
_COUNT_TEXT = re.compile(COUNT_PATTERN)
_COUNT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(万|亿|千|百|w|k)?\+?$", re.IGNORECASE)
_COUNT_UNITS = {None: 1, "万": 10_000, "亿": 100_000_000, "千": 1_000, "百": 100, "w": 10_000, "k": 1_000}
MAX_COUNT = 2**63 - 1


def parse_count(value: object) -> int:
    """An interaction count as crawlers write it: 12, 12.0, "12", "1,234", "1.2万", "10万+", "3亿", "１２", "".

    None and "" are 0. Returns negative numbers as they are (the caller rejects them); raises
    ValueError for anything else: NaN/Infinity, fractions (12.5), digits other than ASCII and
    full-width ones.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    if not isinstance(value, str):
        raise ValueError("not a number")
    if value.isascii() and value.isdigit():
        return int(value)  # ValueError past Python's 4,300 digits
    text = value.strip()
    negative = text.startswith(("-", "\uff0d"))
    if negative:
        text = text[1:]
    if _COUNT_TEXT.fullmatch(text) is None:
        raise ValueError("not a number")
    text = text.translate(FULL_WIDTH).replace(",", "").replace(" ", "").replace("\t", "")
    if not text:
        return 0
    match = _COUNT.match(text)
    if match is None:
        raise ValueError("not a number")
    number, unit = match.groups()
    result = round(float(number) * _COUNT_UNITS[unit.lower() if unit else None])
    return -result if negative else result


def normalize_identifier(text: str) -> str:
    """An identifier as stored: full-width ASCII folded, invisible characters removed, spaces tidied.

    Not NFKC: that would make "²" and "2", or "ｶ" and "カ", one identifier, and merge two items.
    """
    if not text:
        return ""
    text = _JUNK.sub("", text).translate(FULL_WIDTH)
    return _SPACES.sub(" ", _LINE_BREAK.sub(" ", text)).strip()


_DATE_TIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(\d{1,2})\s*[:时]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?\s*分?)?$"
)
_EPOCH = re.compile(r"^\d+(?:\.\d+)?$")
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


def parse_datetime(value: object, *, default_tz: dt.tzinfo = CHINA_TZ) -> dt.datetime:
    """An aware datetime from what crawlers and feeds write.

    A datetime (naive ones are China time); epoch seconds, milliseconds (> 1e12) or microseconds
    (> 1e15) as a number or a digit string; "YYYY-MM-DD HH:MM:SS" and its variants (/ . 年月日,
    without seconds or time) in China time; ISO 8601 with or without offset; RFC 2822 (RSS).
    Raises ValueError for anything else, and for times before 1990.
    """
    result: dt.datetime | None = None
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError as error:  # an int past 1e308
            raise ValueError("out of range") from error
        result = _from_epoch(number)
    elif isinstance(value, str):
        text = normalize_text(value, multiline=False)
        if not text:
            raise ValueError("empty")
        if _EPOCH.match(text):
            result = _from_epoch(float(text))
        else:
            result = _from_text(text)
    else:
        raise ValueError("not a time")
    if result.tzinfo is None:
        result = result.replace(tzinfo=default_tz)
    if result < EARLIEST:
        raise ValueError("too early")
    return result


def _from_epoch(number: float) -> dt.datetime:
    if not math.isfinite(number) or number <= 0:
        raise ValueError("not a time")
    if number > 1e15:
        number /= 1_000_000
    elif number > 1e12:
        number /= 1000
    try:
        return dt.datetime.fromtimestamp(number, tz=dt.UTC)
    except (OverflowError, OSError) as error:
        raise ValueError("out of range") from error


def _from_text(text: str) -> dt.datetime:
    match = _DATE_TIME.match(text)
    if match:
        year, month, day, hour, minute, second, fraction = match.groups()
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as error:
        raise ValueError("not a time") from error
    if parsed is None:
        raise ValueError("not a time")
    return parsed
