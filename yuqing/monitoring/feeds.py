"""RSS/Atom polling: fetch a source's feed, turn its entries into mentions, record how it went.

Decisions:
- The feed is fetched with urllib (http/https only, redirects included; a clear User-Agent;
  a socket timeout and an overall deadline; at most 5 MB) and a conditional GET from the
  source's stored ETag / Last-Modified, so an unchanged feed costs a 304 and nothing else.
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
- Entries become ingestion items: external id = entry id, else link; text is HTML converted to
  plain text with the standard library's parser; published_at from published/updated (feedparser
  gives UTC), else now. Everything then goes through `mentions_ingest(via="feed")`, which
  de-duplicates, so polling the same feed again adds no mentions.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.monitoring.ingestion import mentions_ingest
from yuqing.monitoring.models import Mention, Source
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.selectors import get_for_tenant

logger = logging.getLogger(__name__)

USER_AGENT = "YuqingMonitor/1.0 (RSS/Atom poller; +https://github.com/yuqing)"
FEED_TIMEOUT_SECONDS = 15.0
MAX_FEED_BYTES = 5 * 1024 * 1024
INGEST_CHUNK = 1000
# A source polled every 15 minutes is due again a little early rather than a minute late.
DUE_SLACK = timedelta(seconds=30)
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


class FeedError(Exception):
    """A feed could not be fetched or read; the message is for the source's status, in Chinese."""


