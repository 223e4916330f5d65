"""Benchmark of the ingestion API on PostgreSQL: batches of 500 realistic Chinese mentions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python tests/bench/bench_ingest_api.py
    options: --batches N (40)  --size N (500)  --reposts F (0.05, share of items repeating an earlier text)
             --keep (do not drop the bench database)

A script, not a test. It creates a throwaway database beside DATABASE_URL's (`<name>_bench_<pid>`),
migrates it, makes one tenant with a source and an ingestion token, then POSTs the batches through
Django's test client (the whole stack: middleware, token lookup, JSON parsing, validation,
normalisation, de-duplication, bulk insert, the after-commit enqueue of scoring jobs) and prints
accepted mentions per second, the median and p95 request time, and the SQL queries per request.
Payloads are encoded before the clock starts. With REDIS_URL set the scoring jobs really go to
that Redis (and are removed from its "scoring" queue at the end); without it the enqueue fails
fast against a closed port and is logged, as when Redis is down.
Target: at least 2,000 accepted mentions per second.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import p95, run_in_production_mode_database  # noqa: E402

COMPANIES = [
    "恒通集团",
    "华瑞置业",
    "鼎盛资本",
    "汇丰源商贸",
    "新宇科技",
    "瑞丰小贷",
    "金桥供应链",
    "润泽地产",
    "远航物流",
]
PLACES = ["北京", "上海", "深圳", "成都", "武汉", "杭州", "南京", "西安", "长沙", "贵阳", "郑州", "重庆"]
EVENTS = [
    "听说{c}的理财产品逾期了，已经三个月没有兑付，{p}的投资人准备集体维权。",
    "{c}{p}项目停工快半年了，业主拉横幅要求复工，售楼处已经人去楼空，是不是要烂尾？",
    "{c}被曝暴力催收，爆通讯录骚扰借款人家属，已经有人向{p}银保监局集体投诉。",
    "{c}董事长失联的消息在{p}传开，员工说工资拖欠两个月，有人担心公司要跑路。",
    "今天去{c}{p}分公司办业务，工作人员态度很好，贷款三天就批下来了，点赞！",
    "{c}发布公告：因涉嫌非法集资被{p}公安立案侦查，相关账户已被冻结。",
    "{c}旗下平台提现困难，客服电话一直占线，{p}有好几百人在门口排队，像是挤兑。",
    "关于{c}债券展期的传闻，{p}的朋友说是真的，持有人会议下周召开，大家注意风险。",
    "{c}在{p}的新项目开盘，价格比周边低不少，朋友圈都在转，有没有懂行的说说靠谱吗？",
    "{c}收到{p}监管局罚单，原因是贷款资金违规流入房地产，罚款两百万元。",
]
TAILS = ["", "大家怎么看？", "有知道内情的吗", "#维权# #理财#", "求扩散！！", "（转自业主群）", "持续关注。"]
NICKS = ["路人甲", "财经观察员", "小散户老王", "业主群主", "新闻爆料", "金融圈内人", "投资小白", "吃瓜群众"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--reposts", type=float, default=0.05)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


def make_batches(args: argparse.Namespace, rng: random.Random) -> list[bytes]:
    """Encoded request bodies. Every item is its own text, but for `--reposts` of them, which repeat
    an earlier text with other spacing and punctuation (reposts: duplicates that count)."""
    now_ms = int(time.time() * 1000)
    batches: list[bytes] = []
    earlier: list[str] = []
    serial = 0
    for _ in range(args.batches):
        items = []
        for _ in range(args.size):
            serial += 1
            if earlier and rng.random() < args.reposts:
                body = "转发微博//@" + rng.choice(NICKS) + "：" + rng.choice(earlier).replace("，", " ")
            else:
                template = rng.choice(EVENTS)
                body = template.format(c=rng.choice(COMPANIES), p=rng.choice(PLACES))
                body = f"{body}{rng.choice(TAILS)}（第{serial}帖，{rng.randrange(1, 60)}分钟前更新）"
                earlier.append(body)
            items.append(
                {
                    "external_id": f"wb{serial:09d}",
                    "url": f"https://weibo.com/{rng.randrange(10**9, 10**10)}/N{serial:09d}?from=feed&utm_source=app",
                    "title": "",
                    "body": body,
                    "author": f"{rng.choice(NICKS)}{rng.randrange(1000)}",
                    "published_at": now_ms - rng.randrange(0, 86_400_000),
                    "likes": rng.choice([rng.randrange(0, 500), f"{rng.randrange(1, 99) / 10:.1f}万"]),
                    "comments": str(rng.randrange(0, 2000)),
                    "shares": rng.randrange(0, 3000),
                    "views": rng.randrange(0, 10**6),
                    "followers": rng.choice([rng.randrange(0, 10**5), "120万"]),
                    "keyword": rng.choice(COMPANIES),
                    "extra": {"ip_location": rng.choice(PLACES), "platform": "wb"},
                }
            )
        batches.append(json.dumps({"source": "微博采集", "items": items}, ensure_ascii=False).encode())
    return batches


def main() -> None:
    run_in_production_mode_database(run, parse_args())


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    logging.getLogger("yuqing.monitoring.services.ingestion").setLevel(logging.ERROR)  # "Redis down" warnings
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    from yuqing.monitoring.models import Mention, MentionRepost, Source
    from yuqing.monitoring.services.tokens import ingest_token_create
    from yuqing.tenancy.models import Membership, Role, Tenant, User

    tenant = Tenant.objects.create(slug="bench", name="压测机构")
    user = User.objects.create(username="bench", display_name="压测管理员")
    Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    Source.objects.create(tenant=tenant, name="微博采集", kind=Source.Kind.WEIBO)
    _token, raw = ingest_token_create(tenant=tenant, actor=user, name="压测爬虫")

    rng = random.Random(20260301)
    batches = make_batches(args, rng)
    megabytes = sum(len(b) for b in batches) / len(batches) / 1e6
    print(f"{len(batches)} batches of {args.size} items ({megabytes:.2f} MB each) prepared", flush=True)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with override_settings(SECURE_SSL_REDIRECT=False):
        # Warm up (imports, the simplified-Chinese table, connections) with a batch that is not counted.
        warm = make_batches(argparse.Namespace(batches=1, size=50, reposts=0.0), random.Random(1))[0]
        warm = warm.replace(b'"wb0', b'"warm')
        assert client.generic("POST", "/api/v1/mentions", warm, content_type="application/json").status_code == 200
        Mention.objects.for_tenant(tenant).delete()

        timings: list[float] = []
        accepted = duplicate = rejected = 0
        queries: list[int] = []
        wall_started = time.perf_counter()
        for number, body in enumerate(batches):
            capture = CaptureQueriesContext(connection) if number in (0, len(batches) - 1) else None
            if capture is not None:
                capture.__enter__()
            began = time.perf_counter()
            response = client.generic("POST", "/api/v1/mentions", body, content_type="application/json")
            timings.append(time.perf_counter() - began)
            if capture is not None:
                capture.__exit__(None, None, None)
                queries.append(len(capture))
            assert response.status_code == 200, response.content[:300]
            result = response.json()
            accepted += result["accepted"]
            duplicate += result["duplicate"]
            rejected += result["rejected"]
        wall = time.perf_counter() - wall_started

    stored = Mention.objects.for_tenant(tenant).count()
    reposts = MentionRepost.objects.for_tenant(tenant).count()
    print()
    print(f"requests                      {len(batches)} × {args.size} items")
    print(
        f"accepted / duplicate / rejected {accepted} / {duplicate} / {rejected}  (stored {stored}, reposts {reposts})"
    )
    print(f"accepted mentions per second  {accepted / wall:,.0f}   (target ≥ 2,000)")
    print(f"items per second              {(accepted + duplicate + rejected) / wall:,.0f}")
    print(f"request time median           {statistics.median(timings) * 1000:.0f} ms")
    print(f"request time p95              {p95(timings) * 1000:.0f} ms")
    print(f"SQL queries per request       {'/'.join(map(str, queries))} (first / last batch)")

    redis_url = os.environ["REDIS_URL"]
    if not redis_url.startswith("redis://127.0.0.1:1/"):
        import django_rq

        queue = django_rq.get_queue("scoring")
        print(f"scoring jobs enqueued         {queue.count}")
        queue.empty()
    else:
        print("scoring jobs enqueued         none (no REDIS_URL: the enqueue failed fast and was logged)")


if __name__ == "__main__":
    main()
