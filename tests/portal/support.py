"""Helpers for reading the portal's pages in tests."""

from __future__ import annotations

import re

from django.http import HttpResponse


def html(response: HttpResponse) -> str:
    return response.content.decode()


def figure(response: HttpResponse, name: str) -> int:
    """The number a dashboard card shows under `data-figure="name"`."""
    match = re.search(rf'data-figure="{name}">([\d,]+)<', html(response))
    assert match, f"no figure {name!r} on the page"
    return int(match.group(1).replace(",", ""))


def local_links(text: str) -> list[str]:
    """Every same-site href/src/action path on a page (absolute paths only)."""
    return re.findall(r'(?:href|src|action)="(/[^"]*)"', text)
