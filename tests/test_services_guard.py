"""Every service of every app stands behind tenancy.guard.tenant_service.

A public function of an app's services that takes the tenant as a keyword is a service, unless it
is named below: a step that only runs inside a guarded service (its tenant, actor check and
transaction are the caller's), or a read or computation that writes nothing.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

SERVICES = (
    "yuqing.tenancy.services",
    "yuqing.audit.services",
    "yuqing.workcalendar.services",
    "yuqing.notify.services",
    "customers.services",
    "training.services",
    "incidents.services",
    "yuqing.monitoring.services",
)

NOT_SERVICES = {
    # Steps inside a guarded service.
    "yuqing.audit.services.audit_record": "runs in the transaction of the change it records",
    "incidents.services.common.timeline_add": "a step of every incident service",
    "yuqing.audit.services.checkpoint.checkpoint_write": "a step of the verification job (files, not rows)",
    # Reads and computations: they write nothing.
    "yuqing.audit.services.checkpoint.checkpoint_problem": "compares a chain with its checkpoint",
    "yuqing.audit.services.verify.chain_verify": "re-hashes a chain",
    "yuqing.notify.services.channels.channel_clean": "validates a channel's settings",
    "customers.services.imports.import_preview": "parses a file; the commit is the service",
    "customers.services.pending_imports.pending_import_of": "finds an upload by its token",
    "customers.services.policies.complaint_policy_default": "reads the default policy",
    "customers.services.tiering.ancestor_ids": "reads the group tree",
    "customers.services.tiering.descendant_ids": "reads the group tree",
    "customers.services.tiering.ancestors_vip": "reads the group tree",
    "customers.services.tiering.customer_facts": "what the tier rules look at",
    "customers.services.tiering.tier_rules_active": "reads the rules",
    "customers.services.tiering.vip_requires_relationship_manager": "reads the tenant's setting",
    "incidents.services.sla.incident_terms": "reads the terms; the policies it may create are guarded",
    "incidents.services.intake.duty_roster": "reads who is on duty",
}


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    if not hasattr(root, "__path__"):
        return [root]
    found = [importlib.import_module(f"{package}.{info.name}") for info in pkgutil.walk_packages(root.__path__)]
    return [root, *found]


def test_every_service_takes_the_guard():
    unguarded = []
    for package in SERVICES:
        for module in _modules(package):
            for name, func in inspect.getmembers(module, inspect.isfunction):
                if name.startswith("_") or func.__module__ != module.__name__:
                    continue
                tenant = inspect.signature(func).parameters.get("tenant")
                if tenant is None or tenant.kind is not inspect.Parameter.KEYWORD_ONLY:
                    continue
                if not hasattr(func, "permission") and f"{module.__name__}.{name}" not in NOT_SERVICES:
                    unguarded.append(f"{module.__name__}.{name}")
    assert not unguarded, "Services without @tenant_service:\n" + "\n".join(unguarded)


def test_the_exceptions_name_functions_that_exist():
    for dotted in NOT_SERVICES:
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), dotted
