"""Benchmark: time from API receipt to warning recorded (and notification queued), at 50 mentions/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python tests/bench/bench_warning_latency.py
    options: --rate N (50 mentions/s)  --seconds N (60)  --batch N (5 items a request)  --keep

A script, not a test. The whole system runs as in production, each part its own process: gunicorn
serving the ingestion API, the scoring worker (rqworker scoring, non-forking) and a worker for the
other queues, on a throwaway PostgreSQL database beside DATABASE_URL's and the Redis of REDIS_URL
(its queues are emptied first). The tenant has 2,000 customers (100 of them VIP), the seed risk
lexicon and a portal channel routed for every level. The load generator POSTs `--batch` items every
`batch / rate` seconds, a tenth of them risky posts about a VIP customer, and notes when each item
was sent. Afterwards it reads from the database, per mention, when it was scored, when a warning
change it caused was recorded and when the channel delivery for that change was queued, and prints
median, p95 and max of each, measured from the moment the item was sent.
Target: p95 under 5 s from receipt to warning recorded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import bench_database_url, p95, server_command  # noqa: E402

PORT = 8799
CALM = (
    "{c}今天在{p}举办供应商大会，现场人挺多。",
    "{c}发布公告，{p}项目完成第二期工程验收。",
    "有人了解{c}在{p}的项目进展吗？想问问什么时候通车。",
    "{p}周末去哪儿玩？推荐几个小众景点。",
    "{c}获得银团贷款支持，{p}项目顺利开工，点赞！",
)
RISKY = (
    "{c}{p}项目全面停工，数百名农民工聚集讨薪，现场已经拉横幅维权，疑似资金链断裂要暴雷。",
    "紧急扩散：{c}理财产品逾期兑付困难，{p}投资人集体维权，客户经理失联！",
    "{c}被曝暴力催收爆通讯录，已被{p}监管部门立案调查，罚单马上就到。",
)
PLACES = ("成都", "武汉", "西安", "长沙", "合肥", "贵阳", "南京", "杭州")


def describe(name: str, values: list[float]) -> None:
    if not values:
        print(f"  {name:<44} (none)")
        return
    print(
        f"  {name:<44} n={len(values):>5}  median {statistics.median(values):6.2f} s"
        f"  p95 {p95(values):6.2f} s  max {max(values):6.2f} s"
    )


def prepare(args: argparse.Namespace) -> tuple[str, list[str], list[str]]:
    """Tenant, customers, source, token, channel and route; returns (token, calm names, VIP names)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from customers.models import Customer, Tier
    from yuqing.monitoring.models import Level, Source
    from yuqing.monitoring.services.lexicon import keyword_rules_seed
    from yuqing.monitoring.services.tokens import ingest_token_create
    from yuqing.monitoring.services.warnings import warning_route_create
    from yuqing.notify.models import Channel
    from yuqing.tenancy.context import tenant_context
    from yuqing.tenancy.models import Role
    from yuqing.tenancy.services import tenant_create

    tenant = tenant_create(slug="bench", name="基准测试银行")
    with tenant_context(tenant):
        rng = random.Random(7)
        customers = [
            Customer(
                tenant=tenant,
                kind=Customer.Kind.ENTERPRISE,
                name=f"{rng.choice('恒华鼎瑞金润远新宇汇')}{rng.choice('通瑞盛丰桥泽航源')}{i:04d}集团有限公司",
                short_name=f"{rng.choice('恒华鼎瑞金润远新宇汇')}{rng.choice('通瑞盛丰桥泽航源')}{i:04d}",
                tier=Tier.VIP if i < 100 else Tier.STANDARD,
            )
            for i in range(2000)
        ]
        Customer.objects.bulk_create(customers, batch_size=500)
        keyword_rules_seed(tenant=tenant)
        source = Source.objects.create(tenant=tenant, name="数据服务商推送", kind=Source.Kind.API)
        _token, raw = ingest_token_create(tenant=tenant, actor=None, name="bench", source=source)
        channel = Channel.objects.create(
            tenant=tenant, name="值班室", kind=Channel.Kind.PORTAL, target_roles=[Role.MANAGER, Role.ADMIN]
        )
        warning_route_create(tenant=tenant, actor=None, name="全部预警", channel=channel, min_level=Level.BLUE)
    names = [c.short_name for c in customers]
    return raw, names[100:], names[:100]


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_port() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


