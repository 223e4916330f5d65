"""What `runall` and `seed_demo` both print: the portal's address and the demo logins."""

from __future__ import annotations

import os
from itertools import groupby

from django.utils.translation import gettext as _

from yuqing.tenancy.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_logins


def listen_address() -> tuple[str, int]:
    return os.environ.get("YUQING_HOST") or "127.0.0.1", int(os.environ.get("YUQING_PORT") or 8000)


def portal_url(host: str | None = None, port: int | None = None) -> str:
    default_host, default_port = listen_address()
    host, port = host or default_host, port or default_port
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - only to print a reachable address
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def demo_logins_text() -> str:
    names = {spec.slug: spec.name for spec in DEMO_TENANTS}
    lines = [_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD}]
    for slug, rows in groupby(demo_logins(), key=lambda row: row[0]):
        lines.append(f"  {names[slug]}（{slug}）")
        lines.extend(
            f"    {username:<10} {name}\t{role}\t{department}" for _slug, username, name, role, department in rows
        )
    lines.append(_("门户地址：%(url)s") % {"url": portal_url()})
    return "\n".join(lines)
