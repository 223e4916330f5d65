"""RSS/Atom polling: fetch a source's feed, turn its entries into mentions, record how it went.

Decisions:
- The feed is fetched by `feed_fetch.fetch` (http/https only, redirects included, each hop's
  address checked against loopback/private/metadata addresses and connected to as checked; a
  clear User-Agent; one wall deadline over DNS, connect and read; at most 5 MB) with a
  conditional GET from the source's stored ETag / Last-Modified, so an unchanged feed costs a
  304 and nothing else.
- feedparser parses the BYTES, with the HTTP Content-Type passed along, so it picks the
  encoding from the BOM, the HTTP charset or the XML prolog (gb2312 is read as GB18030, its
  superset, as browsers do). A feed whose declared encoding is wrong (a "utf-8" feed in GBK, the
  classic of Chinese CMSes) makes feedparser fall back to windows-1252 mojibake; then the bytes
  are decoded as GB18030 and parsed again. The body goes in as a stream: feedparser would open a
  string that looks like a path or URL.
- A broken feed (feedparser's "bozo") that still yields entries is accepted, with a note on the
  source; one with no entries, or something that is not a feed at all, is an error. Timeouts,
  refused connections, HTTP errors and oversize answers are errors too. None of these raise:
  each is recorded on the source (last_poll_status / last_poll_error, in Chinese) for the portal.
- Poison entries are skipped alone with the reason recorded on the source: references to
  characters XML forbids (&#0;, &#xD800;) are defused before parsing and the entries holding
  them skipped; an entry that cannot be converted, that ingestion rejects, or that makes it raise
  (a savepoint per failing part, `ingestion.guarded`) is skipped too, and the poll goes on.
- Entries become ingestion items: external id = entry id, else link; text is HTML converted to
  plain text with the standard library's parser; published_at from published/updated (feedparser
  gives UTC), else now. Everything then goes through `mentions_ingest(via="feed")`, which
  de-duplicates, so polling the same feed again adds no mentions.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.feed_fetch import FetchError, fetch, too_big_error
from yuqing.monitoring.services.ingestion.guarded import ingest_isolated, tally
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.selectors import get_for_tenant

logger = logging.getLogger(__name__)

USER_AGENT = "YuqingMonitor/1.0 (RSS/Atom poller; +https://github.com/yuqing)"
# The whole poll's wall limit: DNS, connect, every redirect and the last byte of the body.
FEED_TIMEOUT_SECONDS = 30.0
MAX_FEED_BYTES = 5 * 1024 * 1024
INGEST_CHUNK = 1000
# What feedparser falls back to when the declared encoding fails: the sign of a mislabelled GBK feed.
_FALLBACK_ENCODINGS = {"windows-1252", "iso-8859-1", "iso-8859-2", "cp1252"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


@dataclass
class FeedPollResult:
    status: str  # Source.PollStatus value (ok / not_modified / error), or "skipped"
    error: str = ""
    note: str = ""
    entries: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    # Why each skipped entry was skipped ("第 3 条（…）"), also recorded on the source.
    skipped: list[str] = field(default_factory=list)


# The fetch's errors are the poll's: their message goes to the source's status, in Chinese.
FeedError = FetchError


# --- fetching


@dataclass
class _Fetched:
    body: bytes
    headers: dict[str, str]
    not_modified: bool = False


def _gunzip(body: bytes) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_FEED_BYTES + 1)
    except zlib.error:
        raise FeedError(_("不是有效的 RSS/Atom（压缩数据损坏）")) from None
    if len(data) > MAX_FEED_BYTES:
        raise too_big_error(MAX_FEED_BYTES)
    return data


def _fetch(source: Source, *, timeout: float) -> _Fetched:
    """The feed's bytes, within `timeout` seconds of wall time in all (feed_fetch.fetch)."""
    url = source.feed_url.strip()
    if urlsplit(url).scheme not in {"http", "https"}:
        raise FeedError(_("订阅地址无效：只支持 http 和 https"))
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
        "Accept-Encoding": "gzip",
        "Connection": "close",
    }
    if source.feed_etag:
        headers["If-None-Match"] = source.feed_etag
    if source.feed_modified:
        headers["If-Modified-Since"] = source.feed_modified
    fetched = fetch(url, headers=headers, deadline_seconds=timeout, max_bytes=MAX_FEED_BYTES)
    if fetched.status == 304:
        return _Fetched(b"", {}, not_modified=True)
    if not 200 <= fetched.status < 300:
        raise FeedError(_("HTTP 错误 %(code)d") % {"code": fetched.status})
    body = fetched.body
    if fetched.headers.get("content-encoding", "").lower() == "gzip":
        body = _gunzip(body)
    return _Fetched(body, fetched.headers)