def load(args: argparse.Namespace, token: str, calm: list[str], vips: list[str]) -> dict[str, float]:
    """POST at the given rate; returns external id → the wall-clock time its request was sent."""
    rng = random.Random(11)
    sent: dict[str, float] = {}
    interval = args.batch / args.rate
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests = int(args.seconds * args.rate / args.batch)
    late = 0
    started = time.monotonic()
    for number in range(requests):
        due = started + number * interval
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            late += 1
        items = []
        for slot in range(args.batch):
            risky = rng.random() < 0.1
            text = rng.choice(RISKY if risky else CALM).format(
                c=rng.choice(vips if risky else calm), p=rng.choice(PLACES)
            )
            external_id = f"{number}-{slot}"
            items.append({"external_id": external_id, "body": f"{text}（{external_id}）", "likes": rng.randint(0, 900)})
        body = json.dumps({"items": items}, ensure_ascii=False).encode()
        at = time.time()
        connection.request("POST", "/api/v1/mentions", body=body, headers=headers)
        response = connection.getresponse()
        payload = json.loads(response.read())
        if response.status != 200 or payload["accepted"] != len(items):
            sys.exit(f"request {number}: HTTP {response.status} {payload}")
        for item in items:
            sent[item["external_id"]] = at
    took = time.monotonic() - started
    print(f"sent {len(sent)} mentions in {took:.1f} s ({len(sent) / took:.1f}/s); {late} requests sent late")
    return sent


def measure(sent: dict[str, float]) -> None:
    from yuqing.monitoring.models import Mention, WarningChange
    from yuqing.notify.models import Delivery
    from yuqing.tenancy.context import dangerously_all_tenants

    deadline = time.monotonic() + 120
    with dangerously_all_tenants():
        while Mention.objects.filter(status=Mention.Status.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        pending = Mention.objects.filter(status=Mention.Status.PENDING).count()
        mentions = dict(Mention.objects.values_list("pk", "external_id"))
        scored = [
            at.timestamp() - sent[external_id]
            for external_id, at in Mention.objects.exclude(scored_at=None).values_list("external_id", "scored_at")
        ]
        changes = list(
            WarningChange.objects.exclude(mention=None).values_list("warning_id", "to_level", "mention_id", "at")
        )
        queued = {
            key: at.timestamp()
            for key, at in Delivery.objects.filter(is_digest=False).values_list("dedupe_key", "created_at")
        }
    warned = [at.timestamp() - sent[mentions[mention_id]] for _w, _l, mention_id, at in changes]
    notified = [
        queued[key] - sent[mentions[mention_id]]
        for warning_id, level, mention_id, _at in changes
        if (key := f"warning:{warning_id}:{level}") in queued
    ]
    print(f"still pending after the wait: {pending}")
    print("from the API request to …")
    describe("mention scored", scored)
    describe("warning raised or changed (recorded)", warned)
    describe("channel notification queued", notified)
    if warned:
        verdict = "met" if p95(warned) < 5 else "NOT met"
        print(f"target p95 < 5 s to warning recorded: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("Set REDIS_URL to a Redis database the benchmark may empty (e.g. redis://127.0.0.1:6379/13).")
    url, maintenance, name = bench_database_url()
    server_command(maintenance, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuqing.settings")
    children: list[subprocess.Popen] = []
    try:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        token, calm, vips = prepare(args)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        children.append(
            start(
                [
                    python,
                    "-m",
                    "gunicorn",
                    "yuqing.wsgi",
                    "--bind",
                    f"127.0.0.1:{PORT}",
                    "--workers",
                    "2",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--no-control-socket",
                ],
                env,
            )
        )
        children.append(
            start([python, "manage.py", "rqworker", "scoring", "--worker-class", "rq.worker.SimpleWorker"], env)
        )
        children.append(start([python, "manage.py", "rqworker", "default", "notify"], env))
        wait_for_port()
        time.sleep(3)  # the workers register and load jieba's dictionary
        sent = load(args, token, calm, vips)
        measure(sent)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            server_command(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
