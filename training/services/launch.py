"""The plans an incident may launch: the provider registered with incidents at start-up.

`TrainingPlans.propose(incident)` answers the version in force of each plan of the incident's
severity; when the incident's nature names a scenario (数据泄露, 监管…, 投诉/维权, 偿付/兑付, …)
and that scenario has a plan in force, only that plan. The incidents side (incidents.services.plans)
turns a proposal into tasks, once per incident.
"""

from __future__ import annotations

import datetime as dt

from incidents.models import Incident
from incidents.services.plans import PlanProposal, PlanStep, register_plan_provider
from training.models import PlanVersion, Scenario
from training.selectors.plans import versions_in_force

PROPOSAL_PREFIX = "plan-version-"

# Words of an incident nature's name and the scenario they point at, first match wins.
NATURE_SCENARIOS: tuple[tuple[str, str], ...] = (
    ("数据泄露", Scenario.DATA_LEAK),
    ("信息泄露", Scenario.DATA_LEAK),
    ("偿付", Scenario.SOLVENCY_RUMOUR),
    ("兑付", Scenario.SOLVENCY_RUMOUR),
    ("挤兑", Scenario.SOLVENCY_RUMOUR),
    ("投诉", Scenario.MASS_COMPLAINT),
    ("维权", Scenario.MASS_COMPLAINT),
    ("处罚", Scenario.REGULATORY_PENALTY),
    ("监管", Scenario.REGULATORY_PENALTY),
)


def scenario_of_nature(name: str | None) -> str | None:
    for word, scenario in NATURE_SCENARIOS:
        if name and word in name:
            return scenario
    return None


def proposal_of(version: PlanVersion) -> PlanProposal:
    return PlanProposal(
        id=f"{PROPOSAL_PREFIX}{version.pk}",
        title=f"{version.plan.title}（V{version.number}）",
        steps=[
            PlanStep(
                department_kind=step.department_kind,
                title=step.title,
                due_in=dt.timedelta(minutes=step.target_minutes),
                description=step.description,
            )
            for step in version.steps.all()
        ],
    )


class TrainingPlans:
    """The emergency plans of the incident's tenant, as proposals."""

    def propose(self, incident: Incident) -> list[PlanProposal]:
        versions = versions_in_force(tenant=incident.tenant, severity=incident.severity)
        scenario = scenario_of_nature(incident.nature.name if incident.nature_id else None)
        matching = [version for version in versions if version.plan.scenario == scenario]
        return [proposal_of(version) for version in (matching or versions)]


PROVIDER = TrainingPlans()


def provider_register() -> None:
    """Called from TrainingConfig.ready()."""
    register_plan_provider(PROVIDER)
