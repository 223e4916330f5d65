"""The training pages in a real browser, on the seeded demo (the set-up of test_portal_browser.py).

Zhou Ting (客服主管 at demo-a) opens the readiness dashboard, customer service first, then her own
record and the calendar. Screenshots land in tests/e2e/artifacts/.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_portal_browser import (  # noqa: F401 -- the fixtures are used by name
    PASSWORD,
    Portal,
    Visit,
    _assert_stayed_on_the_test_server,
    _shoot,
    _sign_in,
    browser,
    portal,
    visit,
)

pytestmark = [pytest.mark.e2e]


def test_readiness_my_record_and_calendar_render(portal: Portal, visit: Visit) -> None:  # noqa: F811
    page = visit.page
    _sign_in(page, portal, "zhouting", PASSWORD)
    page.goto(f"{portal.url}/training/readiness/")
    cards = page.locator("[data-department]")
    assert cards.count() >= 5
    assert "一线客服" in cards.first.inner_text()
    _shoot(page, "training-readiness")
    page.goto(f"{portal.url}/training/me/")
    assert page.locator("[data-section=expiring] tr[data-course]").count() >= 1  # the year-old scripts course
    _shoot(page, "training-my-record")
    page.goto(f"{portal.url}/training/calendar/")
    assert page.locator("[data-table=calendar]").count() == 1
    page.goto(f"{portal.url}/training/courses/")
    assert page.locator("tr[data-course]").count() == 5
    assert not visit.errors, visit.errors
    _assert_stayed_on_the_test_server(visit, portal)
