"""The home dashboard shows the tenant's real figures, and only the tenant's."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.portal.support import figure, html
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Membership, Role
from yuqing.tenancy.services import membership_add

# "Today" on the dashboard is a day in Shanghai: a test that ran across midnight would count the
# fixtures' events on one day and the test's on the next. Frozen (a minute before a new year).
pytestmark = pytest.mark.time_machine(dt.datetime(2026, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def test_the_cards_show_the_tenants_real_counts(client_a, tenant_a, handler_a, admin_b):
    response = client_a.get("/")
    assert figure(response, "members") == Membership.objects.for_tenant(tenant_a).filter(is_active=True).count()
    assert figure(response, "departments") == Department.objects.for_tenant(tenant_a).filter(is_active=True).count()
    assert figure(response, "audit_events") == AuditEvent.objects.for_tenant(tenant_a).count()


def test_adding_a_member_raises_the_member_and_audit_counts(client_a, tenant_a, admin_a):
    before = client_a.get("/")
    membership_add(tenant=tenant_a, actor=admin_a.user, user=UserFactory(username="newcomer"), role=Role.VIEWER)
    after = client_a.get("/")
    assert figure(after, "members") == figure(before, "members") + 1
    assert figure(after, "audit_events") == figure(before, "audit_events") + 1
    assert figure(after, "audit_events_today") == figure(before, "audit_events_today") + 1


def test_another_tenants_members_are_not_counted(client_a, tenant_b):
    before = figure(client_a.get("/"), "members")
    for username in ("b1", "b2", "b3"):
        MembershipFactory(tenant=tenant_b, user=UserFactory(username=username))
    assert figure(client_a.get("/"), "members") == before


def test_departments_are_listed_with_their_member_counts(client_a, tenant_a):
    department = DepartmentFactory(tenant=tenant_a, name="投资者关系部")
    for username in ("ir1", "ir2"):
        MembershipFactory(tenant=tenant_a, user=UserFactory(username=username), department=department)
    MembershipFactory(tenant=tenant_a, user=UserFactory(username="ir3"), department=department, is_active=False)
    page = html(client_a.get("/"))
    row = re.search(r"<span[^>]*>投资者关系部</span>.*?<span class=\"bar-value\">(\d+)</span>", page, re.S)
    assert row and row.group(1) == "2"


def test_the_activity_chart_gets_fourteen_days_of_real_data(client_a, tenant_a):
    page = html(client_a.get("/"))
    data = json.loads(re.search(r'<script id="activity-data" type="application/json">(.*?)</script>', page).group(1))
    assert len(data["days"]) == len(data["events"]) == 14
    assert data["events"][-1] == AuditEvent.objects.for_tenant(tenant_a).count()  # all made today
    assert 'data-chart="activity"' in page
    assert "/static/vendor/echarts-6.1.0/echarts.min.js" in page
