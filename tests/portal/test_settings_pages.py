"""The members page as each role sees it, and the member edit form."""

from tests.portal.support import html
from yuqing.tenancy.models import Role


def test_an_admin_sees_the_add_member_and_new_department_forms_and_edit_links(client_a, handler_a):
    page = html(client_a.get("/settings/members/"))
    assert 'id="add-member"' in page
    assert 'action="/settings/departments/new/"' in page
    assert f'href="/settings/members/{handler_a.pk}/"' in page
    assert "handler_a" in page


def test_a_handler_sees_the_members_but_no_forms_or_edit_links(client_for, handler_a, admin_a):
    page = html(client_for(handler_a).get("/settings/members/"))
    assert "admin_a" in page
    assert 'id="add-member"' not in page
    assert "/settings/departments/new/" not in page
    assert f'href="/settings/members/{admin_a.pk}/"' not in page


def test_field_errors_are_in_chinese_next_to_their_fields(client_a):
    response = client_a.post("/settings/members/", {"username": "", "display_name": "", "role": Role.VIEWER})
    page = html(response)
    assert response.status_code == 200
    username_field = page[page.index('for="id_username"') : page.index('for="id_display_name"')]
    assert "这个字段是必填项" in username_field
    assert "has-error" in page


def test_the_edit_form_shows_the_member_and_saves(client_a, handler_a):
    page = html(client_a.get(f"/settings/members/{handler_a.pk}/"))
    assert f"编辑成员 {handler_a.user}" in page
    assert 'name="role"' in page and 'name="department"' in page and 'name="is_active"' in page
    response = client_a.post(
        f"/settings/members/{handler_a.pk}/",
        {"role": Role.VIEWER, "department": handler_a.department_id, "is_active": "on"},
        follow=True,
    )
    assert f"已更新成员 {handler_a.user}" in html(response)
    handler_a.refresh_from_db()
    assert handler_a.role == Role.VIEWER


def test_the_edit_form_of_another_tenants_member_is_404(client_a, admin_b):
    assert client_a.get(f"/settings/members/{admin_b.pk}/").status_code == 404
