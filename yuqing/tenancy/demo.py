"""Demo data of tenancy: two tenants and their staff, for `manage.py seed_demo`.

How demo data is organised: each app may have a `demo.py` with `DEMO_STEPS`, a list of
functions taking the shared `DemoData`. `seed_demo` runs the steps app by app in the order of
INSTALLED_APPS (lower layers first), so a customers step finds the tenants made here, an
incidents step the customers, and so on. Every step is idempotent: it looks its rows up by a
natural key and creates only what is missing, through the app's services, so the audit trail
records the demo data like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.hashers import make_password

from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.services import DEFAULT_DEPARTMENTS, membership_add, tenant_create

DEMO_PASSWORD = "Demo@2026"

Kind = Department.Kind


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: str
    department: str  # a Department.Kind
    title: str


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    people: tuple[DemoPerson, ...]


# Wang Min belongs to both: manager at the leasing company, auditor at the bank (the group's
# 舆情 centre oversees both); the browser test switches tenants as her.
WANGMIN_A = DemoPerson("wangmin", "王敏", Role.MANAGER, Kind.MANAGEMENT, "集团舆情中心")
WANGMIN_B = DemoPerson("wangmin", "王敏", Role.AUDITOR, Kind.MANAGEMENT, "集团舆情中心")

DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        slug="demo-a",
        name="华信融资租赁有限公司",
        people=(
            DemoPerson("admin_a", "赵磊", Role.ADMIN, Kind.MANAGEMENT, "系统管理员"),
            WANGMIN_A,
            DemoPerson("xuming", "徐明", Role.MANAGER, Kind.MANAGEMENT, "副总经理"),
            DemoPerson("chenjing", "陈静", Role.MANAGER, Kind.PR, "品牌公关经理"),
            DemoPerson("liuyang", "刘洋", Role.HANDLER, Kind.PR, "舆情分析师"),
            DemoPerson("zhengyu", "郑宇", Role.MANAGER, Kind.LEGAL, "法务经理"),
            DemoPerson("hejia", "何佳", Role.HANDLER, Kind.LEGAL, "法务专员"),
            DemoPerson("zhouting", "周婷", Role.MANAGER, Kind.CUSTOMER_SERVICE, "客服主管"),
            DemoPerson("wuhao", "吴昊", Role.HANDLER, Kind.CUSTOMER_SERVICE, "客服专员"),
            DemoPerson("sunli", "孙丽", Role.HANDLER, Kind.CUSTOMER_SERVICE, "投诉处理专员"),
            DemoPerson("maojun", "毛军", Role.HANDLER, Kind.TECH_SUPPORT, "运维工程师"),
            DemoPerson("huangxin", "黄鑫", Role.VIEWER, Kind.TECH_SUPPORT, "数据分析员"),
            DemoPerson("linfeng", "林峰", Role.MANAGER, Kind.RISK, "风险管理部经理"),
            DemoPerson("gaoyan", "高燕", Role.AUDITOR, Kind.RISK, "合规审计岗"),
        ),
    ),
    DemoTenant(
        slug="demo-b",
        name="江东项目融资银行股份有限公司",
        people=(
            DemoPerson("admin_b", "钱涛", Role.ADMIN, Kind.MANAGEMENT, "系统管理员"),
            WANGMIN_B,
            DemoPerson("luyi", "卢毅", Role.MANAGER, Kind.MANAGEMENT, "行长助理"),
            DemoPerson("yangfan", "杨帆", Role.MANAGER, Kind.PR, "公共关系部负责人"),
            DemoPerson("xiaoyu", "肖雨", Role.HANDLER, Kind.PR, "舆情监测岗"),
            DemoPerson("fengqian", "冯倩", Role.HANDLER, Kind.LEGAL, "法律顾问"),
            DemoPerson("hanxue", "韩雪", Role.MANAGER, Kind.CUSTOMER_SERVICE, "客户服务中心主任"),
            DemoPerson("tangjie", "唐杰", Role.HANDLER, Kind.CUSTOMER_SERVICE, "客户经理"),
            DemoPerson("caolei", "曹磊", Role.HANDLER, Kind.TECH_SUPPORT, "系统运维岗"),
            DemoPerson("dengkai", "邓凯", Role.VIEWER, Kind.TECH_SUPPORT, "信息科技部职员"),
            DemoPerson("xiechen", "谢晨", Role.MANAGER, Kind.RISK, "授信审批部经理"),
            DemoPerson("songlin", "宋琳", Role.AUDITOR, Kind.RISK, "内审稽核岗"),
        ),
    ),
)


@dataclass
class DemoData:
    """What the steps share: the demo tenants and users by their natural keys, and a log."""

    log: Callable[[str], None]
    tenants: dict[str, Tenant] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    created: int = 0

    def tenant(self, slug: str) -> Tenant:
        return self.tenants[slug]


DemoStep = Callable[[DemoData], None]


def demo_tenant_get_or_create(demo: DemoData, spec: DemoTenant) -> Tenant:
    tenant = Tenant.objects.filter(slug=spec.slug).first()
    if tenant is None:
        tenant = tenant_create(slug=spec.slug, name=spec.name, actor=None)
        demo.created += 1
        demo.log(f"租户 {spec.slug}：{spec.name}")
    demo.tenants[spec.slug] = tenant
    return tenant


@cache
def _demo_password_hash() -> str:
    # One hash for every demo user: hashing is deliberately slow, and the demo has many users.
    return make_password(DEMO_PASSWORD)


def demo_user_get_or_create(demo: DemoData, person: DemoPerson) -> User:
    # An existing user keeps their password: a second run changes nothing.
    user = User.objects.filter(username=person.username).first()
    if user is None:
        user = User(username=person.username, display_name=person.display_name, password=_demo_password_hash())
        user.save()
        demo.created += 1
    demo.users[person.username] = user
    return user


def seed_tenants_and_staff(demo: DemoData) -> None:
    """Both demo tenants, with an admin and staff in every default department."""
    for spec in DEMO_TENANTS:
        tenant = demo_tenant_get_or_create(demo, spec)
        # The oldest department of each kind: the default one, even if an admin added another.
        departments: dict[str, Department] = {}
        for department in Department.objects.for_tenant(tenant).order_by("pk"):
            departments.setdefault(department.kind, department)
        members = set(Membership.objects.for_tenant(tenant).values_list("user__username", flat=True))
        for person in spec.people:
            user = demo_user_get_or_create(demo, person)
            if person.username in members:
                continue
            membership_add(
                tenant=tenant,
                actor=None,
                user=user,
                role=person.role,
                department=departments.get(person.department),
                title=person.title,
            )
            demo.created += 1
            demo.log(f"成员 {spec.slug} · {person.username}（{person.display_name}）")


DEMO_STEPS: list[DemoStep] = [seed_tenants_and_staff]


def demo_logins() -> list[tuple[str, str, str, str, str]]:
    """(tenant, username, name, role, department) of every demo login, for printing."""
    department_names = dict(DEFAULT_DEPARTMENTS)
    return [
        (
            spec.slug,
            person.username,
            person.display_name,
            str(Role(person.role).label),
            str(department_names[person.department]),
        )
        for spec in DEMO_TENANTS
        for person in spec.people
    ]
