"""The portal in a real browser: a real server on a throwaway SQLite database, driven by Chromium.

Wang Min (wangmin) is a manager in demo-a and an auditor in demo-b (see yuqing/tenancy/demo.py).
She signs in, sees demo-a's dashboard, switches to demo-b and sees the audit log appear in the
navigation. Every request the browser makes must go to the test server: the portal has to work
on an intranet with no internet. Screenshots land in tests/e2e/artifacts/ (not committed).

CI installs Debian's Chromium (`apt-get install -y chromium`); without it these tests skip.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "Demo@2026"
VIEWPORT = {"width": 1440, "height": 900}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@dataclass
class Portal:
    url: str
    tenant_names: dict[str, str]


@dataclass
class Visit:
    """A browser page that remembers every request it made and every script error it hit."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=env, check=True, capture_output=True)


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the test server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the test server did not come up:\n{log.read_text()}")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Portal]:
    var_dir = tmp_path_factory.mktemp("e2e-var")
    env = {**os.environ, "YUQING_VAR_DIR": str(var_dir), "DJANGO_DEBUG": "1", "REDIS_URL": redis_url}
    env.pop("DATABASE_URL", None)  # a throwaway SQLite database under var_dir
    env.pop("DJANGO_SETTINGS_MODULE", None)
    _manage("migrate", "--noinput", "-v0", env=env)
    _manage("seed_demo", "--no-logins", "-v0", env=env)
    with sqlite3.connect(var_dir / "yuqing.sqlite3") as db:
        tenant_names = dict(db.execute("SELECT slug, name FROM tenancy_tenant"))

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = var_dir / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=PROJECT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, server, log)
        yield Portal(url=url, tenant_names=tenant_names)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visit(browser: object) -> Iterator[Visit]:
    # A desk in mainland China: the browser asks for Chinese, as the bank's own PCs do.
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    visit = Visit(page=page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    yield visit
    context.close()


def _sign_in(page: object, portal: Portal, username: str, password: str) -> None:
    page.goto(f"{portal.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def _shoot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _assert_stayed_on_the_test_server(visit: Visit, portal: Portal) -> None:
    server = urlsplit(portal.url).netloc
    elsewhere = sorted({url for url in visit.requests if urlsplit(url).netloc != server})
    assert visit.requests, "the browser made no requests at all"
    assert not elsewhere, f"requests left the machine: {elsewhere}"
    assert not visit.errors, f"script errors: {visit.errors}"


def test_a_wrong_password_shows_the_chinese_error(portal: Portal, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{portal.url}/accounts/login/")
    _shoot(page, "login")
    _sign_in(page, portal, "wangmin", "not-the-password")
    assert "用户名或密码不正确" in page.inner_text(".errorlist")
    assert page.input_value("#id_username") == "wangmin"
    _shoot(page, "login-error")
    _assert_stayed_on_the_test_server(visit, portal)


def test_wangmin_switches_from_demo_a_to_demo_b(portal: Portal, visit: Visit) -> None:
    page = visit.page
    demo_a, demo_b = portal.tenant_names["demo-a"], portal.tenant_names["demo-b"]
    _sign_in(page, portal, "wangmin", PASSWORD)

    # She lands on demo-a, where she is a manager: no audit log for her there.
    assert page.inner_text("main h1") == demo_a
    assert page.input_value("#tenant-switch") != ""
    assert page.locator("#tenant-switch option:checked").inner_text() == demo_a
    assert page.locator(".nav-item", has_text="审计日志").count() == 0
    page.wait_for_selector(".chart[data-chart-ready] svg")
    _shoot(page, "dashboard-demo-a")

    with page.expect_navigation():
        page.select_option("#tenant-switch", label=demo_b)
    assert page.inner_text("main h1") == demo_b
    assert f"已切换到 {demo_b}" in page.inner_text(".messages")
    # In demo-b she is an auditor, so the audit log is hers to read.
    assert page.locator(".nav-item", has_text="审计日志").count() == 1
    page.wait_for_selector(".chart[data-chart-ready] svg")
    page.click("[data-dismiss=alert]")
    assert page.locator("[data-alert]").count() == 0
    _shoot(page, "dashboard")

    page.goto(f"{portal.url}/settings/members/")
    assert page.locator("table[data-table=members] tbody tr").count() > 1
    _shoot(page, "members")

    with page.expect_navigation():
        page.click(".lang-option[value=en]")
    page.goto(f"{portal.url}/")
    assert page.locator(".nav-item.is-active").inner_text().strip() == "Dashboard"
    assert "Active members" in page.inner_text("main")
    page.wait_for_selector(".chart[data-chart-ready] svg")
    _shoot(page, "dashboard-en")

    _assert_stayed_on_the_test_server(visit, portal)
