"""Helpers of the incident portal tests: pages read as text, a frozen clock, an incident in a phase."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.http import HttpResponse

SH = ZoneInfo("Asia/Shanghai")
# A Monday in term time, 10:00 in Shanghai: working-day clocks run, no holiday nearby.
NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=SH)
HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response: HttpResponse) -> str:
    return response.content.decode()


def messages_of(response: HttpResponse) -> list[str]:
    """The flash messages a redirected-to page shows (follow=True responses)."""
    return [str(message) for message in response.context["messages"]] if response.context else []


def rows(text: str, marker: str = "data-incident") -> list[str]:
    """The ids carried by `marker="…"` attributes, in page order."""
    return re.findall(rf'{marker}="(\d+)"', text)
