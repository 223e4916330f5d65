"""Emergency-plan services: gap-free versions, immutability, maker-checker, one version in force, audit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from tests.training.plan_support import STEPS, approved_plan, member_of, steps_of, versions_of
from training.models import EmergencyPlan, PlanStep, PlanVersion, Scenario
from training.selectors.plans import version_diff
from training.services import plans as services
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def author(tenant_a):
    return member_of(tenant_a, "plan_author", Role.HANDLER)


@pytest.fixture
def manager(tenant_a):
    return member_of(tenant_a, "plan_manager", Role.MANAGER)


def test_a_plan_starts_with_an_empty_first_draft_and_is_audited(tenant_a, author):
    plan = services.plan_create(
        tenant=tenant_a, actor=author.user, scenario=Scenario.DATA_LEAK, severity=2, title="数据泄露预案"
    )
    [version] = versions_of(plan).all()
    assert (version.number, version.status, version.author) == (1, "draft", author.user)
    assert not steps_of(version).exists()
    actions = set(AuditEvent.objects.for_tenant(tenant_a).values_list("action", flat=True))
    assert {"plan.create", "plan.version_draft"} <= actions


def test_one_plan_per_scenario_and_severity(tenant_a, author):
    services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.DATA_LEAK, severity=2, title="甲")
    with pytest.raises(ValidationError) as error:
        services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.DATA_LEAK, severity=2, title="乙")
    assert "已有" in str(error.value.message_dict["scenario"])


def test_versions_are_numbered_without_gaps_and_a_draft_copies_the_version_in_force(tenant_a, author, manager):
    plan, _v1 = approved_plan(tenant_a, author, manager)
    v2 = services.version_draft(tenant=tenant_a, actor=author.user, plan=plan, change_note="修订")
    assert v2.number == 2
    assert [(s.order, s.title, s.target_minutes) for s in steps_of(v2).order_by("order")] == [
        (1, "发布澄清声明", 120),
        (2, "保全侵权证据", 240),
        (3, "统一客服口径", 60),
    ]
    # Only one open version at a time; a refused draft takes no number.
    with pytest.raises(ValidationError):
        services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    services.version_submit(tenant=tenant_a, actor=author.user, version=v2)
    services.version_reject(tenant=tenant_a, actor=manager.user, version=v2, reason="时限太长")
    services.version_submit(tenant=tenant_a, actor=author.user, version=v2)
    services.version_approve(tenant=tenant_a, actor=manager.user, version=v2)
    v3 = services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    assert list(versions_of(plan).order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    assert steps_of(v3).count() == 3


def test_approval_supersedes_the_previous_version_and_sets_the_review_date(tenant_a, author, manager):
    with time_machine.travel(T0, tick=False):
        plan, v1 = approved_plan(tenant_a, author, manager)
    plan.refresh_from_db()
    assert plan.next_review_at == dt.date(2027, 3, 2)
    assert (v1.approved_by, v1.reviewed_by, v1.is_in_force) == (manager.user, manager.user, True)
    v2 = services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    services.version_submit(tenant=tenant_a, actor=author.user, version=v2)
    with time_machine.travel(T0 + dt.timedelta(days=40), tick=False):
        services.version_approve(tenant=tenant_a, actor=manager.user, version=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    plan.refresh_from_db()
    assert (v1.status, v1.is_in_force) == ("superseded", False)
    assert (v2.status, v2.is_in_force) == ("approved", True)
    assert plan.next_review_at == dt.date(2027, 4, 11)
    assert PlanVersion.objects.for_tenant(tenant_a).filter(plan=plan, is_in_force=True).count() == 1


def test_the_author_cannot_approve_nor_reject_their_own_version(tenant_a, manager):
    plan = services.plan_create(tenant=tenant_a, actor=manager.user, scenario=Scenario.OTHER, severity=1, title="预案")
    version = versions_of(plan).get()
    services.version_steps_set(tenant=tenant_a, actor=manager.user, version=version, steps=STEPS)
    services.version_submit(tenant=tenant_a, actor=manager.user, version=version)
    with pytest.raises(PermissionDenied, match="起草人"):
        services.version_approve(tenant=tenant_a, actor=manager.user, version=version)
    with pytest.raises(PermissionDenied, match="起草人"):
        services.version_reject(tenant=tenant_a, actor=manager.user, version=version, reason="x")
    version.refresh_from_db()
    assert version.status == "in_review"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.HANDLER, Role.AUDITOR])
def test_only_a_role_with_approve_may_approve(tenant_a, author, role):
    plan = services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.OTHER, severity=1, title="预案")
    version = versions_of(plan).get()
    services.version_steps_set(tenant=tenant_a, actor=author.user, version=version, steps=STEPS)
    services.version_submit(tenant=tenant_a, actor=author.user, version=version)
    other = member_of(tenant_a, f"checker_{role}", role)
    with pytest.raises(PermissionDenied):
        services.version_approve(tenant=tenant_a, actor=other.user, version=version)
    version.refresh_from_db()
    assert version.status == "in_review"


def test_a_viewer_cannot_draft(tenant_a, viewer_a):
    with pytest.raises(PermissionDenied):
        services.plan_create(tenant=tenant_a, actor=viewer_a.user, scenario=Scenario.OTHER, severity=1, title="x")


def test_steps_are_edited_only_while_draft(tenant_a, author, manager):
    plan, v1 = approved_plan(tenant_a, author, manager)
    with pytest.raises(ValidationError, match="草稿"):
        services.version_steps_set(tenant=tenant_a, actor=author.user, version=v1, steps=STEPS[:1])
    v2 = services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    services.version_submit(tenant=tenant_a, actor=author.user, version=v2)
    with pytest.raises(ValidationError, match="草稿"):
        services.version_steps_set(tenant=tenant_a, actor=author.user, version=v2, steps=STEPS[:1])
    assert steps_of(v2).count() == 3


def test_an_approved_version_and_its_steps_refuse_changes_at_the_model_too(tenant_a, author, manager):
    _plan, v1 = approved_plan(tenant_a, author, manager)
    v1.change_note = "偷偷改"
    with pytest.raises(ValidationError, match="不可修改"):
        v1.save()
    v1.refresh_from_db()
    with pytest.raises(ValidationError):
        v1.delete()
    step = steps_of(v1).first()
    step.target_minutes = 9999
    with pytest.raises(ValidationError, match="草稿"):
        step.save()
    with pytest.raises(ValidationError):
        step.delete()
    assert PlanStep.objects.for_tenant(tenant_a).get(pk=step.pk).target_minutes == 120


def test_the_database_keeps_one_version_in_force(tenant_a, author, manager):
    plan, _v1 = approved_plan(tenant_a, author, manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.bulk_create(
            [PlanVersion(tenant=tenant_a, plan=plan, number=9, status="approved", is_in_force=True)]
        )


def test_submit_needs_a_step_and_reject_needs_a_reason(tenant_a, author, manager):
    plan = services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.OTHER, severity=3, title="预案")
    version = versions_of(plan).get()
    with pytest.raises(ValidationError, match="至少"):
        services.version_submit(tenant=tenant_a, actor=author.user, version=version)
    services.version_steps_set(tenant=tenant_a, actor=author.user, version=version, steps=STEPS)
    services.version_submit(tenant=tenant_a, actor=author.user, version=version)
    with pytest.raises(ValidationError) as error:
        services.version_reject(tenant=tenant_a, actor=manager.user, version=version, reason="  ")
    assert "退回原因" in str(error.value)
    services.version_reject(tenant=tenant_a, actor=manager.user, version=version, reason="补充法务步骤")
    version.refresh_from_db()
    assert (version.status, version.reject_reason, version.reviewed_by) == ("draft", "补充法务步骤", manager.user)


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "a\x00b"},
        {"title": "lone \ud800 surrogate"},
        {"title": "x" * 201},
        {"title": ""},
        {"target_minutes": 0},
        {"target_minutes": -5},
        {"target_minutes": 10**9},
        {"department_kind": "nope"},
        {"description": "y" * 5000},
    ],
)
def test_hostile_steps_get_a_chinese_error_and_change_nothing(tenant_a, author, bad):
    plan = services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.OTHER, severity=3, title="预案")
    version = versions_of(plan).get()
    services.version_steps_set(tenant=tenant_a, actor=author.user, version=version, steps=STEPS)
    row = {**STEPS[0], **bad}
    with pytest.raises(ValidationError) as error:
        services.version_steps_set(tenant=tenant_a, actor=author.user, version=version, steps=[row])
    text = " ".join(error.value.messages)
    assert "第 1 步" in text
    assert any("\u4e00" <= char <= "\u9fff" for char in text.replace("第 1 步", ""))
    assert steps_of(version).count() == 3


@pytest.mark.parametrize("title", ["NUL\x00", "\udfff孤立", "x" * 5000])
def test_hostile_plan_titles_get_a_chinese_error(tenant_a, author, title):
    with pytest.raises(ValidationError) as error:
        services.plan_create(tenant=tenant_a, actor=author.user, scenario=Scenario.OTHER, severity=3, title=title)
    assert "title" in error.value.message_dict
    assert not EmergencyPlan.objects.for_tenant(tenant_a).exists()


def test_another_tenants_plan_is_refused(tenant_a, tenant_b, author, manager, admin_b):
    plan, _v1 = approved_plan(tenant_a, author, manager)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.version_draft(tenant=tenant_b, actor=admin_b.user, plan=plan)


def test_the_diff_names_added_removed_and_changed_steps(tenant_a, author, manager):
    plan, v1 = approved_plan(tenant_a, author, manager)
    v2 = services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    services.version_steps_set(
        tenant=tenant_a,
        actor=author.user,
        version=v2,
        steps=[
            {**STEPS[0], "target_minutes": 60},
            STEPS[2],
            {"department_kind": Department.Kind.RISK, "title": "排查风险敞口", "target_minutes": 480},
        ],
    )
    changes = version_diff(tenant=tenant_a, old=v1, new=v2)
    summary = [(c.kind, (c.new or c.old).title, c.fields) for c in changes]
    assert summary == [
        ("changed", "发布澄清声明", ("target_minutes",)),
        ("removed", "保全侵权证据", ()),
        ("changed", "统一客服口径", ("order",)),
        ("added", "排查风险敞口", ()),
    ]
