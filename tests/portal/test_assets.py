"""Everything the portal loads is served by the app itself: no CDN, no external host."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from tests.portal.support import html

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
EXTERNAL_ATTRIBUTE = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
EXTERNAL_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.I)


def _static_paths(page: str) -> list[str]:
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    return re.findall(rf'(?:src|href)="{re.escape(static_url)}([^"?#]+)"', page)


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/settings/members/"])
def test_every_static_asset_a_page_references_exists(client_a, path):
    # The login page as a visitor sees it; the others signed in.
    page = html((Client() if path == "/accounts/login/" else client_a).get(path))
    assets = _static_paths(page)
    assert any(asset.startswith("vendor/htmx-") for asset in assets)
    assert "css/app.css" in assets and "js/app.js" in assets
    for asset in assets:
        assert finders.find(asset), f"{path} references a missing static file: {asset}"


def test_vendored_libraries_ship_their_licences():
    for library in ("htmx-2.0.11", "echarts-6.1.0"):
        assert (STATIC / "vendor" / library / "LICENSE").is_file()
    assert "htmx.org@2.0.11" in (STATIC / "vendor" / "README.md").read_text()


def test_no_template_points_at_another_host():
    offenders = [
        f"{template.relative_to(TEMPLATES)}: {match.group(0)}"
        for template in TEMPLATES.rglob("*.html")
        for match in EXTERNAL_ATTRIBUTE.finditer(template.read_text())
    ]
    assert not offenders, offenders


def test_our_css_and_js_load_nothing_from_another_host():
    offenders = []
    for source in [*STATIC.glob("css/*.css"), *STATIC.glob("js/*.js")]:
        text = source.read_text()
        offenders += [f"{source.name}: {m.group(0)}" for m in EXTERNAL_CSS_URL.finditer(text)]
        offenders += [f"{source.name}: {m.group(0)}" for m in re.finditer(r"""fetch\(\s*["']https?://""", text)]
    assert not offenders, offenders
