"""The client's IP address, the one answer the login lock-out (django-axes) and the audit trail share.

Behind N trusted reverse proxies (settings.TRUSTED_PROXY_COUNT, env YUQING_TRUSTED_PROXY_COUNT)
each proxy appends the address it received the request from to X-Forwarded-For, and the last one
is REMOTE_ADDR. Only those right-most N hops were written by us; whatever stands further left came
from the client and may be invented. So the client is the entry just left of the trusted hops:
with one proxy, the right-most X-Forwarded-For entry. A spoofed left-most entry changes nothing, so
an attacker can neither shake off a lock-out by varying it nor lock a victim out by naming them.

With 0 (the default: no proxy) X-Forwarded-For is ignored and REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    """A bare IPv4/IPv6 address, or None for anything else (garbage, host names, "unknown")."""
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    # The hops, client side first: X-Forwarded-For, then the proxy that connected to us.
    hops = [*forwarded, remote or ""]
    if len(hops) <= trusted:
        # Fewer hops than proxies: the request did not pass through all of them (a direct call or
        # a health probe). The left-most hop is as far as the trusted chain reaches.
        candidate = hops[0]
    else:
        candidate = hops[-(trusted + 1)]
    # That entry was written by our own proxy, so it is an address; if it is not, the proxy is
    # misconfigured, and the proxy's own address (one shared lock-out) is the safe answer.
    return _address(candidate) or remote
