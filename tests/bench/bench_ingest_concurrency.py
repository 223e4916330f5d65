"""Benchmark of concurrent, overlapping ingestion batches on PostgreSQL: errors, duplicates, throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python tests/bench/bench_ingest_concurrency.py
    options: --clients N (4)  --rounds N (10)  --size N (500)  --keep (do not drop the bench database)

A script, not a test. It creates a throwaway database beside DATABASE_URL's (`<name>_bench_<pid>`),
migrates it, makes one tenant with a source and an ingestion token, then runs `--rounds` rounds in
which `--clients` threads (each its own database connection) POST at the same moment (a barrier)
through Django's test client, the whole stack. In every round each client's batch overlaps its
neighbours': half of it is the next client's items, every odd client sends its batch in reverse
order, and 5 % of the items are reposts (the same text under another external id) of items another
client sends. It prints the errors (exceptions and non-200 answers), the stored duplicates (more
than one mention per item, or repost counts that disagree with the recorded reposts), the
deadlock retries, accepted mentions per second and the p95 request time.
Target: 0 errors, 0 duplicates, nothing missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import p95, run_in_production_mode_database  # noqa: E402

COMPANIES = ["恒通集团", "华瑞置业", "鼎盛资本", "瑞丰小贷", "金桥供应链", "润泽地产", "远航物流"]
EVENTS = [
    "听说{c}的理财产品逾期了，已经三个月没有兑付，投资人准备集体维权。",
    "{c}项目停工快半年了，业主拉横幅要求复工，是不是要烂尾？",
    "{c}被曝暴力催收，爆通讯录骚扰借款人家属，已经有人集体投诉。",
    "{c}旗下平台提现困难，客服电话一直占线，门口排队像是挤兑。",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


def item(number: int, *, now_ms: int) -> dict:
    template = EVENTS[number % len(EVENTS)]
    return {
        "external_id": f"wb{number:09d}",
        "url": f"https://weibo.com/u/{number}?utm_source=app",
        "body": template.format(c=COMPANIES[number % len(COMPANIES)]) + f"（第{number}帖）",
        "author": f"网友{number % 997}",
        "published_at": now_ms - number * 1000,
        "likes": number % 5000,
        "extra": {"platform": "wb"},
    }


def make_rounds(args: argparse.Namespace) -> tuple[list[list[bytes]], int]:
    """rounds × clients request bodies, and how many distinct items (texts) they hold."""
    now_ms = int(time.time() * 1000)
    half = args.size // 2
    rounds: list[list[bytes]] = []
    for number in range(args.rounds):
        base = number * args.clients * half
        bodies = []
        for client in range(args.clients):
            own = range(base + client * half, base + (client + 1) * half)
            neighbour = range(
                base + ((client + 1) % args.clients) * half, base + ((client + 1) % args.clients + 1) * half
            )
            items = [item(n, now_ms=now_ms) for n in [*own, *neighbour]]
            # Reposts of items the previous client sends: same text, this client's external id.
            previous = (client - 1) % args.clients
            for n in range(base + previous * half, base + (previous + 1) * half, 20):
                items[len(items) - 1 - (n % half)] = {**item(n, now_ms=now_ms), "external_id": f"rp{client}-{n}"}
            if client % 2:
                items.reverse()
            bodies.append(json.dumps({"source": "微博采集", "items": items}, ensure_ascii=False).encode())
        rounds.append(bodies)
    return rounds, args.rounds * args.clients * half


def main() -> None:
    run_in_production_mode_database(run, parse_args())


class _RetryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retried after" in record.getMessage():
            self.count += 1


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count, Sum
    from django.test import Client
    from django.test.utils import override_settings

    ingestion_log = logging.getLogger("yuqing.monitoring.services.ingestion")
    ingestion_log.setLevel(logging.INFO)
    ingestion_log.propagate = False  # "Redis down" warnings and retry notes: counted, not printed
    retries = _RetryCounter()
    ingestion_log.addHandler(retries)
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

    rounds, distinct = make_rounds(args)
    print(f"{args.rounds} rounds × {args.clients} clients × {args.size} items prepared", flush=True)

    timings: list[float] = []
    errors: list[str] = []
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(args.clients)

    def client(number: int) -> None:
        http = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            for bodies in rounds:
                barrier.wait()
                began = time.perf_counter()
                try:
                    response = http.generic("POST", "/api/v1/mentions", bodies[number], content_type="application/json")
                except Exception as error:  # counted and shown, like a non-200 answer
                    with lock:
                        errors.append(f"client {number}: {error!r}"[:300])
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    timings.append(elapsed)
                    if response.status_code != 200:
                        answer = response.content.decode("utf-8", "replace")[:200]
                        errors.append(f"client {number}: HTTP {response.status_code} {answer}")
                        continue
                    result = response.json()
                    for key in totals:
                        totals[key] += result[key]
        finally:
            connections.close_all()

    with override_settings(SECURE_SSL_REDIRECT=False):
        wall_started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(number,)) for number in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall_started

    mentions = Mention.objects.for_tenant(tenant)
    stored = mentions.count()
    repost_rows = MentionRepost.objects.for_tenant(tenant).count()
    counted = mentions.aggregate(total=Sum("repost_count"))["total"] or 0
    twice = (
        mentions.values("content_hash").annotate(n=Count("pk")).filter(n__gt=1).count()
        + mentions.exclude(external_id="").values("external_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    duplicates = twice + max(stored - distinct, 0) + abs(counted - repost_rows)
    missing = max(distinct - stored, 0)  # items of a request that failed
    requests = args.rounds * args.clients
    print()
    print(f"requests                        {requests} ({args.clients} clients at once, {args.size} items each)")
    print(f"errors                          {len(errors)}")
    for error in errors[:3]:
        print(f"    {error[:160]}")
    print(f"duplicates                      {duplicates}  (repost rows {repost_rows}, counted {counted})")
    print(f"missing                         {missing}  (stored {stored} of {distinct} distinct texts)")
    print(f"deadlock / serialization retries {retries.count}")
    print(f"accepted / duplicate / rejected {totals['accepted']} / {totals['duplicate']} / {totals['rejected']}")
    print(f"accepted mentions per second    {totals['accepted'] / wall:,.0f}")
    print(f"items per second                {sum(totals.values()) / wall:,.0f}")
    if timings:
        print(f"request time median             {statistics.median(timings) * 1000:.0f} ms")
        print(f"request time p95                {p95(timings) * 1000:.0f} ms")

    redis_url = os.environ["REDIS_URL"]
    if not redis_url.startswith("redis://127.0.0.1:1/"):
        import django_rq

        queue = django_rq.get_queue("scoring")
        print(f"scoring jobs enqueued           {queue.count}")
        queue.empty()


if __name__ == "__main__":
    main()
