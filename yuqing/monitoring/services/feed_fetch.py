"""Fetching a feed from someone else's server: which addresses may be reached, and a hard wall
deadline over the whole fetch.

Decisions:
- Feeds are fetched server-side, so a feed URL is a way to make the server send requests: to
  its own loopback, the office network or the cloud metadata service (169.254.169.254,
  fd00:ec2::254). Refused: loopback, private (RFC 1918, unique-local fc00::/7), link-local,
  shared (100.64/10), multicast, reserved, unspecified and every other non-global address,
  including IPv4 hidden in IPv6 (::ffff:a.b.c.d, 6to4, Teredo, NAT64 64:ff9b::/96).
- When a source is saved (`feed_url_problem`), the URL's host is checked without any network
  traffic: IP literals in every spelling the resolver accepts (127.1, 2130706433, 0x7f.0.0.1,
  [::ffff:127.0.0.1]) and names that are local by definition (localhost, *.localhost, the
  metadata names). A name that resolves to a private address can only be caught at connect time:
- When fetching, every hop (the first URL and each redirect, at most MAX_REDIRECTS) is
  resolved once, every address it resolves to is checked, and the connection goes to the
  checked address itself (the Host header and the TLS name stay the URL's): a second lookup
  that answers differently (DNS rebinding) never happens.
- `YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES` (development and tests only; off by default) lets the
  poller reach a local test server.
- The whole fetch (DNS, connect, TLS, headers, body, every redirect) has one wall deadline. A
  per-read socket timeout does not bound a server that drips a byte every 0.2 s; a watchdog
  timer shuts the socket down at the deadline, which ends any blocked read, and the body is
  read with read1 so the deadline is also checked between the server's packets.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
SOCKET_TIMEOUT_SECONDS = 15.0
# Names that are local whatever DNS says; cloud metadata services answer under these too.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data"})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """The feed could not be fetched; the message is for the source's status, in Chinese."""


class AddressRefused(FetchError):
    """The URL points (or resolved, or was redirected) to an address the poller must not reach."""


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


# --- the address policy


