"""Signing in: wrong passwords are throttled per username and address (django-axes)."""

from django.conf import settings

from tests.factories import PASSWORD


def _attempt(client, username: str, password: str, ip: str = "10.0.0.8"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_a_member_signs_in_and_lands_on_the_dashboard(client, admin_a):
    response = _attempt(client, "admin_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_repeated_wrong_passwords_lock_the_username_from_that_address(client, admin_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "admin_a", "wrong-password")
    locked = _attempt(client, "admin_a", PASSWORD)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_address_so_the_owner_elsewhere_still_signs_in(client, admin_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "admin_a", "wrong-password", ip="10.0.0.66")
    assert _attempt(client, "admin_a", PASSWORD, ip="10.0.0.7").status_code == 302
