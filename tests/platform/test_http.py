"""The view helpers every app shares: which htmx requests get a fragment, and the tenant's time."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from yuqing.platform.http import htmx_swaps, is_htmx, with_tenant_time


def _request(**headers: str):
    return RequestFactory().get("/", headers=headers)


FORM = {"HX-Request": "true", "HX-Target": "mention-rows"}
PAGE_LINK = {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "mention-rows"}
BOOSTED_NAVIGATION = {"HX-Request": "true", "HX-Boosted": "true"}
HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Target": "mention-rows"}


@pytest.mark.parametrize(
    ("headers", "rows"),
    [
        ({}, False),
        (FORM, True),
        (PAGE_LINK, True),
        ({"HX-Request": "true"}, True),
        (BOOSTED_NAVIGATION, False),
        (HISTORY_RESTORE, False),
        ({"HX-Request": "true", "HX-Target": "timeline"}, False),
    ],
)
def test_a_list_swaps_its_rows_only_for_htmx_aimed_at_them(headers, rows):
    assert htmx_swaps(_request(**headers), "mention-rows") is rows


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [({}, False), (FORM, True), (BOOSTED_NAVIGATION, False), (HISTORY_RESTORE, False)],
)
def test_is_htmx_leaves_whole_page_loads_to_the_page(headers, fragment):
    assert is_htmx(_request(**headers)) is fragment


def test_pages_and_forms_speak_the_tenants_time_zone():
    seen = {}

    @with_tenant_time
    def view(request):
        seen["zone"] = str(timezone.get_current_timezone())
        seen["local"] = timezone.localtime(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).hour
        return HttpResponse()

    request = _request()
    request.tenant = SimpleNamespace(time_zone="Asia/Urumqi")
    view(request)
    assert seen == {"zone": "Asia/Urumqi", "local": 6}
    assert str(timezone.get_current_timezone()) != "Asia/Urumqi"
