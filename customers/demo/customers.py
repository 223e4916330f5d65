"""Demo customers: about 200 per tenant, in groups (集团 → 子公司 → 项目公司), with tiers and history.

`seed_customers` is idempotent: customers are keyed by their credit code or ID number, rules and
products by name, so a second run adds nothing. Everything goes through the services (validation,
audit trail, tier recompute), as the portal would. Codes are generated with valid check
characters (GB 32100 for credit codes, GB 11714 inside them for the organisation code, GB 11643
for ID numbers); the names are realistic but the codes and figures are invented.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.demo.feedback import seed_feedback
from customers.models import Customer, Product, Tier, TierRule
from customers.services import tiering
from customers.services.customers import customer_create, product_create
from customers.services.validation import CustomerData
from customers.validators import CREDIT_CODE_ALPHABET, credit_code_check_char, id_number_check_char
from yuqing import privacy
from yuqing.tenancy.demo import DemoData, DemoStep
from yuqing.tenancy.models import Membership, Role, Tenant

YI = Decimal("100000000")
WAN = Decimal("10000")

PRODUCTS = ["项目融资", "流动资金贷款", "银团贷款", "并购贷款", "供应链金融", "保函", "个人经营贷"]
REGION_CODES = {
    "北京": "110000",
    "上海": "310000",
    "天津": "120000",
    "重庆": "500000",
    "深圳": "440300",
    "广州": "440100",
    "成都": "510100",
    "武汉": "420100",
    "杭州": "330100",
    "南京": "320100",
    "西安": "610100",
    "长沙": "430100",
    "合肥": "340100",
    "贵阳": "520100",
    "昆明": "530100",
    "乌鲁木齐": "650100",
    "呼和浩特": "150100",
    "银川": "640100",
    "兰州": "620100",
    "郑州": "410100",
}
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code (8 characters and a check character), within the USCC alphabet."""
    while True:
        body = "".join(rng.choice(ORG_ALPHABET) for _ in range(8))
        total = sum(int(ch, 36) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
        check = 11 - total % 11
        char = {10: "X", 11: "0"}.get(check, str(check))
        if char in CREDIT_CODE_ALPHABET:
            return body + char


def make_credit_code(rng: random.Random, *, region: str = "北京") -> str:
    """A 统一社会信用代码 of a company (9 工商, 1 企业) registered in `region`."""
    first17 = "91" + REGION_CODES.get(region, "110000") + organisation_code(rng)
    return first17 + credit_code_check_char(first17)


def make_id_number(rng: random.Random, *, region: str = "北京", born: dt.date | None = None) -> str:
    born = born or dt.date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
    first17 = (
        REGION_CODES.get(region, "110000")[:4]
        + f"{rng.randint(1, 20):02d}"
        + born.strftime("%Y%m%d")
        + (f"{rng.randint(1, 999):03d}")
    )
    return first17 + id_number_check_char(first17)


def make_mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "136", "186", "150", "177", "188", "135", "158", "199"]) + (
        f"{rng.randint(0, 99999999):08d}"
    )


@dataclass
class GroupPlan:
    name: str
    short: str
    industry: str
    region: str
    aliases: list[str]
    subsidiaries: list[tuple[str, str]]  # (name, region)
    project_words: list[str]
    tags: list[str] = field(default_factory=list)
    strategic: bool = False
    listed: str = ""


