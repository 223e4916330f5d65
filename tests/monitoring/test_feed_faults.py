"""Feed polling under faults: poison entries skipped alone with their reason on the source, a
whole-poll wall deadline against dripping servers, and no request ever reaching loopback,
private or metadata addresses (when saved, after DNS, on every redirect). Local servers on
random ports; every test is bounded in time."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services import feed_fetch as feed_network
from yuqing.monitoring.services.feed_fetch import address_is_refused, feed_url_problem
from yuqing.monitoring.services.feeds import feed_poll
from yuqing.monitoring.services.ingestion import guarded as guarded_ingest
from yuqing.monitoring.services.sources import source_create
from yuqing.tenancy.models import Tenant

REFUSED = "本机、内网或保留地址"


def _rss(*items: str) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    head += "<link>http://news.example.cn/</link><description>d</description>"
    return (head + "".join(items) + "</channel></rss>").encode()


def _item(number: int, *, title: str = "", link: str = "") -> str:
    title = title or f"第{number}条：华信地产逾期兑付"
    link = link or f"http://news.example.cn/a/{number}.html"
    return (
        f"<item><title>{title}</title><link>{link}</link><description>正文{number}，投资人维权。</description></item>"
    )


POISON = _rss(
    _item(1),
    _item(2, link="http://news.example.cn/a/2&#0;.html"),
    _item(3, title="标题&#xD800;坏了"),
    _item(4, title="正常的&#x4E2D;&#25991;标题"),
    _item(5, title="超大码位&#99999999999;"),
)
RAW_NUL = _rss(_item(1), _item(2, title="控制字符\x00在此"), _item(3))
DRIP_SECONDS = 0.2
DRIP_FOR_AT_MOST = 15.0


class Server:
    """A local HTTP server with the routes below; it records every request it saw."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                try:
                    server.route(self)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200, **headers: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", headers.pop("content_type", "application/rss+xml"))
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def redirect(self, handler: BaseHTTPRequestHandler, location: str) -> None:
        self.send(handler, b"", 302, Location=location)

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path == "/poison.xml":
            self.send(handler, POISON)
        elif path == "/raw-nul.xml":
            self.send(handler, RAW_NUL)
        elif path == "/good.xml":
            self.send(handler, _rss(_item(1), _item(2), _item(3)))
        elif path == "/drip-body.xml":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            self._drip(handler, b"<")
        elif path == "/drip-headers.xml":
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            self._drip(handler, b"a")
        elif path == "/to-metadata":
            self.redirect(handler, "http://169.254.169.254/latest/meta-data/")
        elif path == "/to-ec2-ipv6":
            self.redirect(handler, "http://[fd00:ec2::254]/latest/meta-data/")
        elif path == "/to-localhost":
            self.redirect(handler, f"http://localhost:{self.port}/good.xml")
        elif path == "/to-intranet-name":
            self.redirect(handler, f"http://intranet.example.cn:{self.port}/good.xml")
        elif path == "/to-good":
            self.redirect(handler, "/good.xml")
        elif path == "/loop":
            self.redirect(handler, "/loop")
        else:
            self.send(handler, b"not found", 404, content_type="text/plain")

    @staticmethod
    def _drip(handler: BaseHTTPRequestHandler, byte: bytes) -> None:
        # One byte every 0.2 s: each read succeeds long before any per-read socket timeout.
        stop = time.monotonic() + DRIP_FOR_AT_MOST
        while time.monotonic() < stop:
            handler.wfile.write(byte)
            handler.wfile.flush()
            time.sleep(DRIP_SECONDS)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    feed_server = Server()
    feed_server.thread.start()
    yield feed_server
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()


@pytest.fixture
def local_allowed(settings):
    settings.YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def local_refused(settings):
    settings.YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def test_server_counts_as_public(monkeypatch, local_refused):
    """The policy as in production, except that our 127.0.0.1 test server stands in for a public host."""
    real = feed_network.address_is_refused
    monkeypatch.setattr(
        feed_network,
        "address_is_refused",
        lambda address: False if address == ipaddress.ip_address("127.0.0.1") else real(address),
    )


def _source(tenant: Tenant, url: str) -> Source:
    # Created directly: the save-time check is tested on its own below.
    return Source.objects.create(tenant=tenant, name=f"订阅 {url[-30:]}", kind=Source.Kind.FEED, feed_url=url)


