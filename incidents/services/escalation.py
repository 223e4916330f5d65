"""Who hears of an SLA warning or breach: found for a whole batch of incidents in a fixed number of queries.

- warning: the incident's owner and the assignees of its open tasks; an incident with neither goes
  to the duty managers, so an unowned case close to its deadline is not left unnoticed.
- breach: the owner, the head of each involved department (members with the manager role in a
  department linked to the incident or holding one of its open tasks), and the duty managers
  (members with the manager or admin role in the tenant's management department).

Only active members are notified. The sweep calls this across tenants (platform mode); every
lookup is keyed by the incidents' own tenant and departments, so nobody hears of another tenant's
case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from incidents.models import Incident, IncidentTask
from yuqing.tenancy.models import Department, Membership, Role

OPEN_TASK_STATUSES = [IncidentTask.Status.OPEN, IncidentTask.Status.IN_PROGRESS]
# What a recipient is loaded with: enough to send to them and to name them (User.__str__).
MEMBER_FIELDS = ("tenant_id", "user_id", "department_id", "role", "is_active")
USER_FIELDS = ("username", "display_name", "first_name", "last_name")
DUTY_ROLES = [Role.MANAGER, Role.ADMIN]


@dataclass
class Audience:
    owner: Membership | None = None
    assignees: list[Membership] = field(default_factory=list)
    heads: list[Membership] = field(default_factory=list)
    duty: list[Membership] = field(default_factory=list)

    def everyone(self) -> list[Membership]:
        seen: dict[int, Membership] = {}
        for member in [self.owner, *self.assignees, *self.heads, *self.duty]:
            if member is not None:
                seen.setdefault(member.pk, member)
        return list(seen.values())


def _active(member: Membership | None) -> Membership | None:
    return member if member is not None and member.is_active else None


def audiences(incidents: Iterable[Incident], *, breach: bool) -> dict[int, Audience]:
    """{incident pk: Audience}. The incidents come with `owner__user` selected; at most four queries."""
    incidents = list(incidents)
    result = {incident.pk: Audience(owner=_active(incident.owner)) for incident in incidents}
    if not incidents:
        return result
    ids = list(result)
    departments: dict[int, set[int]] = defaultdict(set)
    tasks = (
        IncidentTask.objects.dangerously_all_tenants()
        .filter(incident_id__in=ids, status__in=OPEN_TASK_STATUSES)
        .select_related("assignee__user")
        .only(
            "incident_id",
            "department_id",
            *(f"assignee__{name}" for name in MEMBER_FIELDS),
            *(f"assignee__user__{name}" for name in USER_FIELDS),
        )
        .order_by("pk")
    )
    for task in tasks:
        departments[task.incident_id].add(task.department_id)
        assignee = _active(task.assignee)
        audience = result[task.incident_id]
        if assignee is not None and all(member.pk != assignee.pk for member in audience.assignees):
            audience.assignees.append(assignee)

    if breach:
        links = (
            Incident.departments.through.objects.dangerously_all_tenants()
            .filter(incident_id__in=ids)
            .values_list("incident_id", "department_id")
        )
        for incident_id, department_id in links:
            departments[incident_id].add(department_id)
        wanted = {department for found in departments.values() for department in found}
        heads: dict[int, list[Membership]] = defaultdict(list)
        if wanted:
            for member in (
                Membership.objects.dangerously_all_tenants()
                .filter(department_id__in=wanted, role=Role.MANAGER, is_active=True)
                .select_related("user")
                .only(*MEMBER_FIELDS, *(f"user__{name}" for name in USER_FIELDS))
                .order_by("pk")
            ):
                heads[member.department_id].append(member)
        for incident in incidents:
            audience = result[incident.pk]
            for department_id in sorted(departments[incident.pk]):
                # A department row of the incident's own tenant: the through rows and tasks are its.
                audience.heads.extend(m for m in heads[department_id] if m.tenant_id == incident.tenant_id)
        needs_duty = incidents
    else:
        needs_duty = [i for i in incidents if result[i.pk].owner is None and not result[i.pk].assignees]

    if needs_duty:
        duty: dict[int, list[Membership]] = defaultdict(list)
        for member in (
            Membership.objects.dangerously_all_tenants()
            .filter(
                tenant_id__in={incident.tenant_id for incident in needs_duty},
                department__kind=Department.Kind.MANAGEMENT,
                role__in=DUTY_ROLES,
                is_active=True,
            )
            .select_related("user")
            .only(*MEMBER_FIELDS, *(f"user__{name}" for name in USER_FIELDS))
            .order_by("pk")
        ):
            duty[member.tenant_id].append(member)
        for incident in needs_duty:
            result[incident.pk].duty = list(duty[incident.tenant_id])
    return result
