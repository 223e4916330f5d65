"""Admin of complaint policies and feedback: tenant-scoped, the reporter's mobile only masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import ComplaintPolicy, Feedback
from customers.services.feedback import feedback_register
from customers.services.policies import complaint_policies_ensure, complaint_policy_default

MOBILE = "13812345678"


def _staff_client(membership) -> Client:
    membership.user.is_staff = True
    membership.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def staff_a(admin_a) -> Client:
    return _staff_client(admin_a)


@pytest.fixture
def staff_b(admin_b) -> Client:
    return _staff_client(admin_b)


@pytest.fixture
def feedback_a(tenant_a, handler_a) -> Feedback:
    return feedback_register(
        tenant=tenant_a,
        actor=handler_a.user,
        reporter_name="李先生",
        reporter_mobile=MOBILE,
        channel="phone",
        subject="催收电话骚扰",
        content="一天十几个电话。",
        received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )


def test_the_feedback_list_and_page_show_only_the_masked_mobile(staff_a, feedback_a):
    for url in (
        reverse("admin:customers_feedback_changelist"),
        reverse("admin:customers_feedback_change", args=[feedback_a.pk]),
    ):
        body = staff_a.get(url).content.decode()
        assert "138****5678" in body, url
        assert MOBILE not in body and feedback_a.reporter_mobile_encrypted not in body, url


def test_feedback_is_not_added_or_deleted_in_the_admin(staff_a, feedback_a):
    assert staff_a.get(reverse("admin:customers_feedback_add")).status_code == 403
    assert (
        staff_a.post(reverse("admin:customers_feedback_delete", args=[feedback_a.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Feedback.objects.for_tenant(feedback_a.tenant).filter(pk=feedback_a.pk).exists()


def test_only_the_wording_is_editable(staff_a, feedback_a):
    page = staff_a.get(reverse("admin:customers_feedback_change", args=[feedback_a.pk]))
    form_fields = set(page.context["adminform"].form.fields)
    assert form_fields == {"subject", "content", "category", "channel"}


def test_another_tenants_admin_gets_404(staff_b, feedback_a):
    policy = feedback_a.policy
    for url in (
        reverse("admin:customers_feedback_change", args=[feedback_a.pk]),
        reverse("admin:customers_feedback_delete", args=[feedback_a.pk]),
        reverse("admin:customers_feedback_history", args=[feedback_a.pk]),
        reverse("admin:customers_complaintpolicy_change", args=[policy.pk]),
        reverse("admin:customers_complaintpolicy_delete", args=[policy.pk]),
    ):
        for method in ("get", "post"):
            assert getattr(staff_b, method)(url).status_code == 404, f"{method} {url}"
    body = staff_b.get(reverse("admin:customers_feedback_changelist")).content.decode()
    assert "催收电话骚扰" not in body


def test_the_make_default_action_switches_the_default(staff_a, tenant_a):
    complaint_policies_ensure(tenant=tenant_a)
    cbrc = ComplaintPolicy.objects.for_tenant(tenant_a).get(template_code="cbrc_2012")
    response = staff_a.post(
        reverse("admin:customers_complaintpolicy_changelist"),
        {"action": "make_default", "_selected_action": [cbrc.pk]},
    )
    assert response.status_code == 302
    assert complaint_policy_default(tenant=tenant_a) == cbrc


def test_a_policy_whose_extension_is_not_longer_is_refused(staff_a, tenant_a):
    response = staff_a.post(
        reverse("admin:customers_complaintpolicy_add"),
        {
            "name": "内部 10 日",
            "clock_kind": "calendar_days",
            "days": 10,
            "first_extension_days": 10,
            "max_days": 8,
            "legal_basis": "内部制度",
            "due_soon_days": 2,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "首次延期后的时限应长于处理时限" in body and "最长时限不能短于处理时限" in body
    assert not ComplaintPolicy.objects.for_tenant(tenant_a).filter(name="内部 10 日").exists()


def test_a_tenant_admin_adds_a_policy_in_its_own_tenant(staff_a, tenant_a):
    response = staff_a.post(
        reverse("admin:customers_complaintpolicy_add"),
        {
            "name": "内部 10 日",
            "clock_kind": "calendar_days",
            "days": 10,
            "first_extension_days": 20,
            "max_days": 40,
            "legal_basis": "内部制度",
            "due_soon_days": 2,
        },
    )
    assert response.status_code == 302
    assert ComplaintPolicy.objects.for_tenant(tenant_a).get(name="内部 10 日").max_days == 40