# --- parsing


# A numeric character reference, in the bytes of any ASCII-compatible encoding (GBK's second bytes
# are all above 0x3F, so "&#" never starts inside a Chinese character).
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")
# Characters XML 1.0 does not allow at all (controls, surrogates, U+FFFE/U+FFFF).
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_allows(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _defuse_char_refs(body: bytes) -> tuple[bytes, str]:
    """Replace references to characters XML forbids (&#0;, &#xD800;, &#99999999999;) by a marker
    unique to this poll, so the parser reads on (feedparser itself crashes on a lone surrogate)
    and the entries that held them can be told and skipped. (new body, marker)."""
    marker = f"YUQINGBADCHAR{secrets.token_hex(8)}"

    def replace(match: re.Match[bytes]) -> bytes:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        return match.group(0) if _xml_allows(code) else marker.encode()

    return _CHAR_REF.sub(replace, body), marker


def _parse(fetched: _Fetched, *, url: str) -> tuple[Any, str]:
    """(feedparser result, note for the source). Raises FeedError when there is no feed to read."""
    response_headers = {"content-type": fetched.headers.get("content-type", ""), "content-location": url}
    try:
        return _parse_body(fetched.body, response_headers=response_headers)
    except FeedError:
        raise
    except Exception:  # whatever a hostile feed makes the parser trip over: an error on the source, not a crash
        logger.warning("feedparser raised on %s", url[:200], exc_info=True)
        raise FeedError(_("不是有效的 RSS/Atom（解析出错）")) from None


def _parse_body(body: bytes, *, response_headers: dict[str, str]) -> tuple[Any, str]:
    parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    note = ""
    if parsed.get("encoding", "").lower() in _FALLBACK_ENCODINGS and isinstance(
        parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown
    ):
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            reparsed = feedparser.parse(
                io.BytesIO(text.encode("utf-8")),
                response_headers={**response_headers, "content-type": "application/xml; charset=utf-8"},
            )
            if reparsed.entries or not parsed.entries:
                parsed = reparsed
                note = _("声明的编码与内容不符，已按 GB18030（GBK）解码")
    problem = parsed.get("bozo_exception")
    # Encoding and media-type remarks are feedparser's "things nobody cares about": not a broken feed.
    is_broken = bool(parsed.get("bozo")) and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)
    if not parsed.entries and (is_broken or not parsed.get("version")):
        raise FeedError(_("不是有效的 RSS/Atom"))
    if is_broken:
        note = _("订阅格式不规范，已尽量解析：%(problem)s") % {"problem": str(problem)[:200]}
    return parsed, note


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset(
        "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote section article header footer pre hr".split()
    )
    SKIPPED = frozenset({"script", "style", "noscript", "template", "iframe"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _detail_text(value: str, detail: Any) -> str:
    kind = (detail or {}).get("type", "text/html")
    return html_to_text(value) if kind in _HTML_TYPES else value.strip()


class PoisonEntry(Exception):
    """An entry that cannot become an item; the message (Chinese) is the reason recorded."""


def _poison_reason(item: dict[str, Any], *, marker: str) -> str:
    labels = {
        "url": _("链接"),
        "title": _("标题"),
        "body": _("正文"),
        "author": _("作者"),
        "external_id": _("条目 ID"),
    }
    for name, label in labels.items():
        value = item.get(name)
        if isinstance(value, str) and ((marker and marker in value) or _NOT_XML_CHAR.search(value)):
            return _("%(field)s含 XML 不允许的字符（如 &#0; 或代理码位）") % {"field": label}
    return ""


def entry_to_item(entry: Any, *, now: datetime) -> dict[str, Any]:
    """One feedparser entry → one ingestion item."""
    link = (entry.get("link") or "").strip()
    external_id = (entry.get("id") or link).strip()
    if len(external_id) > 200:
        external_id = "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()
    texts = [_detail_text(content.get("value", ""), content) for content in entry.get("content") or []]
    texts.append(_detail_text(entry.get("summary", ""), entry.get("summary_detail")))
    title = _detail_text(entry.get("title", ""), entry.get("title_detail"))
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    item: dict[str, Any] = {
        "external_id": external_id,
        "url": link,
        "title": title,
        "body": max(texts, key=len) or title,
        "published_at": datetime(*stamp[:6], tzinfo=UTC) if stamp else now,
        # The name only: RSS writes "email (name)", and an e-mail address is not a nickname to mask.
        "author": ((entry.get("author_detail") or {}).get("name") or entry.get("author") or "").strip(),
    }
    tags = [tag.get("term", "").strip() for tag in entry.get("tags") or [] if tag.get("term")]
    if tags:
        item["extra"] = {"tags": tags[:20]}
    return item


# --- the service


@tenant_service(None, atomic=False)
def feed_poll(*, tenant: Tenant, source: Source, timeout: float | None = None) -> FeedPollResult:
    """Poll one source's feed now and record the outcome on it. Never raises for a bad feed.

    `timeout` is the wall limit of the whole fetch (default FEED_TIMEOUT_SECONDS). The fetch and
    parse run outside any transaction (no database transaction waits on someone else's server);
    the entries and the source's new state are then written in one. Each poison entry (one that
    cannot be converted, holds characters XML forbids, is rejected by ingestion or makes it raise)
    is skipped alone, and the reasons are recorded on the source (last_poll_error) beside any note.

    A paused source or one without a feed URL is skipped (status "skipped", nothing recorded).
    Another tenant's source is a 404, like a missing one.
    """
    source = get_for_tenant(Source, tenant=tenant, pk=source.pk)
    if source.is_paused or not source.feed_url:
        return FeedPollResult(status="skipped")
    now = timezone.now()
    fields = ["last_polled_at", "last_poll_status", "last_poll_error"]
    entries: list[tuple[int, dict[str, Any]]] = []
    skipped: list[str] = []
    try:
        fetched = _fetch(source, timeout=timeout or FEED_TIMEOUT_SECONDS)
        if fetched.not_modified:
            result = FeedPollResult(status=Source.PollStatus.NOT_MODIFIED)
        else:
            fetched.body, marker = _defuse_char_refs(fetched.body)
            parsed, note = _parse(fetched, url=source.feed_url)
            for position, entry in enumerate(parsed.entries, start=1):
                try:
                    entries.append((position, _entry_item(entry, now=now, marker=marker)))
                except PoisonEntry as poison:
                    skipped.append(_skip_text(position, str(poison)))
            result = FeedPollResult(status=Source.PollStatus.OK, entries=len(parsed.entries), note=note)
            result.rejected = len(skipped)
            source.feed_etag = fetched.headers.get("etag", "")[:200]
            source.feed_modified = fetched.headers.get("last-modified", "")[:100]
            fields += ["feed_etag", "feed_modified"]
    except FeedError as error:
        result = FeedPollResult(status=Source.PollStatus.ERROR, error=str(error))
    except ValidationError as error:
        result = FeedPollResult(status=Source.PollStatus.ERROR, error="；".join(error.messages)[:500])
    if result.status == Source.PollStatus.ERROR:
        logger.info("feed poll failed: tenant=%s source=%s error=%s", tenant.pk, source.pk, result.error)
    with transaction.atomic():
        if entries:
            skipped += _ingest(tenant=tenant, source=source, entries=entries, result=result)
        if skipped:
            result.skipped = skipped
            skipped_note = _("跳过 %(count)d 条：%(reasons)s") % {"count": len(skipped), "reasons": "；".join(skipped)}
            result.note = "；".join(part for part in (result.note, skipped_note) if part)
        source.last_polled_at = now
        source.last_poll_status = result.status
        source.last_poll_error = (result.error or result.note)[:500]
        source.save(update_fields=fields)
    return result


def _entry_item(entry: Any, *, now: datetime, marker: str) -> dict[str, Any]:
    try:
        item = entry_to_item(entry, now=now)
    except Exception as error:  # an entry of odd shape costs only itself
        raise PoisonEntry(_("无法读取（%(error)s）") % {"error": type(error).__name__}) from error
    if reason := _poison_reason(item, marker=marker):
        raise PoisonEntry(reason)
    return item


def _skip_text(position: int, reason: str) -> str:
    return _("第 %(position)d 条（%(reason)s）") % {"position": position, "reason": reason}


def _ingest(
    *, tenant: Tenant, source: Source, entries: list[tuple[int, dict[str, Any]]], result: FeedPollResult
) -> list[str]:
    """Ingest the entries in chunks, each entry's failure its own (ingest_isolated); the skip texts."""
    skipped: list[str] = []
    for start in range(0, len(entries), INGEST_CHUNK):
        chunk = entries[start : start + INGEST_CHUNK]
        outcomes = ingest_isolated(
            tenant=tenant, source=source, items=[item for _, item in chunk], via=Mention.Via.FEED
        )
        counted = tally(outcomes)
        result.accepted += counted.accepted
        result.duplicate += counted.duplicate
        result.rejected += len(counted.rejected)
        skipped += [_skip_text(chunk[outcome.index][0], outcome.reason) for outcome in counted.rejected]
    return skipped
