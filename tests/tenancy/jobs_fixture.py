"""Job bodies for the job-scoping tests (RQ imports them by path)."""

from yuqing.platform.queue import tenant_job
from yuqing.tenancy.context import peek_current_tenant
from yuqing.tenancy.models import Department


@tenant_job
def count_departments(tenant, *, name_prefix: str = "") -> dict:
    # The bare manager works here because the job runs inside its tenant's context.
    names = list(Department.objects.filter(name__startswith=name_prefix).values_list("name", flat=True))
    return {"tenant": tenant.slug, "names": sorted(names), "scope": str(peek_current_tenant())}
