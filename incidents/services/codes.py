"""Incident codes (YQ-2026-0001): per tenant and year, unique and without gaps.

The (tenant, year) counter row is locked while a number is taken and is incremented in the same
transaction as the incident insert, so a rolled-back creation gives its number back and two
concurrent creations take consecutive numbers. The first creation of a year inserts the row with
ON CONFLICT DO NOTHING, so two "first" creations do not fail on the unique constraint either.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from incidents.models import IncidentCounter
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant

CODE_PREFIX = "YQ"


def format_code(year: int, number: int) -> str:
    return f"{CODE_PREFIX}-{year}-{number:04d}"


@tenant_service(None)
def incident_code_take(*, tenant: Tenant, now: dt.datetime | None = None) -> str:
    """The next code of the tenant's year (its own time zone). Call inside the creating transaction."""
    year = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).year
    counters = IncidentCounter.objects.for_tenant(tenant).filter(year=year)
    counter = counters.select_for_update().first()
    if counter is None:
        IncidentCounter.objects.bulk_create([IncidentCounter(tenant=tenant, year=year)], ignore_conflicts=True)
        counter = counters.select_for_update().get()
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return format_code(year, counter.last_number)
