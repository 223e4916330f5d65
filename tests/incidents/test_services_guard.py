"""Every service of the incidents app stands behind tenancy.guard.tenant_service.

A public function of incidents.services that takes the tenant as a keyword is a service, unless
it is one of the named steps that only ever run inside a guarded service.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import incidents.services

# Steps inside a guarded service (its tenant, actor check and transaction are the caller's).
STEPS = {
    "incidents.services.common.timeline_add",
    "incidents.services.sla.incident_terms",  # reads the terms; the policies it may create are guarded
}


def test_every_incidents_service_takes_the_guard():
    unguarded = []
    for info in pkgutil.iter_modules(incidents.services.__path__):
        module = importlib.import_module(f"incidents.services.{info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            tenant = inspect.signature(func).parameters.get("tenant")
            if tenant is None or tenant.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            if not hasattr(func, "permission") and f"{module.__name__}.{name}" not in STEPS:
                unguarded.append(f"{module.__name__}.{name}")
    assert not unguarded, unguarded
