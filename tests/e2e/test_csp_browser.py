"""The Content-Security-Policy in a real browser: the portal works under it and nothing is refused.

Wang Min walks the pages with scripts and dynamic styles — both ECharts dashboards (hovering a chart
for its tooltip), the mention stream's htmx search, a mention's factor bars, an incident's SLA
meters, the customer form's kind switch — and the admin's login page. Chromium reports every
refusal as a `securitypolicyviolation` event and a console error; the test collects both and
expects none. Same set-up as test_portal_browser.py.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_portal_browser import (  # noqa: F401 -- the fixtures are used by name
    PASSWORD,
    Portal,
    Visit,
    _assert_stayed_on_the_test_server,
    _sign_in,
    browser,
    portal,
    visit,
)

pytestmark = [pytest.mark.e2e]

# Runs before any page script (injected by the browser, so the policy does not apply to it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _violations(page: object) -> list[str]:
    return page.evaluate("() => window.__cspViolations || []")


def test_the_portal_runs_under_the_policy_with_no_violation(portal: Portal, visit: Visit) -> None:  # noqa: F811
    page = visit.page
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.context.add_init_script(RECORD_VIOLATIONS)
    seen: list[str] = []

    def check(where: str) -> None:
        seen.extend(f"{where}: {v}" for v in _violations(page))

    response = page.goto(f"{portal.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _sign_in(page, portal, "wangmin", PASSWORD)

    # The home dashboard: an ECharts chart and bars sized through the CSSOM.
    page.wait_for_selector(".chart[data-chart-ready] svg path", state="attached")
    widths = page.locator("[data-bar-width]").evaluate_all("els => els.map(e => e.style.width)")
    assert widths and all(w.endswith("%") for w in widths)
    chart = page.locator(".chart[data-chart-ready]").first
    texts_before = chart.locator("svg text").count()
    chart.hover()
    # The rich-text tooltip (no HTML, so no style attribute) is drawn into the chart's SVG.
    page.wait_for_function(
        "n => document.querySelector('.chart[data-chart-ready]').querySelectorAll('svg text').length > n",
        arg=texts_before,
    )
    check("home")

    # The 舆情 dashboard: five charts, with a tooltip on hover.
    page.goto(f"{portal.url}/monitoring/dashboard/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(c => c.querySelector('svg path'))"
    )
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
    check("monitoring dashboard")

    # The stream's search: htmx swaps the rows in place, with the indicator CSS from app.css.
    page.goto(f"{portal.url}/monitoring/")
    assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
    assert page.locator("head style").count() == 0
    with page.expect_response(lambda r: "/monitoring/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.fill("#id_q", "逾期")
    page.wait_for_timeout(300)
    check("mention search")

    # A mention's factor bars.
    page.goto(f"{portal.url}/monitoring/?level=1")
    with page.expect_navigation():
        page.locator("tr[data-mention] a.mention-title").first.click()
    shares = page.locator("[data-factor] [data-bar-width]").evaluate_all("els => els.map(e => e.style.width)")
    assert shares and all(s.endswith("%") for s in shares)
    check("mention detail")

    # An incident with SLA meters.
    page.goto(f"{portal.url}/incidents/")
    with page.expect_navigation():
        page.locator("tr[data-incident] a").first.click()
    meters = page.locator(".sla-meter [data-bar-width]")
    if meters.count():
        assert meters.first.evaluate("e => e.style.width").endswith("%")
    check("incident detail")

    # The customer form: the kind switch (a static file now) hides the enterprise fields.
    page.goto(f"{portal.url}/customers/new/")
    page.check("input[name=kind][value=individual]")
    assert page.locator("#id_credit_code").is_hidden()
    assert page.locator("#id_id_number").is_visible()
    check("customer form")

    page.goto(f"{portal.url}/admin/login/")
    check("admin login")

    refused = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert seen == [] and refused == [], (seen, refused)
    _assert_stayed_on_the_test_server(visit, portal)
