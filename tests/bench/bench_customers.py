"""Benchmark of the customer pages on PostgreSQL: 100,000 customers and 200,000 feedback items.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing .venv/bin/python tests/bench/bench_customers.py
    options: --customers N  --feedback N  --requests N  --keep (do not drop the bench database)

A script, not a test. It never touches the database DATABASE_URL names: it creates a throwaway
database beside it on the same server (`<name>_bench_<pid>`), migrates it, fills one tenant
with COPY (no services, so no audit events: the audit table refuses DELETE, and a throwaway
database needs no cleanup beyond DROP DATABASE), then times the customer list (unfiltered,
deep page, filtered) and the customer detail through Django's test client, and prints the
median and p95 of each over repeated requests with the number of SQL queries per request.
Target: query counts independent of page size and data size; p95 under 150 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import copy_rows, p95, reset_sequence, run_in_production_mode_database  # noqa: E402

REGIONS = ["北京", "上海", "深圳", "成都", "武汉", "杭州", "南京", "西安", "长沙", "贵阳", "广州", "重庆"]
WORDS = ["恒通", "华瑞", "鼎盛", "汇丰源", "新宇", "瑞丰", "金桥", "润泽", "东方", "远航", "天成", "嘉禾", "联创"]
BUSINESS = ["物流", "精密制造", "商贸", "食品", "电子科技", "农业发展", "建材", "医疗器械", "化工", "置业", "新能源"]
PRODUCTS = ["项目融资", "流动资金贷款", "银团贷款", "并购贷款", "供应链金融", "保函", "个人经营贷", "绿色信贷"]
GROUP_SIZE = 40  # every 40th customer heads a group: 集团 → 子公司 → 项目公司


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--feedback", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


def fill(tenant, membership, *, customers: int, feedback: int, rng: random.Random) -> dict:
    """The tenant's data, written with COPY. Returns ids that the requests use."""
    from django.utils import timezone

    from customers.demo import make_credit_code, make_id_number, make_mobile
    from customers.models import Customer, CustomerAlias, Feedback, Product, ServiceStrategy, Tier, TierChange
    from customers.services.tiering import DEFAULT_STRATEGIES
    from yuqing import privacy

    now = timezone.now()
    products = [Product.objects.create(tenant=tenant, name=name) for name in PRODUCTS]
    for tier, values in DEFAULT_STRATEGIES.items():
        ServiceStrategy.objects.create(tenant=tenant, tier=tier, **values)

    codes: set[str] = set()
    # One encrypted ID and mobile, reused: Fernet on 10,000 rows would only time the loader.
    id_number, mobile = make_id_number(rng), make_mobile(rng)
    id_encrypted, mobile_encrypted = privacy.encrypt(id_number), privacy.encrypt(mobile)

    def customer_rows() -> Iterable[dict]:
        for pk in range(1, customers + 1):
            # Drawn at random, not by pk: a pattern would correlate name order with the filters.
            region, word, business = rng.choice(REGIONS), rng.choice(WORDS), rng.choice(BUSINESS)
            offset = (pk - 1) % GROUP_SIZE
            head = pk - offset
            # The head of each block is a 集团, the next four its 子公司, the rest their 项目公司.
            parent = None if offset == 0 else (head if offset < 5 else head + 1 + offset % 4)
            role = (Customer.GroupRole.GROUP, Customer.GroupRole.SUBSIDIARY, Customer.GroupRole.PROJECT_COMPANY)[
                0 if offset == 0 else 1 if offset < 5 else 2
            ]
            individual = offset >= 5 and pk % 10 == 7
            limit = Decimal(rng.randrange(10, 500 if individual else 800_000)) * 10_000
            row = {
                "id": pk,
                "tenant_id": tenant.pk,
                "name": f"{region}{word}{business}{pk}号有限公司",
                "kind": Customer.Kind.INDIVIDUAL if individual else Customer.Kind.ENTERPRISE,
                "region": region,
                "industry": "制造业",
                "credit_limit": limit,
                "loan_balance": (limit * Decimal("0.6")).quantize(Decimal("1")),
                "parent_id": None if individual else parent,
                "group_role": role,
                "relationship_manager_id": membership.pk if pk % 3 else None,
                "tier": Tier.VIP if limit >= 5 * 10**8 else Tier.STANDARD,
                "tier_source": Customer.TierSource.RULE if limit >= 5 * 10**8 else Customer.TierSource.DEFAULT,
                "created_at": now,
                "updated_at": now,
                "short_name": f"{word}{pk}",
            }
            if individual:
                row.update(
                    name=f"个人客户{pk}",
                    group_role=Customer.GroupRole.STANDALONE,
                    id_number_encrypted=id_encrypted,
                    id_number_masked=privacy.mask_id_number(id_number),
                    id_number_digest=privacy.digest(f"{id_number}{pk}", purpose="id_number"),
                    mobile_encrypted=mobile_encrypted,
                    mobile_masked=privacy.mask_mobile(mobile),
                    mobile_digest=privacy.digest(f"{mobile}{pk}", purpose="mobile"),
                )
            else:
                code = make_credit_code(rng, region="北京")
                while code in codes:
                    code = make_credit_code(rng, region="北京")
                codes.add(code)
                row["credit_code"] = code
            yield row

    started = time.perf_counter()
    copy_rows(Customer, customer_rows())
    reset_sequence(Customer)
    links = Customer.products.through
    copy_rows(
        links,
        (
            {"tenant_id": tenant.pk, "customer_id": pk, "product_id": rng.choice(products).pk}
            for pk in range(1, customers + 1)
        ),
    )
    copy_rows(
        CustomerAlias,
        (
            {"tenant_id": tenant.pk, "customer_id": pk, "alias": f"别名{pk}"}
            for pk in range(1, customers + 1, GROUP_SIZE // 4)
        ),
    )
    copy_rows(
        TierChange,
        (
            {
                "tenant_id": tenant.pk,
                "customer_id": pk,
                "from_tier": Tier.STANDARD,
                "to_tier": Tier.VIP,
                "source": "rule",
                "reason": "符合规则「敞口不低于 5 亿元」",
                "created_at": now,
            }
            for pk in range(1, customers + 1, 7)
        ),
    )
    statuses = [choice[0] for choice in Feedback.Status.choices]
    channels = [choice[0] for choice in Feedback.Channel.choices]
    copy_rows(
        Feedback,
        (
            {
                "tenant_id": tenant.pk,
                "customer_id": rng.randrange(1, customers + 1),
                "kind": "complaint",
                "channel": channels[i % len(channels)],
                "category": "other",
                "subject": f"客户反馈{i}",
                "content": "放款进度慢，请尽快答复。",
                "received_at": now,
                "status": statuses[i % len(statuses)],
                "due_at": now,
                "created_at": now,
            }
            for i in range(feedback)
        ),
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load: statistics, visibility map
    loaded = time.perf_counter() - started
    return {"products": [p.pk for p in products], "loaded_seconds": loaded, "code": next(iter(codes))}


def measure(client, url: str, repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the next request clears the connection's query log
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timings, queries, len(response.content)


def main() -> None:
    run_in_production_mode_database(run, parse_args())


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    from yuqing.tenancy.models import Membership, Role, Tenant, User

    tenant = Tenant.objects.create(slug="bench", name="压测机构")
    user = User.objects.create(username="bench", display_name="压测客户经理")
    membership = Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    rng = random.Random(20260301)
    info = fill(tenant, membership, customers=args.customers, feedback=args.feedback, rng=rng)
    print(
        f"loaded {args.customers:,} customers and {args.feedback:,} feedback items in {info['loaded_seconds']:.1f} s",
        flush=True,
    )

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, SECURE_SSL_REDIRECT=False):
        client = Client()
        client.force_login(user)
        detail_ids = rng.sample(range(1, args.customers + 1), args.requests)
        group_heads = list(range(1, args.customers + 1, GROUP_SIZE))[: args.requests]
        scenarios = [
            ("list, page 1", "/customers/"),
            ("list, page 1000 (offset 49,950)", "/customers/?page=1000"),
            ("list, tier=VIP", "/customers/?tier=vip"),
            ("list, text search 恒通精密", "/customers/?q=恒通精密"),
            ("list, search exact credit code", f"/customers/?q={info['code']}"),
            ("list, region + exposure ≥ 1 亿", "/customers/?region=成都&exposure_min=10000"),
            ("list, product", f"/customers/?product={info['products'][2]}"),
            ("list, page 3 of a filter (htmx rows)", "/customers/?tier=vip&kind=enterprise&page=3"),
        ]
        for _ in range(5):
            client.get("/customers/")  # warm up: connection, templates, caches
        print()
        print(f"{'scenario':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'KB':>6}")
        for label, url in scenarios:
            timings, queries, size = measure(client, url, args.requests)
            print(f"{label:44} {statistics.median(timings):10.1f} {p95(timings):8.1f} {queries:8d} {size / 1024:6.0f}")
        for label, ids in (
            ("detail, random customers", detail_ids),
            ("detail, group heads (4 subs, 35 SPVs)", group_heads),
        ):
            timings, counts = [], set()
            for pk in ids:
                measured, queries, _size = measure(client, f"/customers/{pk}/", 1)
                timings.extend(measured)
                counts.add(queries)
            print(
                f"{label:44} {statistics.median(timings):10.1f} {p95(timings):8.1f} "
                f"{'/'.join(map(str, sorted(counts))):>8}"
            )


if __name__ == "__main__":
    main()
