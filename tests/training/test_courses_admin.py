"""The training admin: courses are added and changed through the course services (audited, checked)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.training.support import course
from training.models import Course
from yuqing.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FORM = {
    "title": "个人信息保护",
    "topic": "personal_information",
    "validity_months": 12,
    "pass_mark": 70,
    "is_active": "on",
}


def _staff(membership) -> Client:
    membership.user.is_staff = True
    membership.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(membership.user)
    return client


def test_a_course_added_in_the_admin_goes_through_the_service(admin_a, tenant_a):
    response = _staff(admin_a).post(reverse("admin:training_course_add"), FORM)
    assert response.status_code == 302
    created = Course.objects.for_tenant(tenant_a).get()
    assert created.pass_mark == 70
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="training.course_create").count() == 1


def test_a_change_is_audited_and_the_other_tenant_gets_404(admin_a, admin_b, tenant_a):
    existing = course(tenant_a, "个人信息保护")
    url = reverse("admin:training_course_change", args=[existing.pk])
    assert _staff(admin_b).get(url).status_code == 404
    assert _staff(admin_a).post(url, {**FORM, "pass_mark": 85}).status_code == 302
    existing.refresh_from_db()
    assert existing.pass_mark == 85
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="training.course_update").count() == 1


def test_certifications_are_read_only_in_the_admin(admin_a):
    assert _staff(admin_a).get(reverse("admin:training_certification_add")).status_code == 403
