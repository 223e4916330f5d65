"""Analysts' actions on warnings: acknowledge, close, set the level by hand, escalate a mention."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import Incident, Severity, TimelineEntry
from tests.monitoring.warnings_support import (
    channel_calls_fixture,  # noqa: F401 -- the channel_calls fixture
    cs_member,
    customer,
    duty_member,
    scored,
)
from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import Level, Mention, RiskWarning, WarningChange
from yuqing.monitoring.services.warnings import (
    warning_acknowledge,
    warning_close,
    warning_escalate_mention,
    warning_route_create,
    warning_set_level,
    warnings_process,
)
from yuqing.notify.models import Channel, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("channel_calls")]


def raise_warning(tenant, **fields) -> RiskWarning:
    [warning] = warnings_process(tenant=tenant, mentions=[scored(tenant, **fields)])
    return warning


def audit_actions(tenant) -> list[str]:
    return list(AuditEvent.objects.for_tenant(tenant).order_by("sequence").values_list("action", flat=True))


def notes(tenant, incident: Incident) -> list[str]:
    entries = TimelineEntry.objects.for_tenant(tenant).filter(incident=incident, kind=TimelineEntry.Kind.NOTE)
    return list(entries.order_by("pk").values_list("body", flat=True))


def test_a_handler_acknowledges_a_warning(tenant_a, handler_a) -> None:
    warning = raise_warning(tenant_a, score=45)
    warning = warning_acknowledge(tenant=tenant_a, actor=handler_a.user, warning=warning)
    assert (warning.status, warning.handler) == (RiskWarning.Status.ACKNOWLEDGED, handler_a)
    warning_acknowledge(tenant=tenant_a, actor=handler_a.user, warning=warning)  # again: nothing changes
    assert audit_actions(tenant_a).count("warning.acknowledge") == 1


def test_a_closed_warning_cannot_be_acknowledged_or_closed_again(tenant_a, handler_a) -> None:
    warning = raise_warning(tenant_a, score=45)
    warning = warning_close(tenant=tenant_a, actor=handler_a.user, warning=warning, reason="误报")
    assert warning.status == RiskWarning.Status.CLOSED
    with pytest.raises(ValidationError):
        warning_close(tenant=tenant_a, actor=handler_a.user, warning=warning)
    with pytest.raises(ValidationError):
        warning_acknowledge(tenant=tenant_a, actor=handler_a.user, warning=warning)
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="warning.close")
    assert event.changes["reason"] == "误报"


@pytest.mark.parametrize("role_fixture", ["viewer_a", "auditor_a"])
def test_viewers_and_auditors_cannot_act_on_warnings(request, tenant_a, role_fixture) -> None:
    actor = request.getfixturevalue(role_fixture).user
    warning = raise_warning(tenant_a, score=45)
    mention = scored(tenant_a, score=60)
    calls = [
        lambda: warning_acknowledge(tenant=tenant_a, actor=actor, warning=warning),
        lambda: warning_close(tenant=tenant_a, actor=actor, warning=warning),
        lambda: warning_set_level(tenant=tenant_a, actor=actor, warning=warning, level=Level.RED, reason="严重"),
        lambda: warning_escalate_mention(tenant=tenant_a, actor=actor, mention=mention),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    warning.refresh_from_db()
    assert (warning.status, warning.level) == (RiskWarning.Status.OPEN, Level.BLUE)


def test_another_tenants_warning_is_refused(tenant_a, tenant_b, admin_a) -> None:
    theirs = raise_warning(tenant_b, score=45)
    with pytest.raises(ValidationError):
        warning_acknowledge(tenant=tenant_a, actor=admin_a.user, warning=theirs)
    with pytest.raises(ValidationError):
        warning_escalate_mention(tenant=tenant_a, actor=admin_a.user, mention=scored(tenant_b))


def test_setting_the_level_needs_a_reason_and_a_new_level(tenant_a, handler_a) -> None:
    warning = raise_warning(tenant_a, score=60)
    with pytest.raises(ValidationError) as caught:
        warning_set_level(tenant=tenant_a, actor=handler_a.user, warning=warning, level=Level.BLUE, reason=" ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        warning_set_level(tenant=tenant_a, actor=handler_a.user, warning=warning, level=Level.YELLOW, reason="核实")
    with pytest.raises(ValidationError):
        warning_set_level(tenant=tenant_a, actor=handler_a.user, warning=warning, level=7, reason="核实")


def test_a_manual_downgrade_keeps_the_peak_and_the_incident_severity(tenant_a, handler_a) -> None:
    cs = cs_member(tenant_a, "cs1")
    warning = raise_warning(tenant_a, score=75)
    incident = warning.incident
    warning = warning_set_level(
        tenant=tenant_a, actor=handler_a.user, warning=warning, level=Level.BLUE, reason="经核实为个别客户误解"
    )
    assert (warning.level, warning.peak_level) == (Level.BLUE, Level.ORANGE)
    assert warning.queue == RiskWarning.Queue.CUSTOMER_SERVICE
    change = WarningChange.objects.for_tenant(tenant_a).filter(warning=warning).order_by("pk").last()
    assert (change.from_level, change.to_level) == (Level.ORANGE, Level.BLUE)
    assert (change.changed_by, change.reason) == (handler_a, "经核实为个别客户误解")
    incident.refresh_from_db()
    assert incident.severity == Severity.II
    assert any("经核实为个别客户误解" in body for body in notes(tenant_a, incident))
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=cs).count() == 1
    assert "warning.set_level" in audit_actions(tenant_a)


def test_after_a_downgrade_only_a_more_severe_mention_upgrades_again(tenant_a, handler_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    warning = raise_warning(tenant_a, customers=[acme], score=60)
    warning_set_level(tenant=tenant_a, actor=handler_a.user, warning=warning, level=Level.BLUE, reason="误报")
    warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=45)])
    warning.refresh_from_db()
    assert warning.level == Level.BLUE
    warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=60)])
    warning.refresh_from_db()
    assert warning.level == Level.YELLOW


def test_a_manual_upgrade_to_red_opens_an_incident_and_routes(tenant_a, handler_a, channel_calls) -> None:
    duty = duty_member(tenant_a, "duty1")
    cs_member(tenant_a, "cs1")  # yellow goes to customer service, not to the duty roster
    channel = Channel.objects.create(tenant=tenant_a, name="应急群", kind=Channel.Kind.PORTAL)
    warning_route_create(tenant=tenant_a, actor=None, name="红色", channel=channel, min_level=Level.RED)
    acme = customer(tenant_a, "华信置业有限公司")
    warning = raise_warning(tenant_a, customers=[acme], score=60)
    warning = warning_set_level(
        tenant=tenant_a, actor=handler_a.user, warning=warning, level=Level.RED, reason="央媒已转载"
    )
    assert (warning.level, warning.queue) == (Level.RED, RiskWarning.Queue.INCIDENT)
    incident = warning.incident
    assert incident.severity == Severity.I
    assert incident.created_by == handler_a.user
    assert list(
        incident.customers.through.objects.for_tenant(incident.tenant)
        .filter(incident=incident)
        .values_list("customer", flat=True)
    ) == [acme.pk]
    assert any("央媒已转载" in body for body in notes(tenant_a, incident))
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=duty).count() == 1
    [call] = channel_calls.calls
    assert (call["level"], call["dedupe_key"], call["hold_until"]) == (Level.RED, f"warning:{warning.pk}:1", None)


def test_escalating_a_mention_below_orange_opens_an_incident_of_its_level(tenant_a, handler_a) -> None:
    duty = duty_member(tenant_a, "duty1")
    cs_member(tenant_a, "cs1")
    mention = scored(tenant_a, score=60)
    [warning] = warnings_process(tenant=tenant_a, mentions=[mention])
    assert warning.incident is None
    warning = warning_escalate_mention(tenant=tenant_a, actor=handler_a.user, mention=mention)
    assert warning.queue == RiskWarning.Queue.INCIDENT
    assert warning.incident.severity == Severity.III
    mention.refresh_from_db()
    assert (mention.triage, mention.triaged_by) == (Mention.Triage.ESCALATED, handler_a)
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=duty).count() == 1
    assert "mention.escalate" in audit_actions(tenant_a)

    again = warning_escalate_mention(tenant=tenant_a, actor=handler_a.user, mention=mention)
    assert again.incident == warning.incident
    assert Incident.objects.for_tenant(tenant_a).count() == 1
    assert audit_actions(tenant_a).count("mention.escalate") == 1


def test_escalating_a_quiet_mention_groups_it_and_raises_a_blue_warning(tenant_a, handler_a) -> None:
    mention = scored(tenant_a, score=20)
    warning = warning_escalate_mention(tenant=tenant_a, actor=handler_a.user, mention=mention)
    mention.refresh_from_db()
    assert mention.story == warning.story
    assert (warning.level, warning.queue) == (Level.BLUE, RiskWarning.Queue.INCIDENT)
    assert warning.incident.severity == Severity.IV
    assert WarningChange.objects.for_tenant(tenant_a).get(warning=warning).changed_by == handler_a


def test_escalating_a_mention_of_a_story_with_an_open_incident_joins_it(tenant_a, handler_a) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    warning = raise_warning(tenant_a, customers=[acme], score=75)
    quiet = scored(tenant_a, customers=[acme], title="业主群里的讨论", score=30)
    warnings_process(tenant=tenant_a, mentions=[quiet])
    warning_escalate_mention(tenant=tenant_a, actor=handler_a.user, mention=quiet)
    assert Incident.objects.for_tenant(tenant_a).count() == 1
    assert any("业主群里的讨论" in body and "升级为事件" in body for body in notes(tenant_a, warning.incident))


def test_escalating_an_unscored_mention_is_refused(tenant_a, handler_a) -> None:
    mention = scored(tenant_a)
    Mention.objects.for_tenant(tenant_a).filter(pk=mention.pk).update(status=Mention.Status.PENDING)
    mention.refresh_from_db()
    with pytest.raises(ValidationError):
        warning_escalate_mention(tenant=tenant_a, actor=handler_a.user, mention=mention)
