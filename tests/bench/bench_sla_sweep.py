"""Benchmark of the SLA sweep on PostgreSQL: 100,000 open incidents, 1 % due in the next minute.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuqing .venv/bin/python tests/bench/bench_sla_sweep.py
    options: --incidents N  --runs N  --keep (do not drop the bench database)

A script, not a test. It never touches the database DATABASE_URL names: it creates a throwaway
database beside it (`<name>_bench_<pid>`), migrates it, and fills one tenant with COPY (no
services, so no audit rows for the fill): N open incidents, each with a running first-response
and resolution clock, an open task of the legal department and PR as an involved department, and
the people a breach escalates to. 2 % of the incidents are already at risk (warned, deadline
ahead), so the warning index holds rows the sweep must pass over.

Each run then has a fresh 1 % of the incidents falling due in the minute before it: half reach
their warning share, half their deadline. The sweep runs with `now` at the end of that minute
and the script prints its wall time, its SQL statement count and what it recorded; a last run
with nothing due shows the idle cost. Target: under 1 s per run, and a statement count that does
not grow with the number of incidents (compare --incidents 10000 --due 100 with --due 100).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import copy_rows, reset_sequence, run_in_production_mode_database  # noqa: E402

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
DUE_SHARE = 0.01
AT_RISK_SHARE = 0.02


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=4, help="runs with clocks due (plus one idle run)")
    parser.add_argument("--due", type=int, default=0, help="clocks due per run (default: 1 %% of the incidents)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


def people(tenant) -> dict:
    """The owner, the assignee, the heads of PR and legal, and two duty managers."""
    from yuqing.tenancy.models import Department, Membership, Role, User

    departments = {d.kind: d for d in Department.objects.for_tenant(tenant)}
    made = {}
    for username, role, kind in [
        ("owner", Role.HANDLER, Department.Kind.CUSTOMER_SERVICE),
        ("lawyer", Role.HANDLER, Department.Kind.LEGAL),
        ("pr_head", Role.MANAGER, Department.Kind.PR),
        ("legal_head", Role.MANAGER, Department.Kind.LEGAL),
        ("duty", Role.MANAGER, Department.Kind.MANAGEMENT),
        ("chief", Role.ADMIN, Department.Kind.MANAGEMENT),
    ]:
        user = User.objects.create(username=username, display_name=username)
        made[username] = Membership.objects.create(tenant=tenant, user=user, role=role, department=departments[kind])
    made["departments"] = departments
    return made


def fill(tenant, cast: dict, *, incidents: int, runs: int, due: int, rng: random.Random) -> dict:
    """Incidents, clocks, tasks and department links, written with COPY. Returns the layout."""
    from incidents.models import Incident, IncidentTask, SlaClock

    due_per_run = due or max(2, int(incidents * DUE_SHARE))
    at_risk = int(incidents * AT_RISK_SHARE)
    owner, lawyer = cast["owner"], cast["lawyer"]
    departments = cast["departments"]
    opened = T0 - dt.timedelta(minutes=30)

    def incident_rows() -> Iterable[dict]:
        for pk in range(1, incidents + 1):
            yield {
                "id": pk,
                "tenant_id": tenant.pk,
                "code": f"YQ-2026-{pk:06d}",
                "title": f"压测舆情事件{pk}",
                "severity": 1 + pk % 4,
                "phase": "analysis" if pk % 3 else "response",
                "owner_id": owner.pk,
                "opened_at": opened,
                "created_at": opened,
                "updated_at": opened,
            }

    def clock_rows() -> Iterable[dict]:
        # Incidents 1 .. runs × due_per_run fall due one slice per minute; then the at-risk ones; then the rest.
        for pk in range(1, incidents + 1):
            slot, position = divmod(pk - 1, due_per_run)
            common = {"tenant_id": tenant.pk, "incident_id": pk, "state": "running", "started_at": opened}
            resolution_deadline = T0 + dt.timedelta(days=3, minutes=rng.randrange(0, 3 * 24 * 60))
            resolution = {
                **common,
                "kind": "resolution",
                "clock_kind": "working_days",
                "warn_at": resolution_deadline - dt.timedelta(hours=14),
                "deadline_at": resolution_deadline,
            }
            if slot < runs:
                minute_start = T0 + dt.timedelta(minutes=slot)
                moment = minute_start + dt.timedelta(seconds=rng.randrange(1, 60))
                if position % 2:  # reaches its warning share in this minute
                    first = {"warn_at": moment, "deadline_at": moment + dt.timedelta(minutes=6)}
                else:  # reaches its deadline in this minute (warned 6 minutes before)
                    warned = moment - dt.timedelta(minutes=6)
                    first = {"warn_at": warned, "deadline_at": moment, "warned_for": moment}
            elif pk - 1 < runs * due_per_run + at_risk:
                deadline = T0 + dt.timedelta(minutes=rng.randrange(60, 600))
                first = {"warn_at": T0 - dt.timedelta(minutes=rng.randrange(1, 60)), "deadline_at": deadline}
                first["warned_for"] = deadline
            else:
                warn = T0 + dt.timedelta(minutes=rng.randrange(60, 3 * 24 * 60))
                first = {"warn_at": warn, "deadline_at": warn + dt.timedelta(minutes=48)}
            yield {**common, "kind": "first_response", "clock_kind": "24x7", **first}
            yield resolution

    started = time.perf_counter()
    copy_rows(Incident, incident_rows())
    reset_sequence(Incident)
    copy_rows(SlaClock, clock_rows())
    copy_rows(
        IncidentTask,
        (
            {
                "tenant_id": tenant.pk,
                "incident_id": pk,
                "department_id": departments["legal"].pk,
                "assignee_id": lawyer.pk,
                "title": "出具法律意见",
                "status": "open",
                "created_at": opened,
            }
            for pk in range(1, incidents + 1)
        ),
    )
    copy_rows(
        Incident.departments.through,
        (
            {"tenant_id": tenant.pk, "incident_id": pk, "department_id": departments["pr"].pk}
            for pk in range(1, incidents + 1)
        ),
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"due_per_run": due_per_run, "seconds": time.perf_counter() - started}


def main() -> None:
    run_in_production_mode_database(run, parse_args())


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import SlaEvent
    from incidents.services.sla import sla_sweep
    from yuqing.notify.models import Notification
    from yuqing.tenancy.services import tenant_create

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    tenant = tenant_create(slug="bench", name="压测机构")
    cast = people(tenant)
    layout = fill(tenant, cast, incidents=args.incidents, runs=args.runs, due=args.due, rng=random.Random(20260302))
    print(
        f"loaded {args.incidents:,} open incidents ({2 * args.incidents:,} running clocks, "
        f"{args.incidents:,} tasks) in {layout['seconds']:.1f} s; {layout['due_per_run']:,} fall due per minute",
        flush=True,
    )
    sla_sweep(now=T0 - dt.timedelta(minutes=5))  # warm up: connection, imports; nothing is due yet

    print()
    print(f"{'run':>4} {'now':>20} {'ms':>8} {'queries':>8} {'warnings':>9} {'breaches':>9} {'notified':>9}")
    for number in range(1, args.runs + 2):
        now = T0 + dt.timedelta(minutes=number)
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            result = sla_sweep(now=now)
            elapsed = (time.perf_counter() - began) * 1000
        label = str(number) if number <= args.runs else "idle"
        if number == 1:
            first_run = list(captured.captured_queries)
        print(
            f"{label:>4} {now:%Y-%m-%d %H:%M:%S} {elapsed:8.1f} {len(captured):8d} "
            f"{result.warnings:9d} {result.breaches:9d} {result.notifications:9d}",
            flush=True,
        )
    print()
    print(
        f"recorded {SlaEvent.objects.for_tenant(tenant).count():,} SLA events, "
        f"{Notification.objects.for_tenant(tenant).count():,} notifications"
    )
    for label, marker in (("breach", '"deadline_at" <='), ("warning", '"warn_at" <=')):
        sql = next(q["sql"] for q in first_run if q["sql"].startswith("SELECT") and marker in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            print(f"{label} query plan (as the sweep sent it in run 1):")
            for (line,) in cursor.fetchall():
                print("   ", line)


if __name__ == "__main__":
    main()
