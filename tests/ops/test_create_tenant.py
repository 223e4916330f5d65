"""create_tenant makes a tenant with its six departments and an admin, and refuses bad input."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.services import DEFAULT_DEPARTMENTS

PASSWORD = "Hx-admin-2026!"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_tenant_with_six_departments_and_an_admin(db):
    output = create(
        "huaxin",
        "华信融资租赁有限公司",
        "--time-zone",
        "Asia/Urumqi",
        "--admin",
        "zhaolei",
        "--admin-email",
        "zl@huaxin.example.cn",
        "--admin-name",
        "赵磊",
        "--admin-password",
        PASSWORD,
    )
    tenant = Tenant.objects.get(slug="huaxin")
    assert tenant.name == "华信融资租赁有限公司"
    assert tenant.time_zone == "Asia/Urumqi"
    names = set(Department.objects.for_tenant(tenant).values_list("name", flat=True))
    assert names == {name for _kind, name in DEFAULT_DEPARTMENTS}
    membership = Membership.objects.for_tenant(tenant).get(user__username="zhaolei")
    assert membership.role == Role.ADMIN
    assert membership.user.check_password(PASSWORD)
    assert membership.user.display_name == "赵磊"
    assert "huaxin" in output and "zhaolei" in output


def test_an_existing_user_becomes_admin_of_another_tenant(db):
    create("huaxin", "华信融资租赁", "--admin", "zhaolei", "--admin-password", PASSWORD)
    create("jiangdong", "江东项目融资银行", "--admin", "zhaolei")
    assert User.objects.filter(username="zhaolei").count() == 1
    tenant = Tenant.objects.get(slug="jiangdong")
    assert Membership.objects.for_tenant(tenant).get(user__username="zhaolei").role == Role.ADMIN


def test_it_refuses_a_slug_that_is_taken(db):
    create("huaxin", "华信融资租赁")
    with pytest.raises(CommandError, match="已被租户“华信融资租赁”使用"):
        create("huaxin", "另一家公司", "--admin", "someone", "--admin-password", PASSWORD)
    assert Tenant.objects.count() == 1
    assert not User.objects.filter(username="someone").exists()


def test_it_refuses_an_invalid_slug_or_time_zone(db):
    with pytest.raises(CommandError, match="标识“华信 租赁”无效"):
        create("华信 租赁", "华信融资租赁")
    with pytest.raises(CommandError, match="未知的时区“Asia/Beijing”"):
        create("huaxin", "华信融资租赁", "--time-zone", "Asia/Beijing")
    assert not Tenant.objects.exists()


def test_a_weak_or_missing_password_creates_nothing(db):
    with pytest.raises(CommandError, match="密码不符合要求"):
        create("huaxin", "华信融资租赁", "--admin", "zhaolei", "--admin-password", "12345678")
    # Under pytest stdin is not a terminal: no prompt, a clear error instead.
    with pytest.raises(CommandError, match="--admin-password"):
        create("huaxin", "华信融资租赁", "--admin", "zhaolei")
    assert not Tenant.objects.exists()
    assert not User.objects.exists()
