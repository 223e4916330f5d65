"""Content-Security-Policy: every response carries it, and no template needs inline script or style.

The policy (settings.CONTENT_SECURITY_POLICY, django-csp) runs only the app's own files. These
tests read the header on representative pages (portal, admin, login, API, an error page) and scan
every template for what the policy would refuse: inline <script>, on*= handlers, javascript: URLs,
htmx's hx-on, style="" attributes and <style> blocks. tests/e2e/test_csp_browser.py checks a real
browser reports no violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_ROOTS = [Path(settings.BASE_DIR) / "templates"]


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_strict(response) -> None:
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/healthz", "/api/v1/openapi.json", "/no-such-page/", "/admin/login/"],
)
def test_anonymous_pages_carry_the_strict_policy(client, db, path):
    _assert_strict(client.get(path))


def test_the_api_answers_a_refused_token_with_the_policy_too(client, db):
    response = client.post("/api/v1/mentions", data="{}", content_type="application/json")
    assert response.status_code in {401, 403}
    _assert_strict(response)


@pytest.mark.parametrize("path", ["/", "/monitoring/", "/monitoring/dashboard/", "/customers/", "/incidents/"])
def test_portal_pages_carry_the_strict_policy(client_a, path):
    response = client_a.get(path)
    assert response.status_code == 200
    _assert_strict(response)


def test_the_admin_carries_the_strict_policy(client, admin_a):
    admin_a.user.is_staff = admin_a.user.is_superuser = True
    admin_a.user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin_a.user)
    for path in ("/admin/", "/admin/tenancy/tenant/"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_strict(response)


def test_only_the_rq_dashboard_allows_inline_script_for_its_own_templates(client, admin_a, rq_queues):
    admin_a.user.is_staff = admin_a.user.is_superuser = True
    admin_a.user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin_a.user)
    policy = _policy(client.get("/admin/rq/"))
    assert "'unsafe-inline'" in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_a_non_superuser_asking_for_the_rq_dashboard_gets_the_strict_policy(client_a):
    response = client_a.get("/admin/rq/")
    assert response.status_code == 404
    _assert_strict(response)


# --- templates

# A <script> that runs inline: any without src=, except JSON data blocks (json_script), which
# CSP does not execute.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\w-]*|data-hx-on[:\w-]*)\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)

RULES = {
    "inline <script>": INLINE_SCRIPT,
    "on*= / hx-on handler": HANDLER,
    "javascript: URL": JS_URL,
    'style="" attribute': STYLE_ATTR,
    "<style> block": STYLE_BLOCK,
}


def _offences(text: str) -> list[str]:
    return [name for name, pattern in RULES.items() if pattern.search(text)]


def _templates() -> list[Path]:
    return sorted(path for root in TEMPLATE_ROOTS for path in root.rglob("*.html"))


def test_the_scan_sees_every_template():
    templates = _templates()
    assert len(templates) > 50
    assert any(path.name == "base.html" for path in templates)


@pytest.mark.parametrize(
    "snippet, offence",
    [
        ("<script>alert(1)</script>", "inline <script>"),
        ('<script type="module">import x</script>', "inline <script>"),
        ('<button onclick="go()">', "on*= / hx-on handler"),
        ("<body\n  onload='x()'>", "on*= / hx-on handler"),
        ('<form hx-on::after-request="this.reset()">', "on*= / hx-on handler"),
        ('<div hx-on:click="x()">', "on*= / hx-on handler"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
        ('<a href=" JavaScript:go()">', "javascript: URL"),
        ('<span style="width: 3%">', 'style="" attribute'),
        ("<style>.x{}</style>", "<style> block"),
    ],
)
def test_the_scan_catches_what_the_policy_refuses(snippet, offence):
    assert offence in _offences(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/app.js"></script>',
        '<script id="chart-trend" type="application/json">{"a": 1}</script>',
        '<span data-bar-width="40%">',
        '<input name="online">',
        "<p>on=yes</p>",
    ],
)
def test_the_scan_lets_static_files_and_data_through(snippet):
    assert _offences(snippet) == []


def test_no_template_needs_inline_script_or_style():
    found = {
        str(path.relative_to(settings.BASE_DIR)): offences
        for path in _templates()
        if (offences := _offences(path.read_text(encoding="utf-8")))
    }
    assert found == {}
