"""Demo incidents for `manage.py seed_demo`: every phase, some breached, at risk or paused, with tasks
across departments, timeline notes, comments with @mentions, and reviews for the closed ones.

Everything goes through the services, as the desk would do it: incidents are opened with a
discovery time in the past (`opened_at`), so their clocks started then; they are moved through
the phases with the fields each phase needs; and the SLA sweep runs once at the end, so the
breaches and warnings of the past are recorded (with their notifications) like any others.
No time travel is involved: first responses and resolutions happen at seed time.

The discovery time is found from the incident's own clock, not a fixed number of hours: the
seeder takes the policy the incident will get (severity × tier) and the tenant's business
calendar and goes back until the clock named by `placed` has used the wanted share
(`placement_start`). So the demo shows the same states at 02:00 on a Sunday as at 10:00 on a
Tuesday, over Spring Festival and across New Year (tests/ops/test_demo_any_hour.py runs it at
every hour of such days). After opening, the clock the service started is checked against the
one the placement assumed, so a policy rule changing under the demo fails loudly, not silently.

Idempotent: an incident is looked up by its title within the tenant and created only when missing.
The words are in incidents/demo/content.py.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from customers.models import Customer, Feedback, Tier
from incidents.demo.content import DEMO_INCIDENTS, DemoIncident
from incidents.models import PHASE_ORDER, Incident, IncidentNature, IncidentTask, Phase, SlaClock
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
from incidents.services.phases import required_fields
from yuqing.tenancy.demo import DemoData
from yuqing.tenancy.models import Department, Membership, Tenant
from yuqing.workcalendar import deadlines
from yuqing.workcalendar.selectors import calendar_for_tenant

# Office hours on the discovery day read better than midnight, where a day clock allows it.
PREFERRED_HOUR = 9.5
MAX_LOOKBACK = dt.timedelta(days=400)


def used_share(
    cal: deadlines.Calendar, clock_kind: str, amount: dt.timedelta | int, start: dt.datetime, now: dt.datetime
) -> float:
    """The share of its time a clock started at `start` (no pauses) has used at `now`."""
    deadline_at = deadlines.deadline(cal, clock_kind, start, amount)
    return deadlines.elapsed_share(cal, clock_kind, start, deadline_at, now)


def placement_start(
    cal: deadlines.Calendar, clock_kind: str, amount: dt.timedelta | int, now: dt.datetime, share: float
) -> dt.datetime:
    """The earliest whole minute to start a clock so that it has used at most `share` of its time at `now`.

    The used share only grows as the start moves back, so this bisects on minutes. On a 24×7 clock
    the result uses exactly `share`; on a day clock, whose share moves in whole days and stands
    still on rest days, it is the earliest start of the same plateau (moved to office hours when
    that keeps the share).
    """
    now = now.replace(second=0, microsecond=0)
    if clock_kind == deadlines.ClockKind.TWENTY_FOUR_SEVEN and isinstance(amount, dt.timedelta):
        # Wall time is clock time here; rounded up to the minute, so it uses at most `share`.
        start = now - amount * share
        whole = start.replace(second=0, microsecond=0)
        return whole if whole == start else whole + dt.timedelta(minutes=1)
    low, high = 0, 60  # minutes back: `low` uses at most `share`, `high` is being pushed past it
    while used_share(cal, clock_kind, amount, now - dt.timedelta(minutes=high), now) <= share:
        low, high = high, high * 2
        if dt.timedelta(minutes=high) > MAX_LOOKBACK:
            raise ValueError(f"No start within {MAX_LOOKBACK} uses more than {share} of the clock.")
    while high - low > 1:
        middle = (low + high) // 2
        if used_share(cal, clock_kind, amount, now - dt.timedelta(minutes=middle), now) <= share:
            low = middle
        else:
            high = middle
    start = now - dt.timedelta(minutes=low)
    local = start.astimezone(cal.time_zone)
    if local.hour < PREFERRED_HOUR:
        later = local.replace(hour=0, minute=0) + dt.timedelta(hours=PREFERRED_HOUR)
        if later < now and used_share(cal, clock_kind, amount, later, now) == used_share(
            cal, clock_kind, amount, start, now
        ):
            return later
    return start


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
        self.policies = sla_services.sla_policies_ensure(tenant=tenant)
        self.calendar = calendar_for_tenant(tenant=tenant)

    def user(self, username: str):  # type: ignore[no-untyped-def]
        return self.members[username].user

    def nature(self, name: str) -> IncidentNature | None:
        return self.natures.get(name)

    def vip_customer(self, index: int) -> Customer | None:
        vips = list(Customer.objects.for_tenant(self.tenant).filter(tier=Tier.VIP).order_by("pk")[:5])
        return vips[index % len(vips)] if vips else None

    def links(self, spec: DemoIncident, index: int) -> tuple[list[Customer], list[Feedback]]:
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
        return customers, feedback

    def targets(self, spec: DemoIncident, customers: list[Customer]) -> dict[str, sla_services.ClockTarget]:
        """The clocks the incident will get: its severity × its customers' tier.

        The demo's customers have the default service strategies, under which a VIP is the most
        demanding tier (sla.incident_terms); `seed` checks the started clock against these.
        """
        tier = Tier.VIP if any(customer.tier == Tier.VIP for customer in customers) else Tier.STANDARD
        policy = self.policies.get((spec.severity, tier)) or self.policies[(spec.severity, Tier.STANDARD)]
        return sla_services.policy_targets(policy)

    def placed_target(self, spec: DemoIncident, customers: list[Customer]) -> sla_services.ClockTarget:
        return self.targets(spec, customers)[spec.placed.clock]

    def opened_at(self, spec: DemoIncident, customers: list[Customer]) -> dt.datetime:
        target = self.placed_target(spec, customers)
        return placement_start(self.calendar, target.clock_kind, target.amount, self.now, spec.placed.share)

    def seed(self, spec: DemoIncident, index: int, opened_at: dt.datetime) -> Incident:
        owner = self.members[spec.owner]
        actor = owner.user
        customers, feedback = self.links(spec, index)
        scope = {name: spec.extra[name] for name in ("estimated_reach", "media_level", "regions") if name in spec.extra}
        incident = incident_open(
            tenant=self.tenant,
            actor=actor,
            title=spec.title,
            severity=spec.severity,
            nature=self.nature(spec.nature) if PHASE_ORDER.index(spec.phase) > 0 else None,
            summary=spec.summary,
            opened_at=opened_at,
            owner=owner,
            customers=customers,
            feedback=feedback,
            departments=[self.departments[kind] for kind in spec.departments if kind in self.departments],
            **scope,
        )
        self._check_placement(incident, spec, customers)
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

    def _check_placement(self, incident: Incident, spec: DemoIncident, customers: list[Customer]) -> None:
        target = self.placed_target(spec, customers)
        clock = SlaClock.objects.for_tenant(self.tenant).filter(incident=incident, kind=spec.placed.clock).first()
        expected = deadlines.deadline(self.calendar, target.clock_kind, incident.opened_at, target.amount)
        if clock is None or clock.deadline_at != expected:
            raise ValueError(
                f"Demo incident {spec.title!r} was placed on a {spec.placed.clock} clock due {expected}, "
                f"but the service started {clock and clock.deadline_at}: the placement's policy rule is out of date."
            )

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
        placed = [(seeder.opened_at(spec, seeder.links(spec, index)[0]), index, spec) for index, spec in missing]
        # Oldest first, so the codes run in the order the incidents were found.
        for opened_at, index, spec in sorted(placed, key=lambda row: (row[0], row[1])):
            incident = seeder.seed(spec, index, opened_at)
            demo.created += 1
            demo.log(f"事件 {slug} · {incident.code} {incident.title}（{incident.get_phase_display()}）")
        seeded = True
    if seeded:
        result = sla_services.sla_sweep()
        demo.log(f"时限巡检：{result}")


DEMO_STEPS = [seed_incidents]
