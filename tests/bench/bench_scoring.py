"""Benchmark of mention scoring: mentions per second for one process, beside snownlp's naive loop.

    .venv/bin/python tests/bench/bench_scoring.py                      # SQLite (a throwaway file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing .venv/bin/python tests/bench/bench_scoring.py
    options: --mentions N (3000)  --customers N (2000)  --naive N (all)  --batch N (200)
             --no-db  --warnings (the warnings step after each batch too)  --profile  --keep

A script, not a test. It generates a few thousand Chinese finance posts — the demo's templates
(yuqing/monitoring/demo/content.py) joined into posts of one to four sentences, with openers,
hedges and hashtags of the platforms, about customers by name, short name or alias; one in eight
is a real consumer review from ../shared/data/sentiment/ (the off-topic chatter a keyword search
also brings in) — and prints:
1. the pure engine (no database): jieba with the tenant's dictionary, snownlp Bayes sentiment on
   those words, keyword rules and customer names by Aho-Corasick, reach, combining into the score
   and explanation — mentions per second, best of three runs;
2. the naive loop over the same texts: `SnowNLP(text).sentiments` — texts per second, and the
   ratio (target: engine ≥ 2,000/s and ≥ 25× the naive loop);
3. end to end with the database: the mentions stored pending, then `mentions_score` in batches of
   200 (the job's work: queries, customer links, bulk update) — mentions per second and queries per
   batch. On PostgreSQL it never touches the database DATABASE_URL names: it creates a throwaway
   database beside it and drops it afterwards; without DATABASE_URL, a SQLite file in /tmp.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "sentiment"
OPENERS = ("", "", "", "转发：", "【网友爆料】", "#财经# ", "紧急扩散！", "求证：", "有没有人知道，", "听朋友说，")
HEDGES = (
    "",
    "",
    "大家怎么看？",
    "真假不知道，先关注着。",
    "已经在群里传开了。",
    "希望官方尽快回应。",
    "有知情人士透露，情况比想象的严重。",
    "评论区有人说是谣言。",
    "持续关注中。",
    "转给身边买过他们产品的朋友看看。",
)
WORDS = ("恒通", "华瑞", "鼎盛", "汇丰源", "新宇", "瑞丰", "金桥", "润泽", "东方", "远航", "天成", "嘉禾", "联创")
BUSINESS = ("建设", "置业", "城投", "控股", "实业", "物流", "新能源", "商贸", "产业投资", "融资租赁")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=0, help="texts for the naive loop (default: all)")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--no-db", action="store_true", help="only the pure engine and the naive loop")
    parser.add_argument("--warnings", action="store_true", help="end to end includes the warnings module")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the pure engine and the end-to-end run",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


# ---------------------------------------------------------------- data


def customers(count: int, rng: random.Random) -> list[dict]:
    """Names, short names and aliases like the demo's: {name, short, aliases, vip}."""
    made = []
    for n in range(count):
        region = rng.choice(("成都", "武汉", "西安", "长沙", "合肥", "贵阳", "南京", "杭州", "重庆", "天津"))
        word, business = rng.choice(WORDS), rng.choice(BUSINESS)
        short = f"{word}{business}{n}"
        made.append(
            {
                "name": f"{region}{short}集团有限公司",
                "short": short,
                "aliases": [f"{word}{n}号"] if n % 3 == 0 else [],
                "vip": n % 20 == 0,
            }
        )
    return made


def reviews() -> list[str]:
    texts: list[str] = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            texts.extend(row["review"] for row in csv.DictReader(handle) if row.get("review"))
    return texts