def _titles(tenant: Tenant, source: Source) -> list[str]:
    return sorted(Mention.objects.for_tenant(tenant).filter(source=source).values_list("title", flat=True))


# --- poison entries


def test_poison_entries_are_skipped_with_their_reason_on_the_source(tenant_a, server, local_allowed):
    source = _source(tenant_a, server.url("/poison.xml"))
    result = feed_poll(tenant=tenant_a, source=source, timeout=5)

    assert (result.status, result.entries, result.accepted, result.rejected) == ("ok", 5, 2, 3)
    assert _titles(tenant_a, source) == ["正常的中文标题", "第1条：华信地产逾期兑付"]
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.OK
    assert "跳过 3 条" in source.last_poll_error
    for position, field in ((2, "链接"), (3, "标题"), (5, "标题")):
        assert f"第 {position} 条（{field}含 XML 不允许的字符" in source.last_poll_error
    assert result.skipped[0].startswith("第 2 条")


def test_a_raw_control_character_skips_only_its_entry(tenant_a, server, local_allowed):
    source = _source(tenant_a, server.url("/raw-nul.xml"))
    result = feed_poll(tenant=tenant_a, source=source, timeout=5)

    assert (result.status, result.accepted) == ("ok", 2)
    source.refresh_from_db()
    assert "第 2 条" in source.last_poll_error


def test_an_entry_that_makes_ingestion_raise_is_skipped_and_the_poll_goes_on(
    tenant_a, server, local_allowed, monkeypatch
):
    real = guarded_ingest.mentions_ingest

    def ingest(**kwargs):
        # What a database error on one entry looks like to the poll (e.g. a value PostgreSQL refuses).
        if any(item["url"].endswith("/2.html") for item in kwargs["items"]):
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return real(**kwargs)

    monkeypatch.setattr(guarded_ingest, "mentions_ingest", ingest)
    source = _source(tenant_a, server.url("/good.xml"))
    result = feed_poll(tenant=tenant_a, source=source, timeout=5)

    assert (result.status, result.accepted, result.rejected) == ("ok", 2, 1)
    assert len(_titles(tenant_a, source)) == 2
    source.refresh_from_db()
    assert source.last_poll_status == Source.PollStatus.OK
    assert "第 2 条（这一条无法保存（ValueError）" in source.last_poll_error


# --- the whole-poll deadline


@pytest.mark.parametrize("path", ["/drip-body.xml", "/drip-headers.xml"])
def test_a_dripping_server_is_cut_off_at_the_poll_deadline(tenant_a, server, local_allowed, path):
    source = _source(tenant_a, server.url(path))
    started = time.monotonic()
    result = feed_poll(tenant=tenant_a, source=source, timeout=1.0)
    elapsed = time.monotonic() - started

    # Every byte arrives well within the per-read timeout; only the wall deadline ends it.
    assert elapsed < 2.5
    assert (result.status, result.error) == ("error", "超时")
    source.refresh_from_db()
    assert (source.last_poll_status, source.last_poll_error) == (Source.PollStatus.ERROR, "超时")


def test_the_default_deadline_bounds_the_whole_poll(tenant_a, server, local_allowed, monkeypatch):
    from yuqing.monitoring.services import feeds

    monkeypatch.setattr(feeds, "FEED_TIMEOUT_SECONDS", 1.5)
    started = time.monotonic()
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, server.url("/drip-body.xml")))

    assert result.error == "超时"
    assert 1.4 < time.monotonic() - started < 3.0


# --- addresses the poller must not reach


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00:ec2::254",
        "fc00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ],
)
def test_loopback_private_link_local_and_metadata_addresses_are_refused(address):
    assert address_is_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2400:3200::1", "2001:4860:4860::8888"])
