"""RSS/Atom polling against a local HTTP server: encodings, broken feeds, timeouts, HTTP errors, 304."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.http import Http404
from django.utils import timezone

from yuqing.monitoring.jobs import feed_poll_job, feeds_poll_due
from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.selectors.feeds import feed_sources_due
from yuqing.monitoring.services import feeds
from yuqing.monitoring.services.feeds import entry_to_item, feed_poll, html_to_text
from yuqing.tenancy.models import Tenant

RSS_UTF8 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>财经快讯</title><link>http://news.example.cn/</link><description>快讯</description>
<item>
  <title>华信地产美元债展期 投资人担忧</title>
  <link>http://news.example.cn/a/1001.html</link>
  <guid isPermaLink="false">news-1001</guid>
  <author>reporter@example.cn (王记者)</author>
  <description>&lt;p&gt;华信地产宣布&lt;b&gt;展期&lt;/b&gt;兑付 &amp;amp; 延期付息。&lt;/p&gt;
    &lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;第二段&lt;/p&gt;</description>
  <pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>
</item>
<item>
  <title>某信托产品逾期 投资者维权</title>
  <link>http://news.example.cn/a/1002.html</link>
  <description>投资者到公司总部维权。</description>
</item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>论坛动态</title><id>urn:forum</id><updated>2025-06-10T12:00:00+08:00</updated>
<entry>
  <id>tag:forum.example.cn,2025:post-7</id>
  <title type="text">求助：借款被暴力催收</title>
  <link href="http://forum.example.cn/t/7"/>
  <updated>2025-06-10T12:00:00+08:00</updated>
  <author><name>匿名网友</name></author>
  <content type="html">&lt;div&gt;催收电话打到单位，&lt;br/&gt;还爆了通讯录。&lt;/div&gt;</content>
</entry>
<entry>
  <id>tag:forum.example.cn,2025:post-8</id>
  <title>某公司停工烂尾</title>
  <link href="http://forum.example.cn/t/8"/>
  <updated>2025-06-09T08:30:00Z</updated>
  <summary>项目停工半年，业主担心烂尾。</summary>
</entry>
</feed>"""

