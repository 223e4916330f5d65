"""The customers desk's escalate button opens a real incident, linked both ways."""

from django.urls import reverse
from django.utils import timezone

from customers.models import Feedback
from customers.services.feedback import feedback_register
from incidents.models import Incident, Phase


def test_the_escalate_button_opens_an_incident_owned_by_the_handler(client_for, tenant_a, handler_a):
    feedback = feedback_register(
        tenant=tenant_a,
        actor=handler_a.user,
        reporter_name="李经理",
        channel=Feedback.Channel.SOCIAL_MEDIA,
        subject="催收电话打到单位同事",
        content="自媒体转载了催收录音。",
        received_at=timezone.now(),
        handler=handler_a,
    )
    client = client_for(handler_a)
    response = client.post(reverse("customers:feedback-escalate", kwargs={"pk": feedback.pk}), follow=True)

    incident = Incident.objects.for_tenant(tenant_a).get()
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.ESCALATED
    assert list(Feedback.objects.for_tenant(tenant_a).filter(incidents=incident)) == [feedback]
    assert incident.owner == handler_a
    assert incident.phase == Phase.RESPONSE
    assert incident.code in response.content.decode()
