"""The settings pages: members and departments, as each role sees them."""

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Membership, Role


def test_an_admin_adds_a_new_colleague_from_the_members_page(client_a, tenant_a):
    department = Department.objects.for_tenant(tenant_a).get(kind=Department.Kind.LEGAL)
    response = client_a.post(
        "/settings/members/",
        {
            "username": "zhao.lei",
            "display_name": "赵磊",
            "password": "Kq8#vLm2-zx",
            "department": department.pk,
            "role": Role.HANDLER,
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.for_tenant(tenant_a).get(user__username="zhao.lei")
    assert membership.department == department
    assert membership.user.check_password("Kq8#vLm2-zx")


def test_a_new_user_without_password_gets_a_chinese_error(client_a, tenant_a):
    response = client_a.post(
        "/settings/members/", {"username": "new.person", "display_name": "新人", "role": Role.VIEWER}
    )
    assert response.status_code == 200
    assert "新用户需要设置初始密码" in response.content.decode()
    assert not Membership.objects.for_tenant(tenant_a).filter(user__username="new.person").exists()


def test_a_department_of_another_tenant_is_not_a_valid_choice(client_a, tenant_a, tenant_b):
    foreign = Department.objects.for_tenant(tenant_b).first()
    response = client_a.post(
        "/settings/members/",
        {
            "username": "x.y",
            "display_name": "某人",
            "password": "Kq8#vLm2-zx",
            "department": foreign.pk,
            "role": Role.VIEWER,
        },
    )
    assert response.status_code == 200
    assert not Membership.objects.for_tenant(tenant_a).filter(user__username="x.y").exists()


def test_a_handler_sees_members_but_cannot_add_or_edit(client_for, handler_a, admin_a):
    client = client_for(handler_a)
    assert client.get("/settings/members/").status_code == 200
    response = client.post(
        "/settings/members/", {"username": "a", "display_name": "b", "password": "Kq8#vLm2-zx", "role": Role.ADMIN}
    )
    assert response.status_code == 403
    assert client.get(f"/settings/members/{admin_a.pk}/").status_code == 403


def test_an_admin_changes_a_role_and_it_is_audited(client_a, tenant_a, handler_a):
    response = client_a.post(
        f"/settings/members/{handler_a.pk}/",
        {"role": Role.MANAGER, "department": handler_a.department_id, "is_active": "on"},
    )
    assert response.status_code == 302
    handler_a.refresh_from_db()
    assert handler_a.role == Role.MANAGER
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="membership.update").exists()


def test_an_admin_adds_a_department(client_a, tenant_a):
    response = client_a.post("/settings/departments/new/", {"name": "投资者关系部", "kind": "other"})
    assert response.status_code == 302
    assert Department.objects.for_tenant(tenant_a).filter(name="投资者关系部").exists()


def test_a_signed_in_user_without_membership_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("loner", password="Kq8#vLm2-zx")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/settings/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
