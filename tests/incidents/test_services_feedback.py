"""Escalating a feedback item to an incident: through customers' feedback_escalate, linked both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, Feedback
from customers.selectors.feedback import feedback_incidents
from customers.services.feedback import feedback_escalate
from incidents.models import Incident, Severity, SlaClock
from incidents.services.incidents import incident_open_from_feedback, open_incident_for_escalated_feedback
from tests.customers.factories import CustomerFactory, FeedbackFactory
from yuqing.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_escalating_opens_an_incident_linked_both_ways(tenant_a, admin_a, handler_a) -> None:
    customer = CustomerFactory(tenant=tenant_a, tier="vip")
    feedback = FeedbackFactory(tenant=tenant_a, customer=customer, handler=handler_a, subject="客户称将向媒体投诉")

    incident = incident_open_from_feedback(
        tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=Severity.II, title="VIP 客户扬言曝光"
    )

    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.ESCALATED
    assert incident.title == "VIP 客户扬言曝光"
    assert (incident.severity, incident.owner) == (Severity.II, handler_a)
    assert list(Feedback.objects.for_tenant(tenant_a).filter(incidents=incident)) == [feedback]
    assert list(Customer.objects.for_tenant(tenant_a).filter(incidents=incident)) == [customer]
    assert feedback_incidents(tenant=tenant_a, feedback=feedback) == [incident]
    # The customer is VIP: the VIP first-response target (II: 60 × 0.5 = 30 min).
    clock = SlaClock.objects.for_tenant(tenant_a).get(incident=incident, kind="first_response")
    assert clock.deadline_at - incident.opened_at == dt.timedelta(minutes=30)
    actions = list(AuditEvent.objects.for_tenant(tenant_a).order_by("sequence").values_list("action", flat=True))
    assert actions[-3:] == ["feedback.escalate", "incident.open", "feedback.incident_linked"]


def test_the_title_defaults_to_the_feedback_subject(tenant_a, admin_a) -> None:
    feedback = FeedbackFactory(tenant=tenant_a, subject="催收电话骚扰")
    incident = incident_open_from_feedback(tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=3)
    assert incident.title == "催收电话骚扰"
    assert incident.owner == admin_a  # no handler: the acting member answers for it


def test_a_bad_severity_leaves_the_feedback_as_it_was(tenant_a, admin_a) -> None:
    feedback = FeedbackFactory(tenant=tenant_a)
    with pytest.raises(ValidationError):
        incident_open_from_feedback(tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=7)
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.RECEIVED
    assert not Incident.objects.for_tenant(tenant_a).exists()


def test_an_escalated_item_cannot_be_escalated_again(tenant_a, admin_a) -> None:
    feedback = FeedbackFactory(tenant=tenant_a)
    incident_open_from_feedback(tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=3)
    with pytest.raises(ValidationError):
        incident_open_from_feedback(tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=3)
    assert Incident.objects.for_tenant(tenant_a).count() == 1


def test_another_tenants_feedback_is_refused(tenant_a, tenant_b, admin_a) -> None:
    feedback = FeedbackFactory(tenant=tenant_b)
    with pytest.raises(ValidationError):
        incident_open_from_feedback(tenant=tenant_a, actor=admin_a.user, feedback=feedback, severity=3)
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.RECEIVED


def test_the_opener_for_the_customers_escalate_button_opens_a_linked_incident(tenant_a, admin_a) -> None:
    feedback = FeedbackFactory(tenant=tenant_a, subject="网点排队过久被拍视频")
    escalation = feedback_escalate(
        tenant=tenant_a, actor=admin_a.user, feedback=feedback, open_incident=open_incident_for_escalated_feedback
    )
    incident = escalation.incident
    assert (incident.title, incident.severity) == ("网点排队过久被拍视频", Severity.III)
    assert feedback_incidents(tenant=tenant_a, feedback=escalation.feedback) == [incident]
