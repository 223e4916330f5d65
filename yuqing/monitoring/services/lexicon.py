"""The seed finance risk lexicon: keyword rules every tenant starts with, and then edits.

Our own list, by category (DOMAIN.md "Risk terms"); the public finance sentiment lexicons carry no
licence for redistribution and nothing here is copied from them. Weights (1–100) say how strongly a
term alone signals risk: a run on a lender (挤兑), illegal fund-raising (非法集资) or a lender that
collapsed or fled (暴雷, 跑路) weigh most; 曝光 ("exposing") is common in ordinary complaints and
weighs little. Exclude terms drop a mention to score 0 (job ads, advertisements).

`keyword_rules_seed(tenant=...)` creates the rules a tenant lacks; scoring calls it when a tenant
has no rules at all, and `seed_demo` calls it for the demo tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from yuqing.monitoring.models import KeywordRule
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant


@dataclass(frozen=True)
class SeedTerm:
    term: str
    weight: int
    kind: str = KeywordRule.Kind.SENSITIVE


# Category labels as stored on the rules (KeywordRule.category); the portal translates them.
DEFAULT = gettext_noop("违约")
COLLECTION = gettext_noop("催收")
ILLEGAL_FINANCE = gettext_noop("非法金融")
COLLECTIVE_ACTION = gettext_noop("群体事件")
LEGAL = gettext_noop("监管司法")
EXPOSURE = gettext_noop("曝光")
CONSTRUCTION = gettext_noop("工程")
NOISE = gettext_noop("无关")

SEED_LEXICON: dict[str, tuple[SeedTerm, ...]] = {
    # Default and credit: the lender or borrower cannot pay.
    DEFAULT: (
        SeedTerm("暴雷", 35),
        SeedTerm("爆雷", 35),
        SeedTerm("跑路", 35),
        SeedTerm("逾期", 20),
        SeedTerm("违约", 22),
        SeedTerm("兑付困难", 28),
        SeedTerm("延期兑付", 25),
        SeedTerm("展期", 12),
        SeedTerm("失联", 28),
        SeedTerm("坏账", 18),
        SeedTerm("破产", 30),
        SeedTerm("倒闭", 28),
        SeedTerm("资金链断裂", 32),
    ),
    # Collection conduct.
    COLLECTION: (
        SeedTerm("催收", 12),
        SeedTerm("暴力催收", 30),
        SeedTerm("爆通讯录", 30),
        SeedTerm("威胁恐吓", 22),
    ),
    # Illegal finance (砍头息: deducting interest from the principal, Civil Code Art. 670).
    ILLEGAL_FINANCE: (
        SeedTerm("非法集资", 40),
        SeedTerm("套路贷", 35),
        SeedTerm("砍头息", 25),
        SeedTerm("高利贷", 25),
        SeedTerm("庞氏", 30),
        SeedTerm("资金池", 15),
    ),
    # Collective action: the step from words to the street.
    COLLECTIVE_ACTION: (
        SeedTerm("挤兑", 40),
        SeedTerm("维权", 20),
        SeedTerm("集体维权", 30),
        SeedTerm("拉横幅", 28),
        SeedTerm("上访", 25),
        SeedTerm("集体投诉", 25),
        SeedTerm("聚集", 15),
        SeedTerm("讨薪", 20),
    ),
    # Legal and regulatory.
    LEGAL: (
        SeedTerm("立案", 25),
        SeedTerm("被查", 22),
        SeedTerm("处罚", 18),
        SeedTerm("罚单", 18),
        SeedTerm("约谈", 15),
        SeedTerm("冻结", 18),
        SeedTerm("失信被执行人", 25),
        SeedTerm("起诉", 12),
        SeedTerm("诉讼", 10),
    ),
    # Exposure: accusations in public.
    EXPOSURE: (
        SeedTerm("曝光", 8),
        SeedTerm("黑幕", 15),
        SeedTerm("诈骗", 22),
        SeedTerm("骗局", 20),
        SeedTerm("造假", 20),
    ),
    # Construction projects behind project finance.
    CONSTRUCTION: (
        SeedTerm("停工", 20),
        SeedTerm("烂尾", 25),
        SeedTerm("欠薪", 18),
        SeedTerm("拖欠工资", 18),
    ),
    # Not about risk at all.
    NOISE: (
        SeedTerm("招聘", 10, KeywordRule.Kind.EXCLUDE),
        SeedTerm("诚聘", 10, KeywordRule.Kind.EXCLUDE),
        SeedTerm("广告", 10, KeywordRule.Kind.EXCLUDE),
    ),
}


@tenant_service(None)
def keyword_rules_seed(*, tenant: Tenant) -> int:
    """Create the seed rules the tenant does not have yet (by term and kind); the number created.

    Idempotent: a rule the tenant already has, edited or not, is left as it is.
    """
    existing = set(KeywordRule.objects.for_tenant(tenant).values_list("term", "kind"))
    rules = [
        KeywordRule(tenant=tenant, term=seed.term, kind=seed.kind, category=category, weight=seed.weight)
        for category, seeds in SEED_LEXICON.items()
        for seed in seeds
        if (seed.term, seed.kind) not in existing
    ]
    # ignore_conflicts: a concurrent seed (two scoring jobs of a new tenant) may have won the race.
    KeywordRule.objects.bulk_create(rules, ignore_conflicts=True)
    return len(rules)