# 镕 is in GBK but not in GB2312: a "gb2312" feed really is GBK, and must still decode.
GBK_TITLE = "朱镕基时代的银行改革：不良贷款处置"
RSS_GBK = f"""<?xml version="1.0" encoding="gb2312"?>
<rss version="2.0"><channel><title>地方新闻网</title><link>http://gbk.example.cn/</link><description>新闻</description>
<item><title>{GBK_TITLE}</title><link>http://gbk.example.cn/n/1.html</link>
<description>地方银行出现挤兑传闻，监管部门约谈。</description><pubDate>Mon, 09 Jun 2025 02:00:00 +0800</pubDate></item>
</channel></rss>""".encode("gbk")
RSS_GBK_HEADER_CHARSET = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>县域新闻</title><link>http://gbk.example.cn/</link><description>x</description>
<item><title>村镇银行取款难 储户聚集</title><link>http://gbk.example.cn/n/2.html</link>
<description>多名储户反映取款难。</description></item>
</channel></rss>""".encode("gbk")
RSS_MISLABELLED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>老站</title><link>http://old.example.cn/</link><description>x</description>
<item><title>某小贷公司被立案调查</title><link>http://old.example.cn/n/3.html</link>
<description>涉嫌非法集资，已被立案。</description></item>
</channel></rss>""".encode("gbk")
RSS_BOZO = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>http://bozo.example.cn/</link><description>x</description>
<item><title>\xe8\xb7\x91\xe8\xb7\xaf\xe4\xba\x86</title><link>http://bozo.example.cn/1</link><description>x</description></item>
<item><title>broken</titl></item>
</channel>"""
NOT_A_FEED = "<html><head><title>维护中</title></head><body><p>网站维护中</p></body></html>".encode()


class FeedServer:
    """A local HTTP server whose routes tests read and change; it records the requests it saw."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
                try:
                    server.route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if "no_length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            if name != "no_length":
                handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path == "/rss.xml":
            if handler.headers.get("If-None-Match") == '"v1"':
                handler.send_response(304)
                handler.end_headers()
                return
            self.send(handler, 200, RSS_UTF8.encode(), "application/rss+xml; charset=utf-8", ETag='"v1"')
        elif path == "/atom.xml":
            self.send(handler, 200, ATOM.encode(), "application/atom+xml")
        elif path == "/gbk.xml":
            self.send(handler, 200, RSS_GBK, "text/xml")
        elif path == "/gbk-header.xml":
            self.send(handler, 200, RSS_GBK_HEADER_CHARSET, "text/xml; charset=GBK")
        elif path == "/mislabelled.xml":
            self.send(handler, 200, RSS_MISLABELLED, "application/xml")
        elif path == "/bozo.xml":
            self.send(handler, 200, RSS_BOZO, "application/xml")
        elif path == "/not-a-feed":
            self.send(handler, 200, NOT_A_FEED, "text/html; charset=utf-8")
        elif path == "/gzip.xml":
            self.send(handler, 200, gzip.compress(ATOM.encode()), "application/atom+xml", Content_Encoding="gzip")
        elif path == "/big-no-length.xml":
            self.send(handler, 200, RSS_UTF8.encode() * 3, "application/rss+xml", no_length="1")
        elif path == "/slow.xml":
            time.sleep(1.0)
            self.send(handler, 200, RSS_UTF8.encode(), "application/rss+xml")
        elif path == "/to-file":
            handler.send_response(302)
            handler.send_header("Location", "file:///etc/passwd")
            handler.end_headers()
        else:
            self.send(handler, 404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    feed_server = FeedServer()
    feed_server.thread.start()
    yield feed_server
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()


@pytest.fixture(autouse=True)
def local_servers_allowed(settings):
    """These tests poll a server on 127.0.0.1, which production refuses (see the SSRF tests below)."""
    settings.YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = True


def _source(tenant: Tenant, url: str, **fields: object) -> Source:
    defaults = {"name": f"订阅 {url[-20:]}", "kind": Source.Kind.FEED, "feed_url": url}
    return Source.objects.create(tenant=tenant, **(defaults | fields))


def _mentions(tenant: Tenant, source: Source) -> list[Mention]:
    return list(Mention.objects.for_tenant(tenant).filter(source=source).order_by("external_id"))


# --- polling outcomes


def test_it_polls_an_rss_feed_into_mentions(tenant_a, server):
    source = _source(tenant_a, server.url("/rss.xml"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert (result.status, result.entries, result.accepted, result.duplicate) == ("ok", 2, 2, 0)
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.OK
    assert source.last_poll_error == ""
    assert source.last_polled_at is not None
    assert source.feed_etag == '"v1"'
    first, second = sorted(_mentions(tenant_a, source), key=lambda m: m.url)
    assert first.external_id == "news-1001"
    assert first.title == "华信地产美元债展期 投资人担忧"
    assert "展期兑付 & 延期付息" in first.body
    assert "第二段" in first.body
    assert "<" not in first.body and "alert" not in first.body
    assert first.published_at == datetime(2025, 6, 10, 4, 0, tzinfo=UTC)
    assert first.via == Mention.Via.FEED
    assert first.author_display == "王**"
    assert "王记者" not in first.author_hash
    # No guid: the link is the id; no date: the time of the poll.
    assert second.external_id == "http://news.example.cn/a/1002.html"
    assert abs(second.published_at - timezone.now()) < timedelta(minutes=1)


def test_it_polls_an_atom_feed(tenant_a, server):
    source = _source(tenant_a, server.url("/atom.xml"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert (result.status, result.accepted) == ("ok", 2)
    post7, post8 = _mentions(tenant_a, source)
    assert post7.external_id == "tag:forum.example.cn,2025:post-7"
    assert post7.url == "http://forum.example.cn/t/7"
    assert post7.body == "催收电话打到单位，\n还爆了通讯录。"
    assert post7.published_at == datetime(2025, 6, 10, 4, 0, tzinfo=UTC)
    assert post8.body == "项目停工半年，业主担心烂尾。"
    assert post8.published_at == datetime(2025, 6, 9, 8, 30, tzinfo=UTC)


def test_a_second_poll_yields_duplicates_not_new_mentions(tenant_a, server):
    source = _source(tenant_a, server.url("/atom.xml"))  # no ETag: the feed is fetched again
    feed_poll(tenant=tenant_a, source=source)
    again = feed_poll(tenant=tenant_a, source=source)

    assert (again.status, again.accepted, again.duplicate) == ("ok", 0, 2)
    assert Mention.objects.for_tenant(tenant_a).filter(source=source).count() == 2


def test_an_unchanged_feed_answers_304_and_is_not_modified(tenant_a, server):
    source = _source(tenant_a, server.url("/rss.xml"))
    feed_poll(tenant=tenant_a, source=source)
    server.requests.clear()

    result = feed_poll(tenant=tenant_a, source=source)

    assert result.status == "not_modified"
    assert server.requests[0][1]["if-none-match"] == '"v1"'
    assert "yuqingmonitor" in server.requests[0][1]["user-agent"].lower()
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.NOT_MODIFIED
    assert source.feed_etag == '"v1"'
    assert Mention.objects.for_tenant(tenant_a).filter(source=source).count() == 2


def test_it_decodes_a_gb2312_declared_feed_with_gbk_characters(tenant_a, server):
    source = _source(tenant_a, server.url("/gbk.xml"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert (result.status, result.accepted) == ("ok", 1)
    (mention,) = _mentions(tenant_a, source)
    assert mention.title == GBK_TITLE
    assert mention.body == "地方银行出现挤兑传闻，监管部门约谈。"
    assert mention.published_at == datetime(2025, 6, 8, 18, 0, tzinfo=UTC)


def test_it_decodes_gbk_named_only_in_the_http_charset(tenant_a, server):
    source = _source(tenant_a, server.url("/gbk-header.xml"))
    feed_poll(tenant=tenant_a, source=source)

    (mention,) = _mentions(tenant_a, source)
    assert mention.title == "村镇银行取款难 储户聚集"


def test_it_decodes_a_utf8_declared_feed_that_is_really_gbk(tenant_a, server):
    source = _source(tenant_a, server.url("/mislabelled.xml"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert result.status == "ok"
    (mention,) = _mentions(tenant_a, source)
    assert mention.title == "某小贷公司被立案调查"
    source.refresh_from_db()
    assert "GB18030" in source.last_poll_error


def test_a_broken_feed_with_entries_is_accepted_with_a_note(tenant_a, server):
    source = _source(tenant_a, server.url("/bozo.xml"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert result.status == "ok"
    assert result.accepted >= 1
    assert "跑路了" in [m.title for m in _mentions(tenant_a, source)]
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.OK
    assert source.last_poll_error.startswith("订阅格式不规范")


def test_a_page_that_is_not_a_feed_is_an_error(tenant_a, server):
    source = _source(tenant_a, server.url("/not-a-feed"))
    result = feed_poll(tenant=tenant_a, source=source)

    assert (result.status, result.error) == ("error", "不是有效的 RSS/Atom")
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.ERROR
    assert source.last_poll_error == "不是有效的 RSS/Atom"
    assert not _mentions(tenant_a, source)


def test_a_gzipped_answer_is_decompressed(tenant_a, server):
    source = _source(tenant_a, server.url("/gzip.xml"))
    assert feed_poll(tenant=tenant_a, source=source).accepted == 2


def test_a_slow_feed_times_out_without_raising(tenant_a, server):
    source = _source(tenant_a, server.url("/slow.xml"))
    started = time.monotonic()
    result = feed_poll(tenant=tenant_a, source=source, timeout=0.3)

    assert time.monotonic() - started < 1.0
    assert (result.status, result.error) == ("error", "超时")
    source.refresh_from_db()
    assert (source.last_poll_status, source.last_poll_error) == (Source.PollStatus.ERROR, "超时")


def test_a_missing_feed_records_the_http_status(tenant_a, server):
    source = _source(tenant_a, server.url("/gone.xml"))
    feed_poll(tenant=tenant_a, source=source)

    source.refresh_from_db()
    assert (source.last_poll_status, source.last_poll_error) == (Source.PollStatus.ERROR, "HTTP 错误 404")


def test_an_unreachable_host_is_a_connection_error(tenant_a):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = _source(tenant_a, f"http://127.0.0.1:{port}/feed.xml")
    result = feed_poll(tenant=tenant_a, source=source, timeout=1)

    assert result.status == "error"
    assert result.error.startswith("无法连接")


def test_an_oversize_feed_is_refused(tenant_a, server, monkeypatch):
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", 500)
    with_length = _source(tenant_a, server.url("/rss.xml"))
    without_length = _source(tenant_a, server.url("/big-no-length.xml"))

    assert feed_poll(tenant=tenant_a, source=with_length).error.startswith("内容过大")
    assert feed_poll(tenant=tenant_a, source=without_length).error.startswith("内容过大")


def test_only_http_and_https_are_fetched(tenant_a, server):
    local_file = _source(tenant_a, "file:///etc/passwd")
    redirected = _source(tenant_a, server.url("/to-file"))

    assert feed_poll(tenant=tenant_a, source=local_file).error.startswith("订阅地址无效")
    assert feed_poll(tenant=tenant_a, source=redirected).status == "error"
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_paused_sources_and_sources_without_a_url_are_skipped(tenant_a, server):
    paused = _source(tenant_a, server.url("/rss.xml"), is_paused=True)
    no_url = _source(tenant_a, "", name="无地址")
    server.requests.clear()

    assert feed_poll(tenant=tenant_a, source=paused).status == "skipped"
    assert feed_poll(tenant=tenant_a, source=no_url).status == "skipped"
    paused.refresh_from_db()
    assert paused.last_polled_at is None
    assert server.requests == []


# --- tenants and jobs


def test_another_tenants_source_is_not_found(tenant_a, tenant_b, server):
    source_b = _source(tenant_b, server.url("/atom.xml"))

    with pytest.raises(Http404):
        feed_poll(tenant=tenant_a, source=source_b)
    assert feed_poll_job(tenant_a.pk, source_b.pk) is None
    source_b.refresh_from_db()
    assert source_b.last_polled_at is None
    assert not Mention.objects.for_tenant(tenant_b).exists()


def test_the_job_polls_by_ids(tenant_a, server):
    source = _source(tenant_a, server.url("/atom.xml"))
    outcome = feed_poll_job(tenant_a.pk, source.pk)

    assert outcome["status"] == "ok"
    assert outcome["accepted"] == 2


def test_sources_are_due_by_their_interval(tenant_a, tenant_b):
    now = timezone.now()
    never = _source(tenant_a, "http://a.example.cn/1.xml")
    overdue = _source(tenant_b, "http://b.example.cn/2.xml", last_polled_at=now - timedelta(minutes=16))
    _source(tenant_a, "http://a.example.cn/3.xml", last_polled_at=now - timedelta(minutes=5))
    _source(tenant_a, "http://a.example.cn/4.xml", is_paused=True)
    _source(tenant_a, "http://a.example.cn/5.xml", kind=Source.Kind.NEWS)
    _source(tenant_a, "", name="无地址")
    hourly = _source(
        tenant_a, "http://a.example.cn/6.xml", poll_minutes=60, last_polled_at=now - timedelta(minutes=59, seconds=45)
    )
    inactive = Tenant.objects.create(slug="gone", name="停用租户", is_active=False)
    _source(inactive, "http://gone.example.cn/7.xml")

    due = feed_sources_due(now=now)

    # Longest waiting first.
    assert [source.pk for source in due] == [never.pk, hourly.pk, overdue.pk]


def test_the_sweep_queues_each_due_source_once(tenant_a, tenant_b, rq_queues):
    import django_rq

    first = _source(tenant_a, "http://a.example.cn/1.xml")
    second = _source(tenant_b, "http://b.example.cn/2.xml")

    assert feeds_poll_due() == 2
    # Still queued: the next minute's sweep does not add the same polls again.
    assert feeds_poll_due() == 0
    # Polls go to their own queue: a slow feed never delays the SLA sweep on "default".
    assert not django_rq.get_queue("default").get_jobs()
    queue = django_rq.get_queue("feeds")
    jobs = {job.id: job for job in queue.get_jobs()}
    assert set(jobs) == {f"feed-poll-{first.pk}", f"feed-poll-{second.pk}"}
    assert jobs[f"feed-poll-{first.pk}"].args == (tenant_a.pk,)
    assert jobs[f"feed-poll-{first.pk}"].kwargs == {"source_id": first.pk}


# --- mapping


def test_html_becomes_plain_text():
    html = (
        '<div><p>第一段&nbsp;<a href="x">链接</a></p><style>p{}</style><ul><li>甲</li><li>乙 &lt;丙&gt;</li></ul></div>'
    )
    assert html_to_text(html) == "第一段 链接\n甲\n乙 <丙>"


def test_plain_text_entries_are_not_parsed_as_html():
    entry = {
        "id": "x" * 300,
        "title": "A<B 公司",
        "title_detail": {"type": "text/plain"},
        "summary": "正文",
        "summary_detail": {"type": "text/plain"},
    }
    item = entry_to_item(entry, now=timezone.now())

    assert item["title"] == "A<B 公司"
    assert item["external_id"].startswith("sha256:") and len(item["external_id"]) == 71


def test_the_poll_sweep_is_scheduled_on_the_feeds_queue_not_beside_the_sla_sweep():
    from django_rq.cron import DjangoCronScheduler

    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    queues = {job.func_name.rsplit(".", 1)[-1]: job.queue_name for job in scheduler.get_jobs()}

    assert queues["feeds_poll_due"] == "feeds"
    assert queues["sla_sweep_job"] == "default"
