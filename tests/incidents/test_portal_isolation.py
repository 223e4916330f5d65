"""Every incident URL with an object in it answers 404 to another tenant, for GET and POST, and
changes nothing; the feedback-based creation refuses another tenant's feedback the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Feedback
from incidents.models import Incident, IncidentTask, Phase, TimelineEntry
from incidents.services.evidence import evidence_add
from incidents.services.review import review_record
from incidents.services.tasks import task_create
from tests.customers.factories import FeedbackFactory
from tests.incidents.factories import advance_to, department_of, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def objects_of_a(tenant_a, admin_a):
    incident = advance_to(
        open_incident(tenant_a, admin_a.user, title="a-only-marker 事件"), Phase.REVIEW, actor=admin_a.user
    )
    review = review_record(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=incident,
        root_cause="a-only-marker",
        actions=[{"kind": "action", "title": "a-only-marker", "owner": admin_a, "due_date": dt.date(2026, 5, 1)}],
    )
    other = open_incident(tenant_a, admin_a.user, title="a-only-marker 任务事件")
    task = task_create(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=other,
        department=department_of(tenant_a, Department.Kind.PR),
        title="a-only-marker 任务",
    )
    evidence = evidence_add(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=other,
        title="a-only-marker 截图",
        file=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16),
    )
    return {
        "incident": other,
        "review_incident": incident,
        "task": task,
        "evidence": evidence,
        "action": review.actions.model.objects.for_tenant(tenant_a).get(review=review),
    }


# URL name → which of tenant A's objects fills its pk.
OBJECT_URLS = {
    "incidents:incident-detail": "incident",
    "incidents:incident-sla": "incident",
    "incidents:incident-edit": "incident",
    "incidents:incident-advance": "incident",
    "incidents:incident-save-phase": "incident",
    "incidents:incident-move-back": "review_incident",
    "incidents:incident-pause": "incident",
    "incidents:incident-resume": "incident",
    "incidents:incident-note": "incident",
    "incidents:incident-plan-launch": "incident",
    "incidents:incident-review": "review_incident",
    "incidents:evidence-add": "incident",
    "incidents:task-create": "incident",
    "incidents:evidence-download": "evidence",
    "incidents:improvement-action-complete": "action",
    "incidents:task-detail": "task",
    "incidents:task-status": "task",
    "incidents:task-comment": "task",
}

POST_DATA = {
    "title": "b 的写入",
    "severity": "1",
    "reason": "b 的原因",
    "to_phase": "response",
    "body": "b 的评论",
    "kind": "note",
    "status": "done",
    "root_cause": "b",
    "proposal": "x",
    "url": "https://b.example/",
    "facts_who": "b",
    "department": "1",
    **{
        f"{prefix}-{name}": "b"
        for prefix in ("back", "pause", "note", "task", "evidence")
        for name in ("title", "reason", "body")
    },
}


def _counts(tenant) -> tuple[int, ...]:
    return (
        Incident.objects.for_tenant(tenant).count(),
        IncidentTask.objects.for_tenant(tenant).count(),
        TimelineEntry.objects.for_tenant(tenant).count(),
        AuditEvent.objects.for_tenant(tenant).count(),
    )


@pytest.mark.parametrize(("name", "target"), sorted(OBJECT_URLS.items()))
def test_another_tenant_gets_404_and_changes_nothing(client_b, tenant_a, objects_of_a, name, target):
    url = reverse(name, kwargs={"pk": objects_of_a[target].pk})
    before = _counts(tenant_a)
    for response in (client_b.get(url), client_b.post(url, POST_DATA)):
        assert response.status_code == 404, (name, response.status_code)
        assert b"a-only-marker" not in response.content
    assert _counts(tenant_a) == before


def test_every_incident_url_with_a_parameter_is_covered():
    from incidents import urls

    with_params = {f"incidents:{p.name}" for p in urls.urlpatterns if p.pattern.regex.groupindex}
    assert with_params == set(OBJECT_URLS)


def test_creating_from_another_tenants_feedback_is_a_404(client_b, tenant_a):
    feedback = FeedbackFactory(tenant=tenant_a, subject="a-only-marker 反馈")
    url = reverse("incidents:incident-create") + f"?feedback={feedback.pk}"
    assert client_b.get(url).status_code == 404
    assert client_b.post(url, {"title": "b", "severity": "1"}).status_code == 404
    assert Feedback.objects.for_tenant(tenant_a).get(pk=feedback.pk).status == feedback.status


def test_a_made_up_feedback_id_is_a_404(client_a):
    assert client_a.get(reverse("incidents:incident-create") + "?feedback=abc").status_code == 404
