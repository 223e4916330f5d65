"""Intake: a story another app follows (monitoring's risk warnings) becomes an incident, or joins its open one.

incidents sits below monitoring and knows nothing of stories or warnings: the caller describes the
story in plain values (`StoryReport`) and gets the incident back, to link its warning to.

    incident = story_intake(tenant=tenant, actor=None, report=StoryReport(...))

- `report.incident_id` is the incident the story has already (None when it has none). When that
  incident is open the story joins it: the customers not yet linked are added, its severity is
  raised when the report is more severe (never lowered), and a timeline note says what is new.
- Otherwise (no incident yet, or the desk closed it and the story flared up again) a new incident
  is opened through `incident_open` with the report's title, severity, summary, customers, reach
  and media level; `report.open_note`, when given, goes on its timeline.

Locks: this module owns the Incident rows of an intake. `incidents_lock` locks a batch's incidents
by primary key and says which are open, before any incident is opened; `incident_open` then locks
the tenant row and the year's code counter. The caller takes its own locks (its stories, its
warnings) before calling here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from customers.models import Customer
from incidents.models import Incident
from incidents.services.escalation import DUTY_ROLES
from incidents.services.incidents import incident_note_add, incident_open, incident_update
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Membership, Tenant, User


@dataclass(frozen=True)
class StoryReport:
    """What an incident needs to know of a story, as plain values.

    `summary`: the new incident's summary. `join_note`: the timeline note when the story joins its
    open incident; `open_note`: a note for a newly opened one ("" for none). `customer_ids`: the
    story's customers (all of them, for a new incident); `new_customer_ids`: those new to the story
    since the incident last heard of it (added to an open incident). `severity` None on a join:
    the incident's severity stays.
    """

    title: str
    severity: int | None
    summary: str
    join_note: str
    incident_id: int | None = None
    customer_ids: tuple[int, ...] = ()
    new_customer_ids: frozenset[int] = field(default_factory=frozenset)
    estimated_reach: int = 0
    media_level: str = ""
    open_note: str = ""


@tenant_service(None)
def incidents_lock(*, tenant: Tenant, incident_ids: Iterable[int]) -> set[int]:
    """Lock the tenant's incidents `incident_ids` by primary key, for this transaction; the ids of the open ones."""
    ids = sorted({int(pk) for pk in incident_ids if pk})
    if not ids:
        return set()
    rows = Incident.objects.for_tenant(tenant).select_for_update().filter(pk__in=ids).order_by("pk")
    return {incident.pk for incident in rows if incident.is_open}


@tenant_service(None)
def story_intake(*, tenant: Tenant, actor: User | None, report: StoryReport) -> Incident:
    """Join the story's open incident, or open a new one; the incident (its row locked)."""
    incident = None
    if report.incident_id:
        incident = Incident.objects.for_tenant(tenant).select_for_update().filter(pk=report.incident_id).first()
    if incident is not None and incident.is_open:
        return _join(tenant=tenant, actor=actor, incident=incident, report=report)
    incident = incident_open(
        tenant=tenant,
        actor=actor,
        title=report.title[: Incident._meta.get_field("title").max_length],
        severity=report.severity,
        summary=report.summary,
        customers=list(Customer.objects.for_tenant(tenant).filter(pk__in=report.customer_ids).order_by("pk")),
        estimated_reach=max(int(report.estimated_reach or 0), 0),
        media_level=report.media_level,
    )
    if report.open_note:
        incident_note_add(tenant=tenant, actor=actor, incident=incident, body=report.open_note)
    return incident


def _join(*, tenant: Tenant, actor: User | None, incident: Incident, report: StoryReport) -> Incident:
    """Bring new facts of the story into its open incident: customers, severity (only up), a note."""
    changes: dict[str, object] = {}
    if report.severity is not None and report.severity < incident.severity:
        changes["severity"] = report.severity
    if report.new_customer_ids:
        current = list(incident.customers.all())
        have = {customer.pk for customer in current}
        missing = list(Customer.objects.for_tenant(tenant).filter(pk__in=set(report.new_customer_ids) - have))
        if missing:
            changes["customers"] = [*current, *missing]
    if changes:
        incident = incident_update(tenant=tenant, actor=actor, incident=incident, **changes)
    incident_note_add(tenant=tenant, actor=actor, incident=incident, body=report.join_note)
    return incident


@tenant_service(None)
def story_note(*, tenant: Tenant, actor: User | None, incident_id: int | None, body: str) -> bool:
    """A note on the story's incident while it is open (a change the desk should know of); whether it was added."""
    if not incident_id:
        return False
    incident = Incident.objects.for_tenant(tenant).select_for_update().filter(pk=incident_id).first()
    if incident is None or not incident.is_open:
        return False
    incident_note_add(tenant=tenant, actor=actor, incident=incident, body=body)
    return True


def duty_roster(*, tenant: Tenant) -> list[Membership]:
    """Who is on duty for incidents: the active managers and admins of the management department,
    or every active manager and admin when that department has none."""
    members = Membership.objects.for_tenant(tenant).filter(is_active=True, role__in=DUTY_ROLES)
    duty = list(members.filter(department__kind=Department.Kind.MANAGEMENT).order_by("pk"))
    return duty or list(members.order_by("pk"))
