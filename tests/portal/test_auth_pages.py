"""Signing in and out, in Chinese by default: login, lockout, password change, no tenant."""

from django.conf import settings

from tests.factories import PASSWORD
from tests.portal.support import html


def test_the_login_page_speaks_chinese(client, db):
    page = html(client.get("/accounts/login/"))
    assert '<html lang="zh-hans">' in page
    for text in ("登录", "用户名", "密码", "舆情处置系统"):
        assert text in page


def test_a_wrong_password_gets_a_plain_chinese_error_and_keeps_the_username(client, admin_a):
    response = client.post("/accounts/login/", {"username": "admin_a", "password": "not-it"})
    assert response.status_code == 200
    page = html(response)
    assert "用户名或密码不正确" in page
    assert 'value="admin_a"' in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_how_many_minutes_to_wait(client, admin_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "admin_a", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    locked = client.post("/accounts/login/", {"username": "admin_a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert locked.status_code == 429
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    assert f"登录失败次数过多，请 {minutes} 分钟后再试" in html(locked)


def test_logout_is_a_post_form_on_every_page(client_a):
    page = html(client_a.get("/"))
    assert 'method="post" action="/accounts/logout/"' in page
    assert client_a.post("/accounts/logout/").status_code == 302
    assert client_a.get("/").status_code == 302


def test_the_password_change_page_shows_chinese_field_errors(client_a):
    response = client_a.post("/accounts/password/", {"old_password": "wrong", "new_password1": "", "new_password2": ""})
    assert response.status_code == 200
    page = html(response)
    assert "修改密码" in page
    assert "你的旧密码不正确" in page or "旧密码不正确" in page
    assert "这个字段是必填项" in page


def test_changing_the_password_lands_on_the_done_page(client_a, admin_a):
    response = client_a.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Hq7#lake-Orbit", "new_password2": "Hq7#lake-Orbit"},
        follow=True,
    )
    assert "您的密码已修改成功" in html(response)
    admin_a.user.refresh_from_db()
    assert admin_a.user.check_password("Hq7#lake-Orbit")


def test_a_user_without_membership_is_told_why_and_can_sign_out(client, django_user_model):
    user = django_user_model.objects.create_user("loner", password="Kq8#vLm2-zx", display_name="孤行者")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    page = html(response)
    assert "尚未加入任何机构" in page
    assert "孤行者" in page
    assert 'action="/accounts/logout/"' in page
    assert "sidenav" not in page
