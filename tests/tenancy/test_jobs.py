"""Jobs take a tenant id, work inside that tenant only, and leave no tenant behind."""

import pytest
from django_rq import get_queue
from rq import SimpleWorker
from rq.job import Job

from tests.factories import DepartmentFactory
from tests.tenancy.jobs_fixture import count_departments
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import TenantNotSet, peek_current_tenant
from yuqing.tenancy.models import Department


def test_a_job_sees_only_its_tenants_rows_and_resets_the_context(tenant_a, tenant_b):
    DepartmentFactory(tenant=tenant_b, name="乙方专属部")
    result = count_departments(tenant_a.pk)
    assert result["tenant"] == "tenant-a"
    assert "乙方专属部" not in result["names"]
    assert len(result["names"]) == 6
    assert peek_current_tenant() is None
    with pytest.raises(TenantNotSet):
        Department.objects.count()


def test_a_job_for_a_deactivated_tenant_does_nothing(tenant_a):
    tenant_a.is_active = False
    tenant_a.save(update_fields=["is_active"])
    assert count_departments(tenant_a.pk) is None


def test_a_real_worker_runs_an_enqueued_tenant_job(rq_queues, tenant_a, tenant_b):
    DepartmentFactory(tenant=tenant_a, name="甲方舆情组")
    enqueue("tests.tenancy.jobs_fixture.count_departments", tenant_id=tenant_a.pk, job_id="count-a", name_prefix="甲方")
    job = Job.fetch("count-a", connection=get_queue("default").connection)
    # SimpleWorker runs the job in this process, so it sees this test's uncommitted rows.
    SimpleWorker([get_queue("default")], connection=get_queue("default").connection).work(burst=True)
    job.refresh()
    assert job.is_finished, job.exc_info
    assert job.return_value() == {"tenant": "tenant-a", "names": ["甲方舆情组"], "scope": "甲银行"}
