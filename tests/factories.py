"""Factories. Children are always created in their parent's tenant."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from yuqing.tenancy.models import Department, Membership, Role, Tenant, User

PASSWORD = "Yq-test-pass-2026"
# Hashing once keeps the suite fast; every factory user shares this password.
_PASSWORD_HASH = make_password(PASSWORD)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"测试金融{n}号")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"部门{n}")
    kind = Department.Kind.OTHER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    password = _PASSWORD_HASH


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.HANDLER
    department = factory.LazyAttribute(lambda o: Department.objects.for_tenant(o.tenant).order_by("pk").first())
