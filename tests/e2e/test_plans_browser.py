"""The emergency plans in a real browser on the seeded demo (the set-up of test_portal_browser.py):
the list from the sidebar, a plan's version history, and the launched plan's tasks on its incident.
Screenshots land in tests/e2e/artifacts/."""

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


def test_the_plan_list_and_a_plan_render(portal: Portal, visit: Visit) -> None:  # noqa: F811
    page = visit.page
    _sign_in(page, portal, "wangmin", PASSWORD)
    page.click("nav a[href='/training/plans/']")
    page.wait_for_selector("table[data-table=plans]")
    assert page.locator("tr[data-plan]").count() == 3
    _shoot(page, "plan-list")
    page.click("tr[data-plan] a >> nth=0")
    page.wait_for_selector("[data-version]")
    assert page.locator("[data-in-force]").count() == 1
    assert page.locator("tr[data-step]").count() >= 4
    _shoot(page, "plan-detail")
    _assert_stayed_on_the_test_server(visit, portal)