def posts(count: int, people: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    """(title, body) pairs."""
    from yuqing.monitoring.demo import content

    story_texts = tuple(text for story in content.STORIES for text in story.texts)
    pools = (
        (content.NEGATIVE, 0.35),
        (story_texts, 0.10),
        (content.NEUTRAL, 0.25),
        (content.POSITIVE, 0.20),
        (content.NOISE, 0.10),
    )
    chatter = reviews()
    made: list[tuple[str, str]] = []
    for _ in range(count):
        if chatter and rng.random() < 0.125:
            made.append(("", rng.choice(chatter)[:500]))
            continue
        person = rng.choice(people)
        name = rng.choice([person["name"], person["short"], *person["aliases"]])
        city, project = rng.choice(content.CITIES), rng.choice(content.PROJECTS)
        pool = rng.choices([p for p, _ in pools], weights=[w for _, w in pools])[0]
        sentences = [
            rng.choice(pool).format(name=name, city=city, project=project) for _ in range(rng.choice((1, 1, 2, 3, 4)))
        ]
        body = rng.choice(OPENERS) + "".join(sentences) + rng.choice(HEDGES)
        if rng.random() < 0.3:
            body += f" #{person['short']}#"
        title = sentences[0][:24] if rng.random() < 0.3 else ""
        made.append((title, body))
    return made


# ---------------------------------------------------------------- measures


def pure_engine(texts: list[tuple[str, str]], people: list[dict], rng: random.Random, profile: bool) -> float:
    from yuqing.monitoring.services.lexicon import SEED_LEXICON
    from yuqing.monitoring.services.scoring.engine import LinkedCustomer, Reach, Rule, score_mention
    from yuqing.monitoring.services.scoring.sentiment import default_sentiment
    from yuqing.monitoring.services.scoring.tenant import engine_build
    from yuqing.monitoring.services.scoring.tokenizer import dictionary_load

    started = time.perf_counter()
    dictionary_load()
    sentiment = default_sentiment()
    print(f"jieba main dictionary and snownlp model loaded in {time.perf_counter() - started:.2f} s")
    rules = [Rule(s.term, s.kind, category, s.weight) for category, seeds in SEED_LEXICON.items() for s in seeds]
    names = [(pk, text) for pk, p in enumerate(people) for text in (p["name"], p["short"], *p["aliases"])]
    started = time.perf_counter()
    engine = engine_build(rules=rules, names=names, words=[])
    print(f"tenant engine ({len(rules)} rules, {len(names)} names) built in {time.perf_counter() - started:.2f} s")
    reaches = [
        Reach(rng.randint(0, 500), rng.randint(0, 80), rng.randint(0, 40), rng.randint(0, 20000), rng.randint(0, 10**6))
        for _ in texts
    ]

    def level_for(score: int) -> int | None:
        return 1 if score >= 85 else 2 if score >= 70 else 3 if score >= 55 else 4 if score >= 40 else None

    def run() -> None:
        for (title, body), reach in zip(texts, reaches, strict=True):
            analysis = engine.analyse(title, body, sentiment)
            linked = [
                LinkedCustomer(
                    id=pk,
                    name=engine.customer_names[pk],
                    tier="vip" if people[pk]["vip"] else "standard",
                    matched=matched,
                    risk_weight=1.5 if people[pk]["vip"] else 1.0,
                )
                for pk, matched in analysis.customers.items()
            ]
            score_mention(
                analysis,
                reach=reach,
                source_weight=1.2,
                velocity=3,
                customers=linked,
                vip_boost=10,
                level_for=level_for,
                model_name=sentiment.name,
            )

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(run)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    rate = len(texts) / min(timings)
    print(f"pure engine: {rate:,.0f} mentions/s (best of 3; runs {', '.join(f'{t:.2f}' for t in timings)} s)")
    return rate


def naive(texts: list[tuple[str, str]], limit: int) -> float:
    started = time.perf_counter()
    from snownlp import SnowNLP

    print(f"snownlp imported in {time.perf_counter() - started:.2f} s")
    sample = texts[:limit] if limit else texts
    started = time.perf_counter()
    for title, body in sample:
        SnowNLP(f"{title}{body}").sentiments  # noqa: B018 - the property does the work
    rate = len(sample) / (time.perf_counter() - started)
    print(f"naive SnowNLP(text).sentiments: {rate:,.1f} texts/s over {len(sample)} texts")
    return rate


def end_to_end(texts: list[tuple[str, str]], people: list[dict], rng: random.Random, args) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from customers.models import Customer, CustomerAlias, Tier
    from yuqing.monitoring.models import Mention, Source
    from yuqing.monitoring.services.lexicon import keyword_rules_seed
    from yuqing.monitoring.services.scoring import mentions_score
    from yuqing.monitoring.services.scoring import service as scoring_service
    from yuqing.monitoring.services.warnings import mentions_warn
    from yuqing.tenancy.services import tenant_create

    # No worker here: the warn job scoring queues after its commit is not sent; with --warnings
    # each batch's warnings step runs right after its scoring, inside the timed loop.
    scoring_service._warnings_enqueue = lambda *, tenant, mentions: None
    tenant = tenant_create(slug="bench", name="基准测试银行")
    keyword_rules_seed(tenant=tenant)
    now = timezone.now()
    rows = Customer.objects.bulk_create(
        [
            Customer(
                tenant=tenant,
                kind=Customer.Kind.ENTERPRISE,
                name=p["name"],
                short_name=p["short"],
                tier=Tier.VIP if p["vip"] else Tier.STANDARD,
            )
            for p in people
        ],
        batch_size=2000,
    )
    CustomerAlias.objects.bulk_create(
        [
            CustomerAlias(tenant=tenant, customer=row, alias=a)
            for row, p in zip(rows, people, strict=True)
            for a in p["aliases"]
        ],
        batch_size=2000,
    )
    sources = [
        Source.objects.create(tenant=tenant, name=name, kind=kind, weight=weight)
        for name, kind, weight in (
            ("微博", "weibo", "1.2"),
            ("财新网", "news", "2.5"),
            ("东方财富股吧", "forum", "1.0"),
        )
    ]
    started = time.perf_counter()
    mentions = Mention.objects.bulk_create(
        [
            Mention(
                tenant=tenant,
                source=rng.choice(sources),
                title=title[:300],
                body=body,
                via=Mention.Via.API,
                published_at=now
                - dt.timedelta(seconds=(len(texts) - n) * 6 * 3600 // len(texts) + rng.randint(0, 120)),
                retrieved_at=now,
                content_hash=f"{n:064x}",
                likes=rng.randint(0, 500),
                comments=rng.randint(0, 80),
                shares=rng.randint(0, 40),
                views=rng.randint(0, 20000),
                followers=rng.randint(0, 10**6),
            )
            for n, (title, body) in enumerate(texts)
        ],
        batch_size=1000,
    )
    print(f"stored {len(mentions)} pending mentions in {time.perf_counter() - started:.2f} s")
    ids = sorted(m.pk for m in mentions)
    started = time.perf_counter()
    mentions_score(tenant=tenant, mention_ids=ids[:1])  # builds the tenant's engine, as a worker's first job does
    print(f"first batch (engine build for {len(people)} customers) {time.perf_counter() - started:.2f} s")
    ids = ids[1:]
    queries, batch_times = [], []
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    for start in range(0, len(ids), args.batch):
        batch_started = time.perf_counter()
        mentions_score(tenant=tenant, mention_ids=ids[start : start + args.batch])
        if args.warnings:
            mentions_warn(tenant=tenant, mention_ids=ids[start : start + args.batch])
        batch_times.append(time.perf_counter() - batch_started)
    elapsed = time.perf_counter() - started
    # Queries counted apart (capturing keeps every SQL string, which costs time): the first and the
    # last batch scored again, which re-does all their work (re-scoring is idempotent).
    for batch in (ids[: args.batch], ids[-args.batch :]):
        with CaptureQueriesContext(connection) as captured:
            mentions_score(tenant=tenant, mention_ids=batch)
        queries.append(len(captured))
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    scored = Mention.objects.for_tenant(tenant).filter(status=Mention.Status.SCORED)
    levels = {level: scored.filter(level=level).count() for level in (1, 2, 3, 4, None)}
    print(
        f"end to end on {connection.vendor}{' with warnings' if args.warnings else ''}: "
        f"{len(ids) / elapsed:,.0f} mentions/s in batches of {args.batch} "
        f"(batch median {statistics.median(batch_times) * 1000:.0f} ms, "
        f"queries per batch {min(queries)}–{max(queries)})"
    )
    print(f"levels: red {levels[1]}, orange {levels[2]}, yellow {levels[3]}, blue {levels[4]}, none {levels[None]}")


def setup_django(args) -> tuple[str | None, str | None, str | None]:
    """(maintenance url, bench db name, sqlite path) after django.setup() on a throwaway database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuqing.settings")
    url = os.environ.get("DATABASE_URL", "")
    maintenance = name = sqlite_path = None
    if url.startswith(("postgres://", "postgresql://")):
        from tests.bench.pg_support import bench_database_url, server_command

        bench_url, maintenance, name = bench_database_url()
        server_command(maintenance, f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = bench_url
    else:
        handle, sqlite_path = tempfile.mkstemp(prefix="bench_scoring_", suffix=".sqlite3")
        os.close(handle)
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated a throwaway database in {time.perf_counter() - started:.1f} s")
    return maintenance, name, sqlite_path


def main() -> None:
    args = parse_args()
    rng = random.Random(20240601)
    maintenance = name = sqlite_path = None
    if args.no_db:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuqing.settings")
        import django

        django.setup()
    else:
        maintenance, name, sqlite_path = setup_django(args)
    try:
        people = customers(args.customers, rng)
        texts = posts(args.mentions, people, rng)
        lengths = [len(t) + len(b) for t, b in texts]
        print(
            f"{len(texts)} posts, {statistics.mean(lengths):.0f} characters on average "
            f"(median {statistics.median(lengths):.0f}, max {max(lengths)}); {len(people)} customers"
        )
        engine_rate = pure_engine(texts, people, rng, args.profile)
        naive_rate = naive(texts, args.naive)
        verdict = "met" if engine_rate >= 2000 and engine_rate >= 25 * naive_rate else "NOT met"
        print(f"pure engine / naive: {engine_rate / naive_rate:.1f}× (target ≥ 2,000/s and ≥ 25×: {verdict})")
        if not args.no_db:
            end_to_end(texts, people, rng, args)
    finally:
        if name and not args.keep:
            from django.db import connections

            connections.close_all()
            from tests.bench.pg_support import server_command

            server_command(maintenance, f'DROP DATABASE "{name}" WITH (FORCE)')
        if sqlite_path and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(sqlite_path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
