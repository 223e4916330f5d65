"""Demo incidents for `manage.py seed_demo`: every phase, some breached, at risk or paused, with tasks
across departments, timeline notes, comments with @mentions, and reviews for the closed ones.

Everything goes through the services, as the desk would do it: incidents are opened with a
discovery time in the past (`opened_at`), so their clocks started then; they are moved through
the phases with the fields each phase needs; and the SLA sweep runs once at the end, so the
breaches and warnings of the past are recorded (with their notifications) like any others.
No time travel is involved: first responses and resolutions happen at seed time, which makes the
older incidents' first responses late — as they would be for a desk that only now caught up.

Idempotent: an incident is looked up by its title within the tenant and created only when missing.
The words are in incidents/demo_content.py.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from customers.models import Customer, Feedback, Tier
from incidents.demo_content import DEMO_INCIDENTS, DemoIncident
from incidents.models import PHASE_ORDER, Incident, IncidentNature, IncidentTask, Phase
from incidents.phase_rules import required_fields
from incidents.services import review as review_services
from incidents.services import sla as sla_services
from incidents.services import tasks as task_services
from incidents.services.incidents import (
    incident_move,
    incident_natures_ensure,
    incident_note_add,
    incident_open,
    incident_update,
)
from yuqing.tenancy.demo import DemoData
from yuqing.tenancy.models import Department, Membership, Tenant

PHASE_FIELD_NAMES = {
    Phase.RESPONSE: ("facts_who", "facts_what", "facts_when", "background", "legal_questions"),
    Phase.ANALYSIS: ("analysis", "estimated_reach", "media_level", "regions"),
    Phase.PLANNING: ("plan", "responsibilities"),
    Phase.IMPLEMENTATION: ("actions_taken", "communications", "customer_feedback_summary"),
}


class _Seeder:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.now = timezone.now()
        self.members = {
            m.user.username: m
            for m in Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user")
        }
        self.departments: dict[str, Department] = {}
        for department in Department.objects.for_tenant(tenant).filter(is_active=True).order_by("pk"):
            self.departments.setdefault(department.kind, department)
        self.natures = {n.name: n for n in incident_natures_ensure(tenant=tenant)}
        sla_services.sla_policies_ensure(tenant=tenant)

    def user(self, username: str):  # type: ignore[no-untyped-def]
        return self.members[username].user

    def nature(self, name: str) -> IncidentNature | None:
        return self.natures.get(name)

    def vip_customer(self, index: int) -> Customer | None:
        vips = list(Customer.objects.for_tenant(self.tenant).filter(tier=Tier.VIP).order_by("pk")[:5])
        return vips[index % len(vips)] if vips else None

    def seed(self, spec: DemoIncident, index: int) -> Incident:
        owner = self.members[spec.owner]
        actor = owner.user
        customers: list[Customer] = []
        feedback: list[Feedback] = []
        if spec.vip_customer and (customer := self.vip_customer(index)) is not None:
            customers.append(customer)
        if spec.feedback_subject:
            item = Feedback.objects.for_tenant(self.tenant).filter(subject=spec.feedback_subject).first()
            if item is not None:
                feedback.append(item)
                if item.customer_id and item.customer not in customers:
                    customers.append(item.customer)
        scope = {name: spec.extra[name] for name in ("estimated_reach", "media_level", "regions") if name in spec.extra}
        incident = incident_open(
            tenant=self.tenant,
            actor=actor,
            title=spec.title,
            severity=spec.severity,
            nature=self.nature(spec.nature) if PHASE_ORDER.index(spec.phase) > 0 else None,
            summary=spec.summary,
            opened_at=(self.now - dt.timedelta(hours=spec.hours_ago)).replace(second=0, microsecond=0),
            owner=owner,
            customers=customers,
            feedback=feedback,
            departments=[self.departments[kind] for kind in spec.departments if kind in self.departments],
            **scope,
        )
        tasks = self._tasks(incident, spec)
        for kind, author, body in spec.notes:
            incident_note_add(tenant=self.tenant, actor=self.user(author), incident=incident, body=body, kind=kind)
        for comment in spec.comments:
            if comment.task < len(tasks):
                task_services.task_comment_add(
                    tenant=self.tenant, actor=self.user(comment.author), task=tasks[comment.task], body=comment.body
                )
        incident = self._advance(incident, spec, actor)
        if spec.pause_reason:
            sla_services.sla_pause(tenant=self.tenant, actor=actor, incident=incident, reason=spec.pause_reason)
        return incident

    def _tasks(self, incident: Incident, spec: DemoIncident) -> list[IncidentTask]:
        tasks = []
        for task in spec.tasks:
            department = self.departments.get(task.department)
            if department is None:
                continue
            assignee = self.members.get(task.assignee) if task.assignee else None
            if assignee is not None and assignee.department_id != department.pk:
                assignee = None
            created = task_services.task_create(
                tenant=self.tenant,
                actor=self.members[spec.owner].user,
                incident=incident,
                department=department,
                title=task.title,
                assignee=assignee,
                due_at=(self.now + dt.timedelta(hours=task.due_in_hours)).replace(second=0, microsecond=0),
            )
            if task.status != IncidentTask.Status.OPEN:
                created = task_services.task_set_status(
                    tenant=self.tenant,
                    actor=(assignee or self.members[spec.owner]).user,
                    task=created,
                    status=task.status,
                )
            tasks.append(created)
        return tasks

    def _advance(self, incident: Incident, spec: DemoIncident, actor) -> Incident:  # type: ignore[no-untyped-def]
        target = PHASE_ORDER.index(Phase(spec.phase))
        while PHASE_ORDER.index(Phase(incident.phase)) < target:
            phase = Phase(incident.phase)
            if phase == Phase.REVIEW:
                self._review(incident, spec, actor)
            else:
                facts = {name: spec.facts[name] for name in PHASE_FIELD_NAMES.get(phase, ()) if name in spec.facts}
                if phase == Phase.ANALYSIS and incident.nature_id is None:
                    facts["nature"] = self.nature(spec.nature)
                missing = [
                    name for name in required_fields(phase) if not facts.get(name) and not getattr(incident, name)
                ]
                if missing:
                    raise ValueError(f"Demo incident {spec.title!r} lacks {missing} to leave {phase}.")
                if facts:
                    incident = incident_update(tenant=self.tenant, actor=actor, incident=incident, **facts)
            following = PHASE_ORDER[PHASE_ORDER.index(phase) + 1]
            # Closing needs a manager's sign-off: the owner's department head, else the tenant's manager.
            mover = self._approver() if following == Phase.CLOSED else actor
            incident = incident_move(tenant=self.tenant, actor=mover, incident=incident, to_phase=following)
        # The facts of the phase it stays in, as far as the desk got.
        here = Phase(incident.phase)
        facts = {name: spec.facts[name] for name in PHASE_FIELD_NAMES.get(here, ()) if name in spec.facts}
        if facts and here != Phase.CLOSED:
            incident = incident_update(tenant=self.tenant, actor=actor, incident=incident, **facts)
        return incident

    def _review(self, incident: Incident, spec: DemoIncident, actor) -> None:  # type: ignore[no-untyped-def]
        if spec.review is None:
            raise ValueError(f"Demo incident {spec.title!r} is closed without a review.")
        review_services.review_record(
            tenant=self.tenant,
            actor=actor,
            incident=incident,
            root_cause=spec.review.root_cause,
            what_worked=spec.review.what_worked,
            what_did_not=spec.review.what_did_not,
            actions=[
                {
                    "kind": kind,
                    "title": title,
                    "owner": self.members[owner],
                    "due_date": (self.now + dt.timedelta(days=days)).date(),
                }
                for kind, title, owner, days in spec.review.actions
            ],
        )

    def _approver(self):  # type: ignore[no-untyped-def]
        from yuqing.tenancy.roles import Permission, has_permission

        managers = [m for m in self.members.values() if has_permission(m, Permission.APPROVE)]
        management = [m for m in managers if m.department_id == self.departments[Department.Kind.MANAGEMENT].pk]
        return (management or managers)[0].user


def seed_incidents(demo: DemoData) -> None:
    """The demo incidents of each demo tenant, then one SLA sweep to record what ran late."""
    seeded = False
    for slug, specs in DEMO_INCIDENTS.items():
        tenant = demo.tenants.get(slug)
        if tenant is None:
            continue
        existing = set(Incident.objects.for_tenant(tenant).values_list("title", flat=True))
        missing = [(index, spec) for index, spec in enumerate(specs) if spec.title not in existing]
        if not missing:
            continue
        seeder = _Seeder(tenant)
        # Oldest first, so the codes run in the order the incidents were found.
        for index, spec in sorted(missing, key=lambda pair: -pair[1].hours_ago):
            incident = seeder.seed(spec, index)
            demo.created += 1
            demo.log(f"事件 {slug} · {incident.code} {incident.title}（{incident.get_phase_display()}）")
        seeded = True
    if seeded:
        result = sla_services.sla_sweep()
        demo.log(f"时限巡检：{result}")


DEMO_STEPS = [seed_incidents]
