"""The emergency-plan pages: list with overdue reviews, detail with history, the whole maker-checker
flow through the forms, diff, refusals with Chinese messages, and another tenant's plan as 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.training.plan_support import STEPS, approved_plan, member_of, steps_of, versions_of
from training.models import EmergencyPlan
from yuqing.tenancy.models import Role

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def _steps_post(rows: list[dict], note: str = "") -> dict:
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "50",
        "change_note": note,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{index}-{key}"] = value
    return data


@pytest.fixture
def people(tenant_a):
    return member_of(tenant_a, "plan_author", Role.HANDLER), member_of(tenant_a, "plan_manager", Role.MANAGER)


def test_the_list_shows_the_version_in_force_and_flags_an_overdue_review(client_a, tenant_a, people):
    author, manager = people
    with time_machine.travel(T0, tick=False):
        approved_plan(tenant_a, author, manager)
    with time_machine.travel(T0 + dt.timedelta(days=30), tick=False):
        page = client_a.get(reverse("training:plan-list")).content.decode()
    assert "偿付能力谣言应急预案" in page and "V1" in page and "2027-03-02" in page
    assert 'data-flag="review-overdue"' not in page
    with time_machine.travel(T0 + dt.timedelta(days=400), tick=False):
        page = _client(people[1]).get(reverse("training:plan-list")).content.decode()
    assert 'data-flag="review-overdue"' in page


def test_the_list_takes_a_constant_number_of_queries(client_a, tenant_a, people, django_assert_max_num_queries):
    from training.models import Scenario

    author, manager = people
    for scenario in list(Scenario.values)[:4]:
        approved_plan(tenant_a, author, manager, scenario=scenario, title=f"预案{scenario}")
    client_a.get(reverse("training:plan-list"))
    with django_assert_max_num_queries(12):
        assert client_a.get(reverse("training:plan-list")).status_code == 200


def test_the_whole_flow_through_the_forms(tenant_a, people):
    author, manager = people
    writer, checker = _client(author), _client(manager)
    response = writer.post(
        reverse("training:plan-create"), {"scenario": "data_leak", "severity": "1", "title": "数据泄露应急预案"}
    )
    plan = EmergencyPlan.objects.for_tenant(tenant_a).get()
    version = versions_of(plan).get(number=1)
    assert response["Location"] == reverse("training:version-steps", args=[version.pk])
    assert writer.get(response["Location"]).status_code == 200
    rows = [{k: str(v) for k, v in step.items()} for step in STEPS]
    response = writer.post(reverse("training:version-steps", args=[version.pk]), _steps_post(rows, "首版"))
    assert response.status_code == 302
    assert [s.title for s in steps_of(version).order_by("order")] == [s["title"] for s in STEPS]
    writer.post(reverse("training:version-submit", args=[version.pk]))
    # The author is not offered approval, and is refused if they try.
    detail = writer.get(reverse("training:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-action="approve"' not in detail
    version.refresh_from_db()
    assert version.status == "in_review"
    checker_page = checker.get(reverse("training:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-action="approve"' in checker_page
    response = checker.post(reverse("training:version-reject", args=[version.pk]), {"reason": "补充技术支持步骤"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == "draft"
    writer.post(reverse("training:version-submit", args=[version.pk]))
    checker.post(reverse("training:version-approve", args=[version.pk]))
    version.refresh_from_db()
    assert (version.status, version.is_in_force) == ("approved", True)
    # A second draft copies it; edit and diff.
    writer.post(reverse("training:plan-draft", args=[plan.pk]), {"change_note": "年度评审"})
    v2 = versions_of(plan).get(number=2)
    rows[0]["target_minutes"] = "30"
    writer.post(reverse("training:version-steps", args=[v2.pk]), _steps_post(rows[:2], "年度评审"))
    diff = writer.get(reverse("training:plan-diff", args=[plan.pk]), {"old": 1, "new": 2}).content.decode()
    assert 'data-change="changed"' in diff and 'data-change="removed"' in diff


def test_the_author_approving_their_own_version_is_refused_in_chinese(tenant_a):
    manager = member_of(tenant_a, "plan_manager", Role.MANAGER)
    client = _client(manager)
    client.post(reverse("training:plan-create"), {"scenario": "other", "severity": "2", "title": "预案"})
    version = versions_of(EmergencyPlan.objects.for_tenant(tenant_a).get()).get()
    rows = [{k: str(v) for k, v in STEPS[0].items()}]
    client.post(reverse("training:version-steps", args=[version.pk]), _steps_post(rows))
    client.post(reverse("training:version-submit", args=[version.pk]))
    page = client.post(reverse("training:version-approve", args=[version.pk]), follow=True).content.decode()
    assert "审批人不能是该版本的起草人" in page
    version.refresh_from_db()
    assert version.status == "in_review"


def test_a_viewer_reads_but_cannot_write_or_approve(tenant_a, viewer_a, people):
    author, manager = people
    plan, version = approved_plan(tenant_a, author, manager)
    client = _client(viewer_a)
    assert client.get(reverse("training:plan-detail", args=[plan.pk])).status_code == 200
    assert client.post(reverse("training:plan-draft", args=[plan.pk])).status_code == 403
    assert client.post(reverse("training:version-approve", args=[version.pk])).status_code == 403
    assert versions_of(plan).count() == 1


@pytest.mark.parametrize("title", ["%E5%90%AB%00", "%ED%A0%80%E5%AD%A4%E7%AB%8B", "%E9%95%BF" * 300])
def test_hostile_titles_get_a_chinese_error(client_a, tenant_a, title):
    """NUL, an encoded lone surrogate (invalid UTF-8), and a title too long: raw bytes as a browser could send."""
    response = client_a.post(
        reverse("training:plan-create"),
        f"scenario=other&severity=2&title={title}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "errorlist" in page
    assert any(word in page for word in ("空字符", "无法识别的字符", "不超过"))
    assert not EmergencyPlan.objects.for_tenant(tenant_a).exists()


@pytest.mark.parametrize(
    "bad", [{"title": "a\x00b"}, {"title": "\ufffd"}, {"target_minutes": "0"}, {"description": "x" * 5000}]
)
def test_hostile_steps_are_refused(tenant_a, people, bad):
    author, _ = people
    client = _client(author)
    client.post(reverse("training:plan-create"), {"scenario": "other", "severity": "2", "title": "预案"})
    version = versions_of(EmergencyPlan.objects.for_tenant(tenant_a).get()).get()
    row = {**{k: str(v) for k, v in STEPS[0].items()}, **bad}
    response = client.post(reverse("training:version-steps", args=[version.pk]), _steps_post([row]))
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not steps_of(version).exists()


def test_another_tenants_plan_and_versions_answer_404(client_b, tenant_a, people):
    author, manager = people
    plan, version = approved_plan(tenant_a, author, manager)
    for name in ("plan-detail", "plan-diff"):
        assert client_b.get(reverse(f"training:{name}", args=[plan.pk])).status_code == 404
    assert client_b.post(reverse("training:plan-draft", args=[plan.pk])).status_code == 404
    for name in ("version-steps", "version-submit", "version-approve", "version-reject"):
        assert client_b.get(reverse(f"training:{name}", args=[version.pk])).status_code == 404
        assert client_b.post(reverse(f"training:{name}", args=[version.pk])).status_code == 404
    assert versions_of(plan).count() == 1
