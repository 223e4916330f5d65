"""Benchmark of the training readiness dashboard on PostgreSQL: 5,000 staff, 200 courses, 100,000 attendance rows.

    DATABASE_URL=postgres://yuqing_owner@127.0.0.1:5432/yuqing .venv/bin/python tests/bench/bench_readiness.py
    options: --staff N  --courses N  --attendance N  --requests N  --keep

A script, not a test. It creates a throwaway database beside DATABASE_URL's (`<name>_bench_<pid>`),
migrates it, fills one tenant with COPY (12 departments, customer service the largest; a quarter of
the courses required, for one or two departments, a role, or everyone; five sessions per course;
the attendance rows spread over them, 85 % passing and certified, some certificates expired), then
times GET /training/readiness/ through Django's test client and prints the median, the p95 and the
number of SQL queries per request (the same as on a tenant of ten people). Target: p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_support import copy_rows, p95, reset_sequence, run_in_production_mode_database  # noqa: E402

DEPARTMENTS = [
    ("客服中心", "customer_service"),
    ("远程客服中心", "customer_service"),
    ("公关部", "pr"),
    ("法务部", "legal"),
    ("技术支持部", "tech_support"),
    ("风险管理部", "risk"),
    ("管理层", "management"),
    ("零售业务部", "other"),
    ("公司业务部", "other"),
    ("运营管理部", "other"),
    ("合规部", "other"),
    ("财务部", "other"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=5_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--attendance", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args()


def fill(tenant, args: argparse.Namespace, rng: random.Random) -> float:
    from django.db import connection
    from django.utils import timezone

    from training.models import Attendance, Certification, Course, CourseDepartment, CourseRole, TrainingSession
    from yuqing.tenancy.models import Department, Membership, User

    started = time.perf_counter()
    now = timezone.now()
    # COPY refuses tables under FORCE'd row-level security: lift it for the load (as the owner), then restore it.
    tables = [m._meta.db_table for m in (Department, Membership, Course, CourseDepartment, CourseRole)]
    tables += [m._meta.db_table for m in (TrainingSession, Attendance, Certification)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('yuqing.all_tenants', 'on', false)")
        for table in tables:
            cursor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    copy_rows(
        Department,
        (
            {"id": i + 1, "tenant_id": tenant.pk, "name": n, "kind": k, "is_active": True}
            for i, (n, k) in enumerate(DEPARTMENTS)
        ),
    )
    reset_sequence(Department)
    weights = [30, 10] + [6] * (len(DEPARTMENTS) - 2)
    first_user = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    copy_rows(
        User,
        (
            {
                "id": first_user + i + 1,
                "username": f"staff{i:05d}",
                "display_name": f"员工{i:05d}",
                "password": "!",
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "first_name": "",
                "last_name": "",
                "email": "",
                "date_joined": now,
            }
            for i in range(args.staff)
        ),
    )
    reset_sequence(User)
    first_member = (
        Membership.objects.dangerously_all_tenants().order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    roles = ["handler"] * 8 + ["manager", "viewer"]
    members = []
    for i in range(args.staff):
        department = rng.choices(range(1, len(DEPARTMENTS) + 1), weights)[0]
        members.append((first_member + i + 1, first_user + i + 1, department, rng.choice(roles)))
    copy_rows(
        Membership,
        (
            {
                "id": pk,
                "tenant_id": tenant.pk,
                "user_id": user,
                "department_id": d,
                "role": r,
                "title": "",
                "is_active": True,
                "created_at": now - dt.timedelta(days=800),
            }
            for pk, user, d, r in members
        ),
    )
    reset_sequence(Membership)
    topics = ["sensitivity", "scripts", "consumer_protection", "personal_information", "other"]
    courses = [
        {
            "id": i + 1,
            "tenant_id": tenant.pk,
            "title": f"课程{i:03d}",
            "topic": topics[i % 5],
            "description": "",
            "is_required": i % 4 == 0,
            "validity_months": 12,
            "pass_mark": 60,
            "is_active": True,
            "created_at": now - dt.timedelta(days=900),
        }
        for i in range(args.courses)
    ]
    copy_rows(Course, courses)
    reset_sequence(Course)
    links, role_links = [], []
    for course in courses:
        if not course["is_required"]:
            continue
        shape = course["id"] % 4
        if shape in (0, 1):
            for d in rng.sample(range(1, len(DEPARTMENTS) + 1), shape + 1):
                links.append({"tenant_id": tenant.pk, "course_id": course["id"], "department_id": d})
        elif shape == 2:
            role_links.append({"tenant_id": tenant.pk, "course_id": course["id"], "role": "manager"})
        # shape 3: everyone
    copy_rows(CourseDepartment, links)
    copy_rows(CourseRole, role_links)
    sessions = []
    for course in courses:
        for k in range(5):
            ends = now - dt.timedelta(days=30 + 90 * k + rng.randrange(60))
            sessions.append(
                {
                    "id": len(sessions) + 1,
                    "tenant_id": tenant.pk,
                    "course_id": course["id"],
                    "starts_at": ends - dt.timedelta(hours=2),
                    "ends_at": ends,
                    "trainer_id": None,
                    "place": "培训室",
                    "online_url": "",
                    "materials": "",
                    "materials_type": "",
                    "materials_sha256": "",
                    "created_at": now,
                }
            )
    copy_rows(TrainingSession, sessions)
    reset_sequence(TrainingSession)
    seen: set[tuple[int, int]] = set()
    attendance, certifications = [], []
    while len(attendance) < args.attendance:
        session = rng.choice(sessions)
        member = rng.choice(members)[0]
        if (session["id"], member) in seen:
            continue
        seen.add((session["id"], member))
        score = rng.randrange(40, 101)
        passed = score >= 60 and rng.random() < 0.95
        attendance.append(
            {
                "id": len(attendance) + 1,
                "tenant_id": tenant.pk,
                "session_id": session["id"],
                "member_id": member,
                "attended": True,
                "score": score,
                "passed": passed,
                "recorded_at": now,
            }
        )
        if passed:
            certifications.append(
                {
                    "tenant_id": tenant.pk,
                    "member_id": member,
                    "course_id": session["course_id"],
                    "attendance_id": len(attendance),
                    "issued_at": session["ends_at"],
                    "expires_at": session["ends_at"] + dt.timedelta(days=365),
                }
            )
    copy_rows(Attendance, attendance)
    unique = {(c["member_id"], c["course_id"], c["issued_at"]): c for c in certifications}
    copy_rows(Certification, unique.values())
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        cursor.execute("ANALYZE")
        cursor.execute("SELECT set_config('yuqing.all_tenants', '', false)")
    print(f"{len(unique):,} certifications", flush=True)
    return time.perf_counter() - started


def main() -> None:
    run_in_production_mode_database(run, parse_args())


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    from yuqing.tenancy.models import Membership, Role, Tenant, User

    tenant = Tenant.objects.create(slug="bench", name="压测机构")
    loaded = fill(tenant, args, random.Random(20261204))
    print(f"loaded {args.staff:,} staff, {args.courses} courses, {args.attendance:,} attendance rows in {loaded:.1f} s")
    user = User.objects.create(username="bench", display_name="压测管理员")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('yuqing.all_tenants', 'on', false)")
    Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('yuqing.all_tenants', '', false)")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, SECURE_SSL_REDIRECT=False):
        client = Client()
        client.force_login(user)
        for _ in range(3):
            assert client.get("/training/readiness/").status_code == 200  # warm up
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/training/readiness/")
        assert response.status_code == 200
        queries = len(captured)
        timings = []
        for _ in range(args.requests):
            begun = time.perf_counter()
            response = client.get("/training/readiness/")
            timings.append((time.perf_counter() - begun) * 1000)
    print()
    print(f"readiness dashboard ({args.requests} requests, {len(response.content) / 1024:.0f} KB page)")
    print(f"  median {statistics.median(timings):.1f} ms   p95 {p95(timings):.1f} ms   queries per request {queries}")
    print("  target: p95 < 150 ms, the query count of any tenant size")


if __name__ == "__main__":
    main()