GROUPS = [
    GroupPlan(
        "华润置地有限公司",
        "华润置地",
        "房地产业",
        "深圳",
        ["华润置地控股", "华润地产"],
        [("华润置地（北京）股份有限公司", "北京"), ("华润置地（成都）发展有限公司", "成都")],
        ["橡树湾", "二十四城", "万象府"],
        ["国企", "上市公司"],
        listed="01109.HK",
    ),
    GroupPlan(
        "中国建筑第八工程局有限公司",
        "中建八局",
        "建筑业",
        "上海",
        ["中建八局", "中国建筑八局"],
        [("中建八局第一建设有限公司", "济南"), ("中建八局西南建设工程有限公司", "成都")],
        ["轨道交通", "会展中心", "综合管廊"],
        ["国企"],
        strategic=True,
    ),
    GroupPlan(
        "中国建筑第三工程局有限公司",
        "中建三局",
        "建筑业",
        "武汉",
        ["中建三局"],
        [("中建三局第一建设工程有限责任公司", "武汉"), ("中建三局集团（深圳）有限公司", "深圳")],
        ["超高层", "数据中心"],
        ["国企"],
    ),
    GroupPlan(
        "招商局蛇口工业区控股股份有限公司",
        "招商蛇口",
        "房地产业",
        "深圳",
        ["招商蛇口", "招商局地产"],
        [("招商局地产（杭州）有限公司", "杭州"), ("招商局地产（南京）有限公司", "南京")],
        ["雍江府", "璀璨城"],
        ["国企", "上市公司"],
        listed="001979.SZ",
    ),
    GroupPlan(
        "成都城建投资管理集团有限责任公司",
        "成都城投",
        "商务服务业",
        "成都",
        ["成都城投", "成都城建投"],
        [("成都城投置地（集团）有限公司", "成都"), ("成都城投能源投资集团有限公司", "成都")],
        ["天府新区片区开发", "东部新区管网"],
        ["国企", "城投平台"],
    ),
    GroupPlan(
        "武汉市城市建设投资开发集团有限公司",
        "武汉城投",
        "商务服务业",
        "武汉",
        ["武汉城投"],
        [("武汉市水务集团有限公司", "武汉"), ("武汉城投房地产集团有限公司", "武汉")],
        ["长江新区道路", "汉江湾棚改"],
        ["国企", "城投平台"],
    ),
    GroupPlan(
        "贵阳市城市建设投资集团有限公司",
        "贵阳城投",
        "商务服务业",
        "贵阳",
        ["贵阳城投", "筑城投"],
        [("贵阳市公共住宅投资建设（集团）有限公司", "贵阳")],
        ["观山湖棚改"],
        ["国企", "城投平台", "重点关注"],
    ),
    GroupPlan(
        "中国三峡新能源（集团）股份有限公司",
        "三峡能源",
        "电力、热力生产和供应业",
        "北京",
        ["三峡能源", "三峡新能源"],
        [("三峡新能源西北投资有限公司", "乌鲁木齐"), ("三峡新能源内蒙古有限公司", "呼和浩特")],
        ["哈密风电", "达茂旗光伏", "乌兰察布储能"],
        ["国企", "上市公司", "绿色信贷"],
        listed="600905.SH",
    ),
    GroupPlan(
        "国家电投集团宁夏能源铝业有限公司",
        "宁夏能源铝业",
        "电力、热力生产和供应业",
        "银川",
        ["宁夏能源铝业"],
        [("国家电投集团宁夏新能源有限公司", "银川")],
        ["中卫光伏", "青铜峡风电"],
        ["国企", "绿色信贷"],
    ),
]
STANDALONE_WORDS = [
    ("恒通", "物流", "交通运输业"),
    ("华瑞", "精密制造", "制造业"),
    ("鼎盛", "商贸", "批发和零售业"),
    ("汇丰源", "食品", "制造业"),
    ("新宇", "电子科技", "制造业"),
    ("瑞丰", "农业发展", "农业"),
    ("金桥", "建材", "制造业"),
    ("润泽", "医疗器械", "制造业"),
    ("东方", "化工", "制造业"),
    ("远航", "船舶服务", "交通运输业"),
    ("天成", "环保科技", "水利、环境和公共设施管理业"),
    ("嘉禾", "酒店管理", "住宿和餐饮业"),
    ("联创", "软件", "信息技术服务业"),
    ("泰和", "纺织", "制造业"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞"]
PHASES = ["一期", "二期", "三期"]
RULES = [
    ("敞口不低于 5 亿元", TierRule.Kind.EXPOSURE_AT_LEAST, Decimal("5") * YI),
    ("战略客户", TierRule.Kind.STRATEGIC, None),
    ("VIP 集团成员", TierRule.Kind.VIP_GROUP_MEMBER, None),
]


@dataclass
class SeedResult:
    created: int = 0
    existing: int = 0
    names: list[str] = field(default_factory=list)


class _Seeder:
    def __init__(self, tenant: Tenant, members: list[Membership]) -> None:
        self.tenant = tenant
        self.rng = random.Random(f"customers:{tenant.slug}")  # noqa: S311 - demo data, repeatable on purpose
        self.managers = [m for m in members if m.is_active and m.role != Role.VIEWER] or list(members)
        self.actor = next((m.user for m in members if m.role == Role.ADMIN), members[0].user)
        self.result = SeedResult()
        customers = Customer.objects.for_tenant(tenant)
        self.by_code = {c.credit_code: c for c in customers.exclude(credit_code="")}
        self.by_digest = {c.id_number_digest: c for c in customers.exclude(id_number_digest="")}
        self.products: dict[str, Product] = {p.name: p for p in Product.objects.for_tenant(tenant)}

    def product(self, *names: str) -> list[Product]:
        return [self.products[name] for name in names]

    def manager(self) -> Membership:
        return self.rng.choice(self.managers)

    def amount(self, low: Decimal, high: Decimal) -> Decimal:
        # Round to 万元, as lending figures usually are.
        return (Decimal(self.rng.uniform(float(low), float(high))) / WAN).quantize(Decimal("1")) * WAN

    def enterprise(
        self, name: str, *, region: str, industry: str, low: Decimal, high: Decimal, **extra: object
    ) -> Customer:
        # Draw every random value before looking the code up, so a rerun draws the same sequence.
        code = make_credit_code(self.rng, region=region)
        limit = self.amount(low, high)
        drawn = Decimal(str(round(self.rng.uniform(0.3, 0.95), 2)))
        manager = self.manager()
        if code in self.by_code:
            self.result.existing += 1
            return self.by_code[code]
        data = CustomerData(
            kind=Customer.Kind.ENTERPRISE,
            name=name,
            credit_code=code,
            region=region,
            industry=industry,
            credit_limit=limit,
            loan_balance=(limit * drawn).quantize(WAN),
            relationship_manager=manager,
            **extra,  # type: ignore[arg-type]
        )
        return self._create(data)

    def _create(self, data: CustomerData) -> Customer:
        customer = customer_create(tenant=self.tenant, actor=None, data=data, enqueue_recompute=False)
        self.by_code[customer.credit_code] = customer
        self.result.created += 1
        self.result.names.append(customer.name)
        return customer

    def groups(self) -> None:
        for plan in GROUPS:
            group = self.enterprise(
                plan.name,
                region=plan.region,
                industry=plan.industry,
                low=80 * YI,
                high=300 * YI,
                short_name=plan.short,
                aliases=plan.aliases,
                group_role=Customer.GroupRole.GROUP,
                is_strategic=plan.strategic,
                listed_codes=plan.listed,
                tag_names=plan.tags,
                products=self.product("银团贷款", "流动资金贷款", "保函"),
            )
            for sub_name, sub_region in plan.subsidiaries:
                sub = self.enterprise(
                    sub_name,
                    region=sub_region,
                    industry=plan.industry,
                    low=5 * YI,
                    high=60 * YI,
                    parent=group,
                    group_role=Customer.GroupRole.SUBSIDIARY,
                    products=self.product("流动资金贷款", "并购贷款"),
                    tag_names=[t for t in plan.tags if t != "上市公司"],
                )
                phase = PHASES[plan.subsidiaries.index((sub_name, sub_region))]
                for word in plan.project_words:
                    self.enterprise(
                        f"{plan.short}{word}{phase}项目有限公司",
                        region=sub_region,
                        industry=plan.industry,
                        low=1 * YI,
                        high=12 * YI,
                        parent=sub,
                        group_role=Customer.GroupRole.PROJECT_COMPANY,
                        products=self.product("项目融资"),
                        aliases=[f"{sub_region}{word}{phase}项目"],
                        tag_names=["绿色信贷"] if "绿色信贷" in plan.tags else [],
                    )

    def standalone(self, count: int) -> None:
        regions = list(REGION_CODES)
        for index in range(count):
            word, business, industry = STANDALONE_WORDS[index % len(STANDALONE_WORDS)]
            region = regions[(index * 7) % len(regions)]
            self.enterprise(
                f"{region}{word}{business}{'有限公司' if index % 3 else '股份有限公司'}",
                region=region,
                industry=industry,
                low=Decimal("0.05") * YI,
                high=(8 if index % 9 == 0 else 2) * YI,
                products=self.product(*self.rng.sample(["流动资金贷款", "供应链金融", "保函"], k=2)),
                tag_names=["民企"] + (["重点关注"] if index % 11 == 0 else []),
                short_name=f"{word}{business}",
            )

    def individuals(self, count: int) -> None:
        regions = list(REGION_CODES)
        for index in range(count):
            region = regions[(index * 3) % len(regions)]
            number, mobile = make_id_number(self.rng, region=region), make_mobile(self.rng)
            limit, manager = self.amount(10 * WAN, 500 * WAN), self.manager()
            digest = privacy.digest(number, purpose="id_number")
            if digest in self.by_digest:
                self.result.existing += 1
                continue
            customer = customer_create(
                tenant=self.tenant,
                actor=None,
                enqueue_recompute=False,
                data=CustomerData(
                    kind=Customer.Kind.INDIVIDUAL,
                    name=SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 5) % len(GIVEN)],
                    id_number=number,
                    mobile=mobile,
                    region=region,
                    credit_limit=limit,
                    loan_balance=(limit * Decimal("0.6")).quantize(WAN),
                    products=self.product("个人经营贷"),
                    tag_names=["个体工商户"] if index % 2 else [],
                    relationship_manager=manager if index % 2 == 0 else None,
                ),
            )
            self.by_digest[digest] = customer
            self.result.created += 1
            self.result.names.append(customer.name)

    def overrides(self, created_before: set[int]) -> None:
        """A few manual tiers, on customers created by this run only (a rerun changes nothing)."""
        customers = (
            Customer.objects.for_tenant(self.tenant)
            .exclude(pk__in=created_before)
            .filter(kind=Customer.Kind.ENTERPRISE)
        )
        standalone = list(customers.filter(group_role=Customer.GroupRole.STANDALONE).order_by("pk")[:3])
        projects = list(customers.filter(group_role=Customer.GroupRole.PROJECT_COMPANY).order_by("pk")[:1])
        now = timezone.now()
        plans = [
            (standalone[0:1], Tier.VIP, "总行重点营销客户，年内提升服务等级", now + dt.timedelta(days=90)),
            (standalone[1:2], Tier.VIP, "涉及地方政府重点项目，舆情敏感", None),
            (projects[0:1], Tier.STANDARD, "项目贷款已基本结清，按标准客户服务", None),
            (standalone[2:3], Tier.VIP, "季度专项营销活动", now + dt.timedelta(days=1)),
        ]
        for targets, tier, reason, expires_at in plans:
            for customer in targets:
                tiering.customer_tier_override(
                    tenant=self.tenant,
                    actor=self.actor,
                    customer=customer,
                    tier=tier,
                    reason=reason,
                    expires_at=expires_at,
                    enqueue_recompute=False,
                )
        # Let the last one run out, so the history shows what an expiry looks like.
        if standalone[2:3]:
            Customer.objects.for_tenant(self.tenant).filter(pk=standalone[2].pk).update(
                manual_tier_expires_at=now - dt.timedelta(minutes=1)
            )


