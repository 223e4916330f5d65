"""A customer import between preview and confirm: kept encrypted in the database, never in the
session, reachable only by its uploader in its tenant, and gone once confirmed, cancelled or expired."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from customers.jobs import pending_imports_purge_job
from customers.models import Customer, PendingImport
from customers.services.pending_imports import PENDING_TTL, pending_import_store
from tests.customers.factories import ProductFactory
from tests.customers.test_import import GROUP, PERSON, _confirm, _csv, _pending
from tests.factories import MembershipFactory, UserFactory
from yuqing.tenancy.context import dangerously_all_tenants
from yuqing.tenancy.models import Role

ID_NUMBER = "11010519491231002X"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def products(tenant_a):
    return ProductFactory(tenant=tenant_a, name="项目融资")


def _all_pending() -> int:
    with dangerously_all_tenants():
        return PendingImport.objects.count()


def test_the_upload_is_stored_encrypted_and_the_session_holds_none_of_it(client_a, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    session = dict(client_a.session.items())
    assert not any("张伟" in str(value) or ID_NUMBER in str(value) for value in session.values())
    pending = PendingImport.objects.for_tenant(tenant_a).get()
    assert pending.token in url and len(pending.token) >= 40
    assert "张伟" not in pending.content_encrypted and ID_NUMBER not in pending.content_encrypted
    assert ID_NUMBER not in client_a.get(url).content.decode()  # the preview shows it masked


def test_another_member_of_the_same_tenant_gets_404_for_my_pending_import(client_a, client_for, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    colleague = client_for(MembershipFactory(tenant=tenant_a, user=UserFactory(username="other"), role=Role.ADMIN))
    assert colleague.get(url).status_code == 404
    assert colleague.post(_confirm(url), {"action": "import"}).status_code == 404
    assert colleague.get(_confirm(url)).status_code == 404
    assert not Customer.objects.for_tenant(tenant_a).exists()
    assert PendingImport.objects.for_tenant(tenant_a).count() == 1  # still mine to confirm


def test_another_tenants_admin_gets_404_for_a_pending_import(client_a, client_b, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    assert client_b.get(url).status_code == 404
    assert client_b.post(_confirm(url), {"action": "import"}).status_code == 404
    assert _all_pending() == 1


def test_a_made_up_token_is_a_404(client_a, products):
    url = reverse("customers:customer-import-preview", args=["x" * 43])
    assert client_a.get(url).status_code == 404
    assert client_a.post(_confirm(url), {"action": "import"}).status_code == 404


def test_confirming_deletes_the_pending_file_and_a_second_click_imports_nothing_more(client_a, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    digest = client_a.get(url).context["preview"].digest
    assert client_a.post(_confirm(url), {"action": "import", "digest": digest}).status_code == 302
    assert _all_pending() == 0
    assert client_a.post(_confirm(url), {"action": "import", "digest": digest}).status_code == 404
    assert Customer.objects.for_tenant(tenant_a).count() == 1


def test_cancelling_deletes_the_pending_file(client_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    digest = client_a.get(url).context["preview"].digest
    client_a.post(_confirm(url), {"action": "discard", "digest": digest})
    assert _all_pending() == 0


def test_a_new_upload_replaces_my_earlier_pending_import(client_a, products):
    first = _pending(client_a, _csv(PERSON).encode())
    _pending(client_a, _csv(GROUP).encode())
    assert _all_pending() == 1
    assert client_a.get(first).status_code == 404


def test_an_expired_import_is_refused_at_confirm_time_and_deleted(client_a, tenant_a, products):
    with time_machine.travel(START, tick=False) as traveller:
        url = _pending(client_a, _csv(PERSON).encode())
        digest = client_a.get(url).context["preview"].digest
        traveller.shift(PENDING_TTL + dt.timedelta(seconds=1))
        response = client_a.post(_confirm(url), {"action": "import", "digest": digest}, follow=True)
    assert "这次导入已过期" in response.content.decode()
    assert not Customer.objects.for_tenant(tenant_a).exists()
    assert _all_pending() == 0


def test_an_expired_import_is_refused_on_the_preview_page_and_deleted(client_a, products):
    with time_machine.travel(START, tick=False) as traveller:
        url = _pending(client_a, _csv(PERSON).encode())
        traveller.shift(PENDING_TTL)
        response = client_a.get(url, follow=True)
    assert "这次导入已过期" in response.content.decode()
    assert _all_pending() == 0


def test_the_cron_sweep_deletes_only_expired_pending_imports_of_every_tenant(tenant_a, tenant_b, admin_a, admin_b):
    with time_machine.travel(START, tick=False) as traveller:
        pending_import_store(tenant=tenant_a, actor=admin_a.user, content=_csv(PERSON), filename="a.csv")
        traveller.shift(dt.timedelta(minutes=30))
        pending_import_store(tenant=tenant_b, actor=admin_b.user, content=_csv(PERSON), filename="b.csv")
        traveller.shift(dt.timedelta(minutes=31))
        assert pending_imports_purge_job() == 1
        with dangerously_all_tenants():
            assert list(PendingImport.objects.values_list("filename", flat=True)) == ["b.csv"]
        traveller.shift(dt.timedelta(minutes=30))
        assert pending_imports_purge_job() == 1
    assert _all_pending() == 0