# --- fetching


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http/https only (urllib would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme not in {"http", "https"}:
            raise FeedError(_("订阅地址重定向到了不支持的地址：%(url)s") % {"url": newurl[:200]})
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass
class _Fetched:
    body: bytes
    headers: dict[str, str]
    not_modified: bool = False


def _too_big() -> FeedError:
    return FeedError(_("内容过大（超过 %(limit)d MB）") % {"limit": MAX_FEED_BYTES // (1024 * 1024)})


def _read_limited(response: Any, *, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(64 * 1024):
        size += len(chunk)
        if size > MAX_FEED_BYTES:
            raise _too_big()
        if time.monotonic() > deadline:
            raise FeedError(_("超时"))
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(body: bytes) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_FEED_BYTES + 1)
    except zlib.error:
        raise FeedError(_("不是有效的 RSS/Atom（压缩数据损坏）")) from None
    if len(data) > MAX_FEED_BYTES:
        raise _too_big()
    return data


def _fetch(source: Source, *, timeout: float) -> _Fetched:
    url = source.feed_url.strip()
    if urlsplit(url).scheme not in {"http", "https"}:
        raise FeedError(_("订阅地址无效：只支持 http 和 https"))
    request = urllib.request.Request(  # noqa: S310 (scheme checked above and on every redirect)
        url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
            "Accept-Encoding": "gzip",
        },
    )
    if source.feed_etag:
        request.add_header("If-None-Match", source.feed_etag)
    if source.feed_modified:
        request.add_header("If-Modified-Since", source.feed_modified)
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    deadline = time.monotonic() + timeout * 2
    try:
        with opener.open(request, timeout=timeout) as response:
            headers = {key.lower(): value for key, value in response.headers.items()}
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_FEED_BYTES:
                raise _too_big()
            body = _read_limited(response, deadline=deadline)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304:
            return _Fetched(b"", {}, not_modified=True)
        raise FeedError(_("HTTP 错误 %(code)d") % {"code": error.code}) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise FeedError(_("超时")) from None
        raise FeedError(_("无法连接：%(reason)s") % {"reason": str(error.reason)[:200]}) from None
    except TimeoutError:
        raise FeedError(_("超时")) from None
    except (http.client.HTTPException, OSError, ValueError) as error:
        raise FeedError(_("无法连接：%(reason)s") % {"reason": str(error)[:200] or type(error).__name__}) from None
    if headers.get("content-encoding", "").lower() == "gzip":
        body = _gunzip(body)
    return _Fetched(body, headers)


# --- parsing


def _parse(fetched: _Fetched, *, url: str) -> tuple[Any, str]:
    """(feedparser result, note for the source). Raises FeedError when there is no feed to read."""
    response_headers = {"content-type": fetched.headers.get("content-type", ""), "content-location": url}
    parsed = feedparser.parse(io.BytesIO(fetched.body), response_headers=response_headers)
    note = ""
    if parsed.get("encoding", "").lower() in _FALLBACK_ENCODINGS and isinstance(
        parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown
    ):
        try:
            text = fetched.body.decode("gb18030")
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


def feed_poll(*, tenant: Tenant, source: Source, timeout: float | None = None) -> FeedPollResult:
    """Poll one source's feed now and record the outcome on it. Never raises for a bad feed.

    A paused source or one without a feed URL is skipped (status "skipped", nothing recorded).
    Another tenant's source is a 404, like a missing one.
    """
    source = get_for_tenant(Source, tenant=tenant, pk=source.pk)
    if source.is_paused or not source.feed_url:
        return FeedPollResult(status="skipped")
    now = timezone.now()
    fields = ["last_polled_at", "last_poll_status", "last_poll_error"]
    try:
        fetched = _fetch(source, timeout=timeout or FEED_TIMEOUT_SECONDS)
        if fetched.not_modified:
            result = FeedPollResult(status=Source.PollStatus.NOT_MODIFIED)
        else:
            parsed, note = _parse(fetched, url=source.feed_url)
            items = [entry_to_item(entry, now=now) for entry in parsed.entries]
            result = _ingest(tenant=tenant, source=source, items=items)
            result.note = note
            source.feed_etag = fetched.headers.get("etag", "")[:200]
            source.feed_modified = fetched.headers.get("last-modified", "")[:100]
            fields += ["feed_etag", "feed_modified"]
    except FeedError as error:
        result = FeedPollResult(status=Source.PollStatus.ERROR, error=str(error))
    except ValidationError as error:
        result = FeedPollResult(status=Source.PollStatus.ERROR, error="；".join(error.messages)[:500])
    if result.status == Source.PollStatus.ERROR:
        logger.info("feed poll failed: tenant=%s source=%s error=%s", tenant.pk, source.pk, result.error)
    source.last_polled_at = now
    source.last_poll_status = result.status
    source.last_poll_error = (result.error or result.note)[:500]
    source.save(update_fields=fields)
    return result


def _ingest(*, tenant: Tenant, source: Source, items: list[dict[str, Any]]) -> FeedPollResult:
    result = FeedPollResult(status=Source.PollStatus.OK, entries=len(items))
    for start in range(0, len(items), INGEST_CHUNK):
        report = mentions_ingest(
            tenant=tenant, source=source, items=items[start : start + INGEST_CHUNK], via=Mention.Via.FEED
        )
        for outcome in report.results:
            if outcome.status == "accepted":
                result.accepted += 1
            elif outcome.status == "duplicate":
                result.duplicate += 1
            else:
                result.rejected += 1
    return result


def feed_sources_due(*, now: datetime | None = None) -> list[Source]:
    """Every tenant's feed sources that are due a poll: not paused, with a URL, interval elapsed.

    A platform read across tenants (the scheduler's). The interval is compared in Python: the
    sources with feeds are few, and interval arithmetic in SQL differs between SQLite and PostgreSQL.
    """
    now = now or timezone.now()
    candidates = (
        Source.objects.dangerously_all_tenants()
        .filter(kind=Source.Kind.FEED, is_paused=False, tenant__is_active=True)
        .exclude(feed_url="")
        .select_related("tenant")
        .order_by(F("last_polled_at").asc(nulls_first=True), "pk")
    )
    return [
        source
        for source in candidates
        if source.last_polled_at is None
        or source.last_polled_at + timedelta(minutes=max(source.poll_minutes, 1)) - DUE_SLACK <= now
    ]
