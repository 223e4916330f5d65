"""The Django admin of monitoring configuration saves through the settings services (checks, audit)."""

import pytest
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import KeywordRule, Source, WarningPolicy
from yuqing.monitoring.services.sources import keyword_rule_create


@pytest.fixture
def staff_a(client_for, admin_a):
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


def _actions(tenant):
    return list(AuditEvent.objects.for_tenant(tenant).order_by("sequence").values_list("action", flat=True))


def _source_post(**fields):
    return {
        "name": "微博",
        "kind": "weibo",
        "weight": "1.0",
        "owner": "",
        "feed_url": "",
        "poll_minutes": "15",
        **fields,
    }


def test_a_source_added_and_changed_in_the_admin_goes_through_the_services(staff_a, tenant_a, tenant_b):
    response = staff_a.post(reverse("admin:monitoring_source_add"), _source_post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    source = Source.objects.for_tenant(tenant_a).get()
    response = staff_a.post(reverse("admin:monitoring_source_change", args=[source.pk]), _source_post(name="新浪微博"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    source.refresh_from_db()
    assert source.name == "新浪微博"
    assert _actions(tenant_a)[-2:] == ["source.create", "source.update"]
    assert not Source.objects.for_tenant(tenant_b).exists()


def test_the_admin_shows_the_services_rules_beside_the_fields(staff_a, tenant_a):
    response = staff_a.post(reverse("admin:monitoring_source_add"), _source_post(kind="feed", poll_minutes="2"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["feed_url"] == ["RSS/Atom 订阅类信息源需要填写订阅地址。"]
    assert errors["poll_minutes"] == ["抓取间隔须在 5 分钟到 1440 分钟（一天）之间。"]
    assert not Source.objects.for_tenant(tenant_a).exists()


def test_a_keyword_rule_edited_in_the_admin_list_is_audited_by_the_service(staff_a, tenant_a):
    rule = keyword_rule_create(tenant=tenant_a, actor=None, data={"term": "跑路", "weight": 30})
    response = staff_a.post(
        reverse("admin:monitoring_keywordrule_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "form-0-weight": "35",
            "form-0-is_active": "on",
            "_save": "保存",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.weight == 35
    assert _actions(tenant_a)[-1] == "keyword_rule.update"


def test_a_term_with_a_space_is_refused_in_the_admin_as_in_the_portal(staff_a, tenant_a):
    response = staff_a.post(
        reverse("admin:monitoring_keywordrule_add"),
        {"term": "跑 路", "kind": "sensitive", "category": "", "weight": "10", "field": "both", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["term"] == ["词语中不能有空格；多个词请分别添加。"]
    assert not KeywordRule.objects.for_tenant(tenant_a).exists()


def test_the_warning_policy_saved_in_the_admin_is_the_services_write(staff_a, tenant_a):
    response = staff_a.post(
        reverse("admin:monitoring_warningpolicy_add"),
        {
            "blue_at": "30",
            "yellow_at": "50",
            "orange_at": "70",
            "red_at": "90",
            "label_style": WarningPolicy.LabelStyle.LAW_2024,
            "story_window_hours": "24",
            "vip_boost": "5",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = WarningPolicy.objects.for_tenant(tenant_a).get()
    assert (policy.blue_at, policy.red_at, policy.story_window_hours) == (30, 90, 24)
    assert _actions(tenant_a)[-1] == "warning_policy.update"