def test_public_addresses_are_allowed(address):
    assert not address_is_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://127.1/feed.xml",
        "http://2130706433/feed.xml",
        "http://0x7f000001/feed.xml",
        "http://0177.0.0.1/feed.xml",
        "http://[::ffff:127.0.0.1]/feed.xml",
        "http://localhost:8080/feed.xml",
        "http://admin.localhost/feed.xml",
        "http://metadata.google.internal/computeMetadata/v1/",
        "https://192.168.0.10/rss",
    ],
)
def test_a_private_feed_url_is_refused_when_the_source_is_saved(tenant_a, admin_a, local_refused, url):
    with pytest.raises(ValidationError) as error:
        source_create(
            tenant=tenant_a,
            actor=admin_a.user,
            data={"name": "内网订阅", "kind": Source.Kind.FEED, "feed_url": url, "poll_minutes": 15},
        )
    assert REFUSED in error.value.message_dict["feed_url"][0]
    assert not Source.objects.for_tenant(tenant_a).filter(name="内网订阅").exists()


def test_a_public_feed_url_is_saved(local_refused):
    assert feed_url_problem("https://news.example.com/rss") is None
    assert feed_url_problem("http://8.8.8.8/feed.xml") is None


def test_the_portal_form_shows_the_refusal_in_chinese(client_a, tenant_a, local_refused):
    response = client_a.post(
        reverse("monitoring:source-create"),
        {"name": "元数据", "kind": "feed", "weight": "1.0", "feed_url": "http://169.254.169.254/", "poll_minutes": 15},
    )
    assert response.status_code == 200
    assert "订阅地址指向本机、内网或保留地址（169.254.169.254），出于安全原因不予抓取。" in response.content.decode()
    assert not Source.objects.for_tenant(tenant_a).filter(name="元数据").exists()


def test_with_the_setting_off_a_local_server_is_refused_before_any_request(tenant_a, server, local_refused):
    server.requests.clear()
    source = _source(tenant_a, server.url("/good.xml"))
    result = feed_poll(tenant=tenant_a, source=source, timeout=5)

    assert result.status == "error"
    assert REFUSED in result.error
    assert server.requests == []
    source.refresh_from_db()
    assert REFUSED in source.last_poll_error


def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(tenant_a, server, local_refused, monkeypatch):
    monkeypatch.setattr(feed_network, "resolve", lambda host, port: [(socket.AF_INET, ("10.0.0.8", port))])
    server.requests.clear()
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, "http://feeds.example.cn/rss.xml"), timeout=5)

    assert result.status == "error"
    assert "feeds.example.cn → 10.0.0.8" in result.error
    assert server.requests == []


def test_one_private_answer_among_public_ones_is_enough_to_refuse(tenant_a, local_refused, monkeypatch):
    answers = [(socket.AF_INET, ("8.8.8.8", 80)), (socket.AF_INET6, ("fd00:ec2::254", 80, 0, 0))]
    monkeypatch.setattr(feed_network, "resolve", lambda host, port: answers)
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, "http://mixed.example.cn/rss.xml"), timeout=5)

    assert REFUSED in result.error and "fd00:ec2::254" in result.error


def test_the_connection_goes_to_the_checked_address_resolved_once(tenant_a, server, local_allowed, monkeypatch):
    lookups: list[str] = []

    def rebinding(host: str, port: int):
        # First answer: the checked one. A second lookup would get another address: it must not happen.
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.9.9.9"
        return [(socket.AF_INET, (address, port))]

    monkeypatch.setattr(feed_network, "resolve", rebinding)
    server.requests.clear()
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, server.url("/good.xml", host="feeds.example.cn")))

    assert (result.status, result.accepted) == ("ok", 3)
    assert lookups == ["feeds.example.cn"]
    assert server.requests[0][1]["host"] == f"feeds.example.cn:{server.port}"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/to-metadata", "169.254.169.254"),
        ("/to-ec2-ipv6", "fd00:ec2::254"),
        ("/to-localhost", "localhost"),
        ("/to-intranet-name", "intranet.example.cn → 10.20.30.40"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    tenant_a, server, test_server_counts_as_public, monkeypatch, path, shown
):
    real_resolve = feed_network.resolve
    monkeypatch.setattr(
        feed_network,
        "resolve",
        lambda host, port: (
            [(socket.AF_INET, ("10.20.30.40", port))] if host == "intranet.example.cn" else real_resolve(host, port)
        ),
    )
    server.requests.clear()
    source = _source(tenant_a, server.url(path))
    result = feed_poll(tenant=tenant_a, source=source, timeout=5)

    assert result.status == "error"
    assert REFUSED in result.error and shown in result.error
    assert [request[0] for request in server.requests] == [path]  # the redirect's target was never asked
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_a_redirect_to_a_public_address_is_followed(tenant_a, server, test_server_counts_as_public):
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, server.url("/to-good")), timeout=5)
    assert (result.status, result.accepted) == ("ok", 3)