@transaction.atomic
def seed_customers(*, tenant: Tenant, members: list[Membership]) -> SeedResult:
    """About 200 demo customers for `tenant`; `members` become their relationship managers."""
    if not members:
        raise ValueError("seed_customers needs at least one member: VIP customers need a relationship manager.")
    seeder = _Seeder(tenant, members)
    for name in PRODUCTS:
        if name not in seeder.products:
            seeder.products[name] = product_create(tenant=tenant, actor=None, name=name)
    existing_rules = set(TierRule.objects.for_tenant(tenant).values_list("name", flat=True))
    for name, kind, threshold in RULES:
        if name not in existing_rules:
            tiering.tier_rule_create(
                tenant=tenant, actor=None, name=name, kind=kind, threshold=threshold, enqueue_recompute=False
            )
    tiering.service_strategies_ensure(tenant=tenant)
    before = set(Customer.objects.for_tenant(tenant).values_list("pk", flat=True))
    seeder.groups()
    seeder.standalone(90)
    seeder.individuals(45)
    seeder.overrides(before)
    tiering.tier_recompute_tenant(tenant=tenant)
    return seeder.result


def seed_customers_and_feedback(demo: DemoData) -> None:
    """The demo step: customers for every demo tenant, then feedback in every status."""
    for tenant in demo.tenants.values():
        members = list(
            Membership.objects.for_tenant(tenant)
            .filter(is_active=True)
            .select_related("user", "department")
            .order_by("pk")
        )
        managers = [m for m in members if m.role in (Role.ADMIN, Role.MANAGER, Role.HANDLER)]
        result = seed_customers(tenant=tenant, members=managers)
        customers = list(Customer.objects.for_tenant(tenant).order_by("pk"))
        feedback = seed_feedback(tenant=tenant, customers=customers, members=members)
        demo.created += result.created + feedback
        if result.created or feedback:
            demo.log(f"客户 {tenant.slug}：新增 {result.created} 位客户，{feedback} 条反馈")


DEMO_STEPS: list[DemoStep] = [seed_customers_and_feedback]
