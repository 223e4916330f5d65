"""The client address behind the reverse proxy: one function for the login lock-out and the audit trail.

Behind the recommended proxy every request arrives from the proxy's address. With
YUQING_TRUSTED_PROXY_COUNT=1 the client is the right-most X-Forwarded-For entry (the one our proxy
wrote); what a client puts further left is ignored, so it can neither dodge its own lock-out nor
lock someone else out.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory

from tests.factories import PASSWORD
from yuqing.audit.models import AuditEvent
from yuqing.client_ip import client_ip

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.4"


def _ip(remote: str | None = PROXY, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    return client_ip(request)


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def test_without_a_proxy_setting_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert _ip(remote=ATTACKER, forwarded="1.2.3.4") == ATTACKER


def test_behind_one_proxy_the_right_most_entry_is_the_client(one_proxy):
    assert _ip(forwarded=ATTACKER) == ATTACKER
    assert _ip(forwarded=f"6.6.6.6, 7.7.7.7,{ATTACKER}") == ATTACKER


def test_behind_two_proxies_the_entry_left_of_the_inner_proxy_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert _ip(forwarded=f"6.6.6.6, {ATTACKER}, 10.0.0.3") == ATTACKER


def test_a_request_that_skipped_the_proxy_keeps_its_own_address(one_proxy):
    assert _ip(remote="127.0.0.1") == "127.0.0.1"
    assert _ip(remote="127.0.0.1", forwarded="") == "127.0.0.1"
    assert _ip(remote="127.0.0.1", forwarded=" , ") == "127.0.0.1"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("203.0.113.9:51234", ATTACKER),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:DB8::7", "2001:db8::7"),
        # Garbage where our proxy writes: misconfigured, so one shared (proxy) address, never garbage.
        ("unknown", PROXY),
        ("<script>", PROXY),
        ("1.2.3.4, evil.example", PROXY),
        ("1.2.3.4\x00", PROXY),
    ],
)
def test_odd_entries_give_an_address_or_the_proxys(one_proxy, forwarded, expected):
    assert _ip(forwarded=forwarded) == expected


def test_axes_and_the_audit_trail_ask_the_same_function():
    assert settings.AXES_CLIENT_IP_CALLABLE == "yuqing.client_ip.client_ip"
    from yuqing.tenancy import access

    assert access.client_ip is client_ip


# --- the lock-out, end to end through the login page


def _attempt(client, password: str, client_address: str, spoofed: str = ""):
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return client.post(
        "/accounts/login/",
        {"username": "admin_a", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_one_attacker_behind_the_proxy_does_not_lock_out_a_colleague(client, admin_a, one_proxy):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong-password", ATTACKER)
    assert _attempt(client, PASSWORD, ATTACKER).status_code == 429
    assert _attempt(client, PASSWORD, COLLEAGUE).status_code == 302


def test_varying_a_spoofed_left_most_entry_does_not_dodge_the_lock_out(client, admin_a, one_proxy):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong-password", ATTACKER, spoofed=f"192.0.2.{n + 1}")
    assert _attempt(client, PASSWORD, ATTACKER, spoofed="192.0.2.200").status_code == 429


def test_naming_a_colleague_in_x_forwarded_for_does_not_lock_them_out(client, admin_a, one_proxy):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong-password", ATTACKER, spoofed=COLLEAGUE)
    assert _attempt(client, PASSWORD, COLLEAGUE).status_code == 302


def test_with_no_proxy_configured_a_forged_header_chooses_nothing(client, admin_a, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "admin_a", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
    locked = client.post(
        "/accounts/login/",
        {"username": "admin_a", "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert locked.status_code == 429


def test_the_audit_trail_records_the_client_not_the_proxy(client_a, tenant_a, one_proxy):
    response = client_a.post(
        "/settings/members/",
        {"username": "zhao_lei", "display_name": "赵磊", "password": "Qz7!long-enough", "role": "handler"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {COLLEAGUE}",
    )
    assert response.status_code in {200, 302}
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="membership.add")
    assert event.ip_address == COLLEAGUE
