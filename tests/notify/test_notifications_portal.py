"""The bell and the notification list: counts, marking read (one and all, htmx or not), isolation."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from yuqing.notify.models import Notification
from yuqing.notify.services import notification_send
from yuqing.tenancy.models import Membership, Role, Tenant

LIST_URL = reverse("notify:notification-list")
HTMX = {"HTTP_HX_REQUEST": "true"}


def send(tenant: Tenant, recipient: Membership, title: str, **extra: str) -> Notification:
    return notification_send(
        tenant=tenant, recipients=[recipient], kind=extra.pop("kind", "mention"), title=title, **extra
    )[0]


def bell_count(html: str) -> int | None:
    match = re.search(r'class="bell-count" data-unread="(\d+)"', html)
    return int(match.group(1)) if match else None


@pytest.fixture
def inbox(tenant_a: Tenant, admin_a: Membership) -> list[Notification]:
    return [send(tenant_a, admin_a, f"刘洋在任务中提到了你 {index}") for index in range(3)]


def test_the_bell_shows_the_unread_count_on_every_page(client_a: Client, inbox):
    assert bell_count(client_a.get(reverse("home")).content.decode()) == 3


def test_the_bell_has_no_count_when_everything_is_read(client_a: Client, tenant_a, admin_a):
    html = client_a.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in html
    assert bell_count(html) is None


def test_the_bell_counts_only_my_unread_notifications(client_a: Client, tenant_a, admin_a, handler_a, inbox):
    send(tenant_a, handler_a, "给别人的通知")
    Notification.objects.for_tenant(tenant_a).filter(pk=inbox[0].pk).update(read_at=inbox[0].created_at)
    assert bell_count(client_a.get(reverse("home")).content.decode()) == 2


def test_the_list_shows_my_notifications_and_not_others(client_a: Client, tenant_a, handler_a, inbox):
    send(tenant_a, handler_a, "给别人的通知")
    html = client_a.get(LIST_URL).content.decode()
    assert "刘洋在任务中提到了你 0" in html
    assert "给别人的通知" not in html
    assert "3 条未读" in html


def test_the_unread_filter_hides_read_ones(client_a: Client, tenant_a, admin_a, inbox):
    client_a.post(reverse("notify:notification-read", args=[inbox[0].pk]))
    html = client_a.get(LIST_URL, {"unread": "1"}).content.decode()
    assert "刘洋在任务中提到了你 0" not in html
    assert "刘洋在任务中提到了你 1" in html


def test_marking_one_read_without_htmx_redirects_to_the_list(client_a: Client, tenant_a, inbox):
    response = client_a.post(reverse("notify:notification-read", args=[inbox[0].pk]))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    inbox[0].refresh_from_db()
    assert inbox[0].read_at is not None
    assert Notification.objects.for_tenant(tenant_a).filter(read_at__isnull=True).count() == 2


def test_marking_one_read_by_htmx_returns_the_row_and_the_new_bell(client_a: Client, inbox):
    response = client_a.post(reverse("notify:notification-read", args=[inbox[1].pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{inbox[1].pk}"' in html and 'data-read="yes"' in html
    assert 'id="notification-bell" href="/notifications/" hx-swap-oob="true"' in html
    assert bell_count(html) == 2
    assert 'id="notification-unread" data-figure="unread" hx-swap-oob="true">2 条未读' in html


def test_marking_read_needs_a_post(client_a: Client, inbox):
    assert client_a.get(reverse("notify:notification-read", args=[inbox[0].pk])).status_code == 405
    assert client_a.get(reverse("notify:notification-read-all")).status_code == 405


def test_mark_all_read_by_htmx_returns_the_list_and_clears_the_bell(client_a: Client, tenant_a, handler_a, inbox):
    other = send(tenant_a, handler_a, "给别人的通知")
    response = client_a.post(reverse("notify:notification-read-all"), **HTMX)
    html = response.content.decode()
    assert 'id="notification-results"' in html and "0 条未读" in html
    assert 'hx-swap-oob="true"' in html and bell_count(html) is None
    assert not Notification.objects.for_tenant(tenant_a).filter(recipient__user__username="admin_a", read_at=None)
    other.refresh_from_db()
    assert other.read_at is None  # someone else's stays unread


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_a: Client, tenant_a, admin_a):
    item = send(tenant_a, admin_a, "任务分派", link="/customers/")
    response = client_a.get(reverse("notify:notification-open", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == "/customers/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_an_outside_link_is_never_followed(client_a: Client, tenant_a, admin_a):
    item = send(tenant_a, admin_a, "可疑链接", link="https://evil.example/phish")
    response = client_a.get(reverse("notify:notification-open", args=[item.pk]))
    assert response["Location"] == LIST_URL


def test_someone_elses_notification_is_a_404(client_a: Client, tenant_a, handler_a):
    theirs = send(tenant_a, handler_a, "给别人的通知")
    for name in ("notify:notification-read", "notify:notification-open"):
        assert client_a.post(reverse(name, args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_tenants_notification_is_a_404(client_b: Client, tenant_a, admin_a, inbox):
    for name in ("notify:notification-read", "notify:notification-open"):
        assert client_b.post(reverse(name, args=[inbox[0].pk])).status_code == 404
        assert client_b.get(reverse(name, args=[inbox[0].pk])).status_code in (404, 405)
    assert Notification.objects.for_tenant(tenant_a).filter(read_at__isnull=True).count() == 3
    assert "刘洋" not in client_b.get(LIST_URL).content.decode()


def test_a_viewer_can_read_their_own_notifications(client_for, tenant_a):
    viewer = MembershipFactory(tenant=tenant_a, user=UserFactory(username="viewer_x"), role=Role.VIEWER)
    item = send(tenant_a, viewer, "时限预警", kind="sla_warning")
    client = client_for(viewer)
    assert "时限预警" in client.get(LIST_URL).content.decode()
    assert client.post(reverse("notify:notification-read", args=[item.pk])).status_code == 302


def test_the_list_needs_a_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
