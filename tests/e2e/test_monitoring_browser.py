"""舆情 monitoring in a real browser, on the seeded demo (the set-up of test_portal_browser.py).

Wang Min (manager at demo-a) reads the stream, narrows it to red warnings, opens one and reads why
it scored as it did, looks at the warnings board and the dashboard's charts. Screenshots land in
tests/e2e/artifacts/.
"""

from __future__ import annotations

import re

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


def test_an_analyst_reads_the_stream_a_red_mention_the_board_and_the_dashboard(
    portal: Portal,  # noqa: F811
    visit: Visit,  # noqa: F811
) -> None:
    page = visit.page
    _sign_in(page, portal, "wangmin", PASSWORD)
    page.goto(f"{portal.url}/monitoring/")
    assert page.locator("table[data-table=mentions] tr[data-mention]").count() >= 20
    _shoot(page, "monitoring-stream")

    page.goto(f"{portal.url}/monitoring/?level=1")
    rows = page.locator("tr[data-mention]")
    assert rows.count() >= 1
    assert rows.count() == page.locator("tr[data-mention].level-red").count()
    with page.expect_navigation():
        rows.first.locator("a.mention-title").click()
    assert re.search(r"/monitoring/\d+/$", page.url)
    shares = [
        float(value)
        for value in page.locator("[data-factor] [data-share]").evaluate_all("els => els.map(e => e.dataset.share)")
    ]
    assert len(shares) == 6 and abs(sum(shares) - 1) < 0.01
    assert int(page.inner_text("[data-figure=score]")) >= 85
    _shoot(page, "monitoring-mention-red")

    page.goto(f"{portal.url}/monitoring/warnings/")
    assert page.locator("[data-column]").count() == 4
    assert page.locator("[data-column='1'] [data-warning] [data-link=incident]").count() >= 1
    _shoot(page, "monitoring-warnings")

    page.goto(f"{portal.url}/monitoring/dashboard/")
    # ECharts (vendored, SVG renderer) drew every chart with its data: an svg with paths in each.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(c => c.querySelector('svg path'))"
    )
    assert page.locator("[data-chart]").count() == 5
    _shoot(page, "monitoring-dashboard")
    _assert_stayed_on_the_test_server(visit, portal)