def test_a_redirect_loop_ends_with_an_error(tenant_a, server, local_allowed):
    started = time.monotonic()
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, server.url("/loop")), timeout=5)

    assert result.error == "重定向次数过多（超过 5 次）"
    assert time.monotonic() - started < 5


def test_the_deploy_check_warns_when_private_addresses_are_allowed_in_production(settings):
    from yuqing.checks import check_feeds_private_addresses

    settings.DEBUG = False
    settings.YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = True
    assert [message.id for message in check_feeds_private_addresses()] == ["yuqing.W020"]
    settings.YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    assert check_feeds_private_addresses() == []


# --- HTTPS: connected to the checked address, the certificate checked against the URL's name


def _certificates(tmp_path, name: str):
    """A throw-away CA and a certificate for `name` it signed: (CA PEM path, cert PEM path, key PEM path)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    start = datetime(2020, 1, 1, tzinfo=UTC)  # fixed: valid whatever the test machine's clock says
    end = start + timedelta(days=365 * 30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yuqing test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    import ssl

    ca, cert, key = _certificates(tmp_path_factory.mktemp("tls"), "secure.example.cn")
    feed_server = Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    feed_server.httpd.socket = context.wrap_socket(feed_server.httpd.socket, server_side=True)
    feed_server.thread.start()
    yield feed_server, str(ca)
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()


@pytest.fixture
def trusting_the_test_ca(tls_server, monkeypatch, local_allowed):
    import ssl

    server, ca = tls_server
    monkeypatch.setattr(feed_network, "tls_context", lambda: ssl.create_default_context(cafile=ca))
    monkeypatch.setattr(feed_network, "resolve", lambda host, port: [(socket.AF_INET, ("127.0.0.1", port))])
    return server


def test_https_connects_to_the_checked_address_and_verifies_the_urls_name(tenant_a, trusting_the_test_ca):
    server = trusting_the_test_ca
    url = f"https://secure.example.cn:{server.port}/good.xml"
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, url), timeout=5)

    assert (result.status, result.accepted) == ("ok", 3)


def test_https_refuses_a_certificate_for_another_name(tenant_a, trusting_the_test_ca):
    server = trusting_the_test_ca
    url = f"https://other.example.cn:{server.port}/good.xml"
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, url), timeout=5)

    assert result.status == "error"
    assert result.error.startswith("无法连接") and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_a_server_dripping_over_https_is_cut_off_at_the_deadline(tenant_a, trusting_the_test_ca):
    server = trusting_the_test_ca
    started = time.monotonic()
    url = f"https://secure.example.cn:{server.port}/drip-body.xml"
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, url), timeout=1.0)

    assert result.error == "超时"
    assert time.monotonic() - started < 2.5


def test_a_hanging_name_lookup_is_inside_the_deadline(tenant_a, local_refused, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(feed_network, "resolve", lambda host, port: release.wait(5) and [])
    started = time.monotonic()
    try:
        result = feed_poll(tenant=tenant_a, source=_source(tenant_a, "http://slow-dns.example.cn/rss.xml"), timeout=0.5)
    finally:
        release.set()

    assert result.error == "超时"
    assert time.monotonic() - started < 1.5


def test_a_name_that_does_not_resolve_is_a_connection_error(tenant_a, local_refused, monkeypatch):
    def fail(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(feed_network, "resolve", fail)
    result = feed_poll(tenant=tenant_a, source=_source(tenant_a, "http://nowhere.example.cn/rss.xml"), timeout=5)

    assert result.error.startswith("无法连接：无法解析域名 nowhere.example.cn")


def test_the_admin_form_refuses_a_metadata_feed_url(tenant_a, local_refused):
    from yuqing.monitoring.admin import SourceAdminForm

    form = SourceAdminForm(
        data={
            "tenant": tenant_a.pk,
            "name": "元数据",
            "kind": "feed",
            "weight": "1.0",
            "feed_url": "https://[fd00:ec2::254]/latest/",
            "poll_minutes": 15,
        }
    )
    assert not form.is_valid()
    assert REFUSED in form.errors["feed_url"][0]
