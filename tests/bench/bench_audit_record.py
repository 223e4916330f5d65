"""Benchmark of the keyed audit chain on PostgreSQL: audit_record with the HMAC vs the old unkeyed hash.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing .venv/bin/python tests/bench/bench_audit_record.py
    options: --events N (per scheme)  --keep (do not drop the bench database)

A script, not a test. It never touches the database DATABASE_URL names: it creates a throwaway
database beside it (`<name>_bench_<pid>`) and migrates it. It prints the cost of the hash alone
(SHA-256 vs HMAC-SHA256 of a typical event), then N appends with each scheme, one transaction
each as services make them (mean and p95 per event), then one `audit_verify` run over the chain
(walk, checkpoint comparison and checkpoint write). Target: the keyed append within a few per
cent of the unkeyed one (one HMAC per event, no extra query).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import p95, run_in_production_mode_database  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as checkpoints:
        environment = {
            "YUQING_AUDIT_KEYS": "bench-only-audit-key-0123456789abcdefghijkl",
            "YUQING_AUDIT_CHECKPOINT_DIR": checkpoints,
        }
        run_in_production_mode_database(run, args, environment=environment)


def _unkeyed_seal(event) -> None:
    """What audit_record did before the chain was keyed."""
    from yuqing.audit.services.chain import event_hash, hashed_fields

    event.hash_scheme, event.hash_key_id = "sha256", ""
    event.hash = event_hash(previous_hash=event.previous_hash, fields=hashed_fields(event))


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from unittest import mock

    from django.core.management import call_command
    from django.utils import timezone

    from yuqing.audit import services
    from yuqing.audit.models import AuditEvent
    from yuqing.audit.services.chain import event_hash, event_mac, hashed_fields
    from yuqing.audit.services.keys import current_key
    from yuqing.tenancy.context import tenant_context
    from yuqing.tenancy.services import tenant_create

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    sample = AuditEvent(
        tenant_id=1,
        sequence=12345,
        actor_label="analyst_a",
        action="incident.phase_change",
        object_type="incidents.incident",
        object_id="4711",
        object_repr="关于某项目逾期的舆情事件",
        changes={"phase": {"before": "分析研判", "after": "制定方案"}, "severity": {"before": "III", "after": "II"}},
        ip_address="10.1.2.3",
        created_at=timezone.now(),
        previous_hash="ab" * 32,
    )
    secret = current_key().secret
    for label, digest in (
        ("sha256 (old)", lambda: event_hash(previous_hash=sample.previous_hash, fields=hashed_fields(sample))),
        (
            "hmac-sha256",
            lambda: event_mac(previous_hash=sample.previous_hash, fields=hashed_fields(sample), secret=secret),
        ),
    ):
        rounds = 20000
        started = time.perf_counter()
        for _ in range(rounds):
            digest()
        print(f"hash alone, {label}: {(time.perf_counter() - started) / rounds * 1e6:.1f} µs per event", flush=True)

    for label, slug, patch in (
        ("sha256 (old)", "bench-unkeyed", mock.patch.object(services, "event_seal", _unkeyed_seal)),
        ("hmac-sha256", "bench-keyed", mock.patch.object(services, "event_seal", services.event_seal)),
    ):
        tenant = tenant_create(slug=slug, name=f"压测机构 {label}")
        timings = []
        with patch, tenant_context(tenant):
            for number in range(args.events):
                started = time.perf_counter()
                services.audit_record(
                    tenant=tenant,
                    actor=None,
                    action="bench.step",
                    object_type="incidents.incident",
                    object_id=str(number),
                    object_repr=f"压测事件 {number}",
                    changes={"phase": {"before": "分析研判", "after": "制定方案"}, "n": number},
                    ip_address="10.1.2.3",
                )
                timings.append(time.perf_counter() - started)
        print(
            f"audit_record, {label}: {args.events} events, mean {statistics.fmean(timings) * 1e3:.3f} ms, "
            f"p95 {p95(timings) * 1e3:.3f} ms",
            flush=True,
        )

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("audit_verify", "--tenant", "bench-keyed", verbosity=0, stdout=quiet)
    print(f"audit_verify of {args.events + 1} keyed events with checkpoint: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
