"""The layout every page shares: navigation by role, tenant switcher, language switch, messages."""

from django.urls import Resolver404, resolve

from tests.factories import MembershipFactory
from tests.portal.support import html, local_links
from yuqing.tenancy.middleware import SESSION_KEY
from yuqing.tenancy.models import Role


def test_a_handler_does_not_see_the_audit_log_in_the_navigation(client_for, handler_a):
    page = html(client_for(handler_a).get("/"))
    assert "审计日志" not in page
    assert 'href="/audit/"' not in page


def test_an_auditor_sees_the_audit_log_in_the_navigation(client_for, auditor_a):
    page = html(client_for(auditor_a).get("/"))
    assert 'href="/audit/"' in page
    assert "审计日志" in page


def test_only_staff_see_the_admin_link(client_for, handler_a):
    client = client_for(handler_a)
    assert 'href="/admin/"' not in html(client.get("/"))
    handler_a.user.is_staff = True
    handler_a.user.save(update_fields=["is_staff"])
    assert 'href="/admin/"' in html(client.get("/"))


def test_modules_not_built_yet_are_disabled_not_dead_links(client_a):
    page = html(client_a.get("/"))
    assert 'aria-disabled="true" title="即将上线"' in page
    for path in local_links(page):
        if path.startswith("/static/"):
            continue  # files, not views: test_assets checks them
        try:
            resolve(path.split("?")[0])
        except Resolver404:
            raise AssertionError(f"dead link on the dashboard: {path}") from None


def test_the_top_bar_shows_the_user_role_and_tenant(client_for, handler_a, tenant_a):
    page = html(client_for(handler_a).get("/"))
    assert str(handler_a.user) in page
    assert "处置人员" in page
    assert f'<span class="tenant-name">{tenant_a.name}</span>' in page
    assert 'name="tenant"' not in page  # one membership: a name, not a switcher


def test_a_member_of_two_tenants_gets_a_switcher(client_a, admin_a, tenant_a, tenant_b):
    MembershipFactory(tenant=tenant_b, user=admin_a.user, role=Role.VIEWER)
    client_a.post("/settings/switch/", {"tenant": tenant_a.pk})
    page = html(client_a.get("/"))
    assert 'action="/settings/switch/"' in page
    assert f'<option value="{tenant_a.pk}" selected>{tenant_a.name}</option>' in page
    assert f'<option value="{tenant_b.pk}">{tenant_b.name}</option>' in page


def test_switching_tenant_changes_what_the_dashboard_shows(client_a, admin_a, tenant_b):
    MembershipFactory(tenant=tenant_b, user=admin_a.user, role=Role.VIEWER)
    response = client_a.post("/settings/switch/", {"tenant": tenant_b.pk, "next": "/settings/members/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/settings/members/"
    page = html(response)
    assert f"已切换到 {tenant_b.name}" in page
    assert 'data-dismiss="alert"' in page
    assert client_a.session[SESSION_KEY] == tenant_b.pk
    assert f"<h1>{tenant_b.name}</h1>" in html(client_a.get("/"))


def test_switching_to_a_tenant_one_is_not_a_member_of_is_404_and_changes_nothing(client_a, tenant_a, tenant_b):
    client_a.get("/")
    before = client_a.session.get(SESSION_KEY)
    response = client_a.post("/settings/switch/", {"tenant": tenant_b.pk, "next": "/"})
    assert response.status_code == 404
    assert client_a.session.get(SESSION_KEY) == before
    assert f"<h1>{tenant_a.name}</h1>" in html(client_a.get("/"))


def test_switching_never_redirects_off_site(client_a, admin_a, tenant_b):
    MembershipFactory(tenant=tenant_b, user=admin_a.user, role=Role.VIEWER)
    response = client_a.post("/settings/switch/", {"tenant": tenant_b.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_language_switch_gives_english_and_back(client_a):
    response = client_a.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = html(response)
    assert '<html lang="en">' in page
    for text in ("Dashboard", "Sign out", "Active members", "Settings"):
        assert text in page
    assert "首页" not in page
    page = html(client_a.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True))
    assert '<html lang="zh-hans">' in page
    assert "首页" in page


def test_htmx_requests_carry_the_csrf_token(client_a):
    page = html(client_a.get("/"))
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in page


def test_a_forbidden_action_explains_the_role_in_chinese(client_for, handler_a, admin_a):
    response = client_for(handler_a).get(f"/settings/members/{admin_a.pk}/")
    assert response.status_code == 403
    page = html(response)
    assert "无权访问" in page
    assert "您的角色（处置人员）无权执行此操作" in page