def _allow_private() -> bool:
    return bool(getattr(settings, "YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES", False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_refused(address: IPAddress) -> bool:
    """True for every address a feed must not make the server reach (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return True
        inner = _embedded_ipv4(address)
        if inner is not None and address_is_refused(inner):
            return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


def _literal_address(host: str) -> IPAddress | None:
    """The IP a host part stands for if it is a literal, in any spelling the C resolver takes."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]) if ":" in host else ipaddress.IPv4Address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        try:
            # inet_aton is local (no lookup) and reads 127.1, 2130706433, 0x7f.1 and 0177.0.0.1 as resolvers do.
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _host_is_local_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host in LOCAL_NAMES or host.endswith(".localhost") or host in METADATA_NAMES


def _refused_message(what: str) -> str:
    return _("订阅地址指向本机、内网或保留地址（%(address)s），出于安全原因不予抓取。") % {"address": what[:100]}


def feed_url_problem(url: str) -> str | None:
    """Why `url` may not be a feed address (in Chinese), or None. No network traffic: see above."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        return _("订阅地址无效：只支持 http 和 https")
    host = parts.hostname or ""
    if not host:
        return _("订阅地址无效：缺少主机名")
    if _allow_private():
        return None
    literal = _literal_address(host)
    if (literal is not None and address_is_refused(literal)) or _host_is_local_name(host):
        return _refused_message(host)
    return None


# --- resolving and connecting


def resolve(host: str, port: int) -> list[tuple[int, Any]]:
    """(family, sockaddr) for each address of `host`: the system resolver. Tests replace it."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, sockaddr) for family, _type, _proto, _name, sockaddr in answers]


def _resolve_into(host: str, port: int, outcome: list[Any]) -> None:
    try:
        outcome.append(resolve(host, port))
    except (OSError, UnicodeError) as error:
        outcome.append(error)


def _resolve_checked(host: str, port: int, *, deadline: float) -> tuple[int, Any]:
    """The address to connect to: resolved once, within the deadline, every answer checked."""
    if _host_is_local_name(host) and not _allow_private():
        raise AddressRefused(_refused_message(host))
    # getaddrinfo has no timeout of its own: it runs in a daemon thread the deadline does not wait
    # for (nor does the worker's exit: an executor's threads would be joined at exit).
    outcome: list[Any] = []
    lookup = threading.Thread(target=_resolve_into, args=(host, port, outcome), name="feed-dns", daemon=True)
    lookup.start()
    lookup.join(timeout=max(deadline - time.monotonic(), 0.01))
    if not outcome:
        raise FetchError(_("超时"))
    answers = outcome[0]
    if isinstance(answers, OSError | UnicodeError):
        raise FetchError(
            _("无法连接：无法解析域名 %(host)s（%(error)s）") % {"host": host[:100], "error": answers}
        ) from None
    if not answers:
        raise FetchError(_("无法连接：无法解析域名 %(host)s") % {"host": host[:100]})
    if not _allow_private():
        for _family, sockaddr in answers:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if address_is_refused(address):
                # One private answer is enough: which address a client picks is not ours to guess.
                raise AddressRefused(_refused_message(f"{host} → {address}"))
    return answers[0]


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificates and host names verified. Tests replace it."""
    return ssl.create_default_context()


class _Pinned:
    """Mixin: connect to the already checked address, keep the raw socket for the watchdog."""

    _pinned: tuple[int, Any]
    raw_socket: socket.socket | None = None

    def _connect_pinned(self, timeout: float) -> socket.socket:
        family, sockaddr = self._pinned
        raw = socket.socket(family, socket.SOCK_STREAM)
        self.raw_socket = raw
        raw.settimeout(timeout)
        try:
            raw.connect(sockaddr)
        except BaseException:
            raw.close()
            raise
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return raw


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, pinned: tuple[int, Any], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._pinned = pinned

    def connect(self) -> None:
        self.sock = self._connect_pinned(self.timeout)


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, pinned: tuple[int, Any], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=tls_context())
        self._pinned = pinned

    def connect(self) -> None:
        raw = self._connect_pinned(self.timeout)
        # The certificate is checked against the URL's host name, not the address connected to.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class _Watchdog:
    """At the deadline, shut the connection's socket down: a blocked connect or read returns."""

    def __init__(self, connection: _Pinned, seconds: float) -> None:
        self.fired = False
        self._connection = connection
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        raw = self._connection.raw_socket
        if raw is not None:
            try:
                # The plain socket's shutdown even on a TLS socket: it wakes the reader without touching SSL state.
                socket.socket.shutdown(raw, socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def too_big_error(max_bytes: int) -> FetchError:
    return FetchError(_("内容过大（超过 %(limit)d MB）") % {"limit": max_bytes // (1024 * 1024)})


def _read_body(response: http.client.HTTPResponse, *, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise too_big_error(max_bytes)
        if time.monotonic() > deadline:
            raise FetchError(_("超时"))
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(
    url: str,
    *,
    headers: dict[str, str],
    deadline_seconds: float,
    max_bytes: int,
) -> Fetched:
    """GET `url` following at most MAX_REDIRECTS redirects, each hop's address checked, all of it
    within `deadline_seconds` of wall time. Statuses other than 2xx, 304 and redirects come back
    as they are (the caller words them); everything else that goes wrong raises FetchError."""
    deadline = time.monotonic() + deadline_seconds
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise FetchError(_("订阅地址重定向到了不支持的地址：%(url)s") % {"url": url[:200]})
        problem = feed_url_problem(url)
        if problem is not None:
            raise AddressRefused(problem)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(_("订阅地址无效：端口号不正确")) from None
        host = parts.hostname or ""
        pinned = _resolve_checked(host, port, deadline=deadline)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(_("超时"))
        connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = connection_class(host, port, pinned=pinned, timeout=min(SOCKET_TIMEOUT_SECONDS, remaining))
        watchdog = _Watchdog(connection, remaining)
        try:
            with watchdog:
                path = parts.path or "/"
                connection.request("GET", f"{path}?{parts.query}" if parts.query else path, headers=headers)
                response = connection.getresponse()
                response_headers = {key.lower(): value for key, value in response.getheaders()}
                location = response_headers.get("location", "")
                if response.status in _REDIRECTS and location:
                    url = urljoin(url, location.strip())
                    continue
                if not 200 <= response.status < 300:
                    return Fetched(response.status, response_headers, b"", url)
                length = response_headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise too_big_error(max_bytes)
                body = _read_body(response, deadline=deadline, max_bytes=max_bytes)
                if watchdog.fired:  # the shut-down socket read as an early end of the body
                    raise FetchError(_("超时"))
                return Fetched(response.status, response_headers, body, url)
        except FetchError:
            raise
        except (TimeoutError, http.client.HTTPException, OSError, ValueError) as error:
            if watchdog.fired or isinstance(error, TimeoutError):
                raise FetchError(_("超时")) from None
            reason = str(error)[:200] or type(error).__name__
            raise FetchError(_("无法连接：%(reason)s") % {"reason": reason}) from None
        finally:
            connection.close()
    raise FetchError(_("重定向次数过多（超过 %(count)d 次）") % {"count": MAX_REDIRECTS})
