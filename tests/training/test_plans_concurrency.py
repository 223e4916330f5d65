"""Concurrent plan writes (PostgreSQL; SQLite runs one writer at a time anyway): approvals of one
version by several checkers leave one approval and one version in force; concurrent drafts take
one number."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from tests.training.plan_support import STEPS, member_of
from training.models import PlanVersion, Scenario
from training.services import plans as services
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Role
from yuqing.tenancy.services import tenant_create

WRITERS = 6


def _race(work: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    start = threading.Barrier(len(work))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            results.append(job())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres
def test_concurrent_approvals_approve_once(transactional_db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    tenant = tenant_create(slug="busy-plans", name="并发审批")
    author = member_of(tenant, "plan_author", Role.HANDLER)
    checkers = [member_of(tenant, f"checker{i}", Role.MANAGER) for i in range(WRITERS)]
    plan = services.plan_create(tenant=tenant, actor=author.user, scenario=Scenario.OTHER, severity=1, title="预案")
    version = PlanVersion.objects.for_tenant(tenant).get(plan=plan)
    services.version_steps_set(tenant=tenant, actor=author.user, version=version, steps=STEPS)
    services.version_submit(tenant=tenant, actor=author.user, version=version)

    results, errors = _race(
        [
            (lambda checker=checker: services.version_approve(tenant=tenant, actor=checker.user, version=version))
            for checker in checkers
        ]
    )
    assert len(results) == 1
    assert len(errors) == WRITERS - 1 and all(isinstance(e, ValidationError) for e in errors)
    assert PlanVersion.objects.for_tenant(tenant).filter(plan=plan, is_in_force=True).count() == 1
    assert AuditEvent.objects.for_tenant(tenant).filter(action="plan.version_approve").count() == 1

    drafts, errors = _race(
        [(lambda: services.version_draft(tenant=tenant, actor=author.user, plan=plan)) for _ in range(WRITERS)]
    )
    assert len(drafts) == 1 and len(errors) == WRITERS - 1
    assert sorted(PlanVersion.objects.for_tenant(tenant).filter(plan=plan).values_list("number", flat=True)) == [1, 2]
