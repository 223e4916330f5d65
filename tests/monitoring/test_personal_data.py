"""ID and mobile numbers in mention text: masked at ingestion in every output, the original kept
encrypted and shown only to the reveal permission, with an audit event naming the fields."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from tests.factories import MembershipFactory, UserFactory
from tests.monitoring.warnings_support import channel_calls_fixture, customer, duty_member  # noqa: F401
from yuqing import privacy
from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import Level, Mention, MentionCustomer, Source, Story
from yuqing.monitoring.services.ingestion import ACCEPTED, DUPLICATE, mentions_ingest
from yuqing.monitoring.services.ingestion.normalize import content_fingerprint
from yuqing.monitoring.services.personal_data import (
    mask_personal_numbers,
    mention_mask_personal_data,
    mention_reveal_original,
    mentions_mask_stored,
)
from yuqing.monitoring.services.warnings import warning_route_create, warnings_process
from yuqing.notify.models import Channel, Delivery, Notification
from yuqing.tenancy.context import dangerously_all_tenants
from yuqing.tenancy.models import Role

ID_NUMBER = "11010519491231002X"  # valid GB 11643 check character
MOBILE = "13800138000"
ID_MASKED = "110105********002X"
MOBILE_MASKED = "138****8000"
HOSTILE_BODY = f"华信置业逾期不还，催收员用{MOBILE}天天打电话，还把我身份证{ID_NUMBER}发到群里，大家评评理。"


# ---------------------------------------------------------------- what counts as a number


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"电话{MOBILE}催收", f"电话{MOBILE_MASKED}催收"),
        (f"身份证：{ID_NUMBER}。", f"身份证：{ID_MASKED}。"),
        ("身份证11010519491231002x", f"身份证{ID_MASKED}"),
        ("vx:13800138000好", f"vx:{MOBILE_MASKED}好"),
        ("+86 138 0013 8000", f"+86 {MOBILE_MASKED}"),
        ("8613800138000", f"86{MOBILE_MASKED}"),
        ("138-0013-8000", MOBILE_MASKED),
        (f"{MOBILE}/13900139000", f"{MOBILE_MASKED}/139****9000"),
        ("老身份证110105491231002", "老身份证110105*****1002"),
    ],
)
def test_id_and_mobile_numbers_are_masked_like_customers(text, masked):
    assert mask_personal_numbers(text) == masked
    assert len(mask_personal_numbers(text)) <= len(text)


@pytest.mark.parametrize(
    "text",
    [
        "订单号1380013800012345",  # a mobile inside a longer run of digits
        "138001380001",
        "12800138000",  # 12x is not a mobile prefix
        "110105194912310021",  # wrong check digit
        "110105199913310024",  # the check digit is right, but there is no 13th month
        "金额 13,800,138,000 元",
        "110105491331002",  # 15 digits, no real date
        "",
    ],
)
def test_numbers_that_are_not_ids_or_mobiles_stay(text):
    assert mask_personal_numbers(text) == text


def test_masking_twice_changes_nothing():
    once = mask_personal_numbers(HOSTILE_BODY)
    assert mask_personal_numbers(once) == once


# ---------------------------------------------------------------- ingestion


@pytest.fixture
def weibo(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)


def _ingest(tenant, source, **item):
    item = {"external_id": "w1", "title": f"求助：{MOBILE}", "body": HOSTILE_BODY, **item}
    return mentions_ingest(tenant=tenant, source=source, items=[item], via=Mention.Via.API)


def test_ingestion_stores_the_text_masked_and_the_original_encrypted(tenant_a, weibo):
    report = _ingest(tenant_a, weibo, author=MOBILE, extra={"desc": f"联系{MOBILE}", "n": 3})
    assert report.results[0].status == ACCEPTED
    mention = Mention.objects.for_tenant(tenant_a).get()
    assert mention.title == f"求助：{MOBILE_MASKED}"
    assert ID_MASKED in mention.body and MOBILE_MASKED in mention.body
    assert MOBILE not in mention.body and ID_NUMBER not in mention.body
    assert mention.extra == {"desc": f"联系{MOBILE_MASKED}", "n": 3}
    assert mention.author_display == "1**"  # the author was never stored in clear anyway
    assert MOBILE not in mention.original_encrypted and ID_NUMBER not in mention.original_encrypted
    original = json.loads(privacy.decrypt(mention.original_encrypted))
    assert original["body"] == HOSTILE_BODY and original["title"] == f"求助：{MOBILE}"
    assert original["extra"]["desc"] == f"联系{MOBILE}"
    # De-duplication works on the masked text; no fingerprint of the clear text is stored.
    assert mention.content_hash == content_fingerprint(mention.title, mention.body)
    assert mention.content_hash != content_fingerprint(f"求助：{MOBILE}", HOSTILE_BODY)


def test_redelivering_the_same_post_is_still_a_duplicate(tenant_a, weibo):
    _ingest(tenant_a, weibo)
    assert _ingest(tenant_a, weibo).results[0].status == DUPLICATE
    assert _ingest(tenant_a, weibo, external_id="w2").results[0].is_repost
    assert Mention.objects.for_tenant(tenant_a).count() == 1


def test_a_mention_without_numbers_keeps_no_original(tenant_a, weibo):
    _ingest(tenant_a, weibo, title="项目逾期", body="听说项目逾期了，订单号1380013800012345。")
    mention = Mention.objects.for_tenant(tenant_a).get()
    assert mention.original_encrypted == "" and not mention.has_masked_personal_data
    assert "1380013800012345" in mention.body


def _clear_numbers_stored_anywhere() -> list[str]:
    """Every text and JSON column of every model holding a clear number (the encrypted original excepted)."""
    found = []
    with dangerously_all_tenants():
        for model in apps.get_models():
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
                and f.name != "original_encrypted"
            ]
            for row in model._base_manager.values(*fields) if fields else []:
                text = json.dumps(row, ensure_ascii=False, default=str)
                if MOBILE in text or ID_NUMBER in text:
                    found.append(f"{model._meta.label}: {text[:120]}")
    return found


def test_warnings_incidents_and_notifications_quote_only_the_masked_text(tenant_a, weibo, client_for, channel_calls):
    duty = duty_member(tenant_a, "duty1")
    acme = customer(tenant_a, "华信置业有限公司")
    _ingest(tenant_a, weibo)
    mention = Mention.objects.for_tenant(tenant_a).get()
    Mention.objects.for_tenant(tenant_a).filter(pk=mention.pk).update(
        status=Mention.Status.SCORED, score=85, level=Level.RED, scored_at=timezone.now(), explanation={}
    )
    MentionCustomer.objects.create(tenant=tenant_a, mention=mention, customer=acme, matched="华信置业")
    mention.refresh_from_db()
    [warning] = warnings_process(tenant=tenant_a, mentions=[mention])
    incident = Incident.objects.for_tenant(tenant_a).get(pk=warning.incident_id)
    assert MOBILE_MASKED in incident.title and MOBILE_MASKED in incident.summary
    assert Notification.objects.for_tenant(tenant_a).filter(recipient=duty).exists()
    assert MOBILE not in json.dumps(channel_calls.calls, ensure_ascii=False, default=str)
    client = client_for(duty)
    pages = [
        reverse("monitoring:mention-list"),
        reverse("monitoring:mention-detail", args=[mention.pk]),
        reverse("monitoring:warning-board"),
        reverse("monitoring:warning-detail", args=[warning.pk]),
        reverse("incidents:incident-detail", args=[incident.pk]),
        reverse("notify:notification-list"),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert MOBILE not in body and ID_NUMBER not in body, url
    assert _clear_numbers_stored_anywhere() == []


def test_channel_deliveries_carry_only_the_masked_text(tenant_a, weibo):
    channel = Channel.objects.create(tenant=tenant_a, name="值班群", kind=Channel.Kind.PORTAL)
    warning_route_create(tenant=tenant_a, actor=None, name="全部", channel=channel, min_level=Level.BLUE)
    _ingest(tenant_a, weibo)
    Mention.objects.for_tenant(tenant_a).update(
        status=Mention.Status.SCORED, score=85, level=Level.RED, scored_at=timezone.now(), explanation={}
    )
    warnings_process(tenant=tenant_a, mentions=list(Mention.objects.for_tenant(tenant_a)))
    delivery = Delivery.objects.for_tenant(tenant_a).get()
    # Robots' markdown turns the mask's * into ＊; either way the middle digits are gone.
    assert re.search(r"138[*＊]{4}8000", delivery.title)
    assert _clear_numbers_stored_anywhere() == []


# ---------------------------------------------------------------- reveal


@pytest.fixture
def masked_mention(tenant_a, weibo) -> Mention:
    _ingest(tenant_a, weibo)
    return Mention.objects.for_tenant(tenant_a).get()


def test_the_detail_page_offers_the_original_only_to_the_reveal_permission(client_for, tenant_a, masked_mention):
    url = reverse("monitoring:mention-detail", args=[masked_mention.pk])
    manager = MembershipFactory(tenant=tenant_a, user=UserFactory(username="mgr"), role=Role.MANAGER)
    handler = MembershipFactory(tenant=tenant_a, user=UserFactory(username="hdl"), role=Role.HANDLER)
    assert "显示原文" in client_for(manager).get(url).content.decode()
    page = client_for(handler).get(url).content.decode()
    assert "显示原文" not in page and "已遮盖" in page


def test_revealing_shows_the_original_by_htmx_and_audits_the_fields_not_the_values(client_a, tenant_a, masked_mention):
    url = reverse("monitoring:mention-reveal", args=[masked_mention.pk])
    response = client_a.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert MOBILE in body and ID_NUMBER in body
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="mention.reveal")
    assert event.changes == {"fields": ["body", "title"]}
    assert MOBILE not in json.dumps(event.changes) + event.object_repr


def test_revealing_without_htmx_shows_the_detail_page_with_the_original(client_a, masked_mention):
    response = client_a.post(reverse("monitoring:mention-reveal", args=[masked_mention.pk]))
    assert response.status_code == 200 and ID_NUMBER in response.content.decode()


def test_a_role_without_the_reveal_permission_is_refused_and_nothing_is_audited(
    client_for, handler_a, tenant_a, masked_mention
):
    response = client_for(handler_a).post(
        reverse("monitoring:mention-reveal", args=[masked_mention.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403 and MOBILE not in response.content.decode()
    with pytest.raises(PermissionDenied):
        mention_reveal_original(tenant=tenant_a, actor=handler_a.user, mention=masked_mention)
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="mention.reveal").exists()


def test_reveal_is_post_only_and_a_mention_without_masked_data_has_nothing_to_reveal(client_a, tenant_a, weibo):
    _ingest(tenant_a, weibo, title="项目逾期", body="听说项目逾期了。")
    plain = Mention.objects.for_tenant(tenant_a).get()
    url = reverse("monitoring:mention-reveal", args=[plain.pk])
    assert client_a.get(url).status_code == 405
    response = client_a.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "没有被遮盖" in response.content.decode()


def test_another_tenants_mention_cannot_be_revealed(client_b, tenant_a, masked_mention):
    response = client_b.post(reverse("monitoring:mention-reveal", args=[masked_mention.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404 and MOBILE not in response.content.decode()


# ---------------------------------------------------------------- mentions stored before masking


def _stored_in_clear(tenant, source, body: str, external_id: str) -> Mention:
    now = timezone.now()
    return Mention.objects.create(
        tenant=tenant,
        source=source,
        external_id=external_id,
        body=body,
        published_at=now,
        retrieved_at=now,
        via=Mention.Via.API,
        content_hash=content_fingerprint("", body),
    )


def test_the_command_masks_stored_mentions_and_their_copies_once(tenant_a, tenant_b, weibo):
    old = _stored_in_clear(tenant_a, weibo, HOSTILE_BODY, "old-1")
    Story.objects.create(
        tenant=tenant_a, title=f"催收{MOBILE}", first_seen_at=old.published_at, last_seen_at=old.published_at
    )
    other = Source.objects.create(tenant=tenant_b, name="乙的微博", kind=Source.Kind.WEIBO)
    _stored_in_clear(tenant_b, other, f"乙行客户{MOBILE}", "b-1")
    out = io.StringIO()
    call_command("mentions_mask_personal_data", stdout=out)
    assert "tenant-a：遮盖了 1 条信息、1 个话题" in out.getvalue()
    old.refresh_from_db()
    assert MOBILE_MASKED in old.body and MOBILE not in old.body
    assert json.loads(privacy.decrypt(old.original_encrypted))["body"] == HOSTILE_BODY
    assert old.content_hash == content_fingerprint("", old.body)
    assert _clear_numbers_stored_anywhere() == []
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="mention.mask_personal_data")
    assert event.changes["mentions"] == 1 and event.changes["stories"] == 1
    assert mentions_mask_stored(tenant=tenant_a) == {
        "mentions": 0,
        "stories": 0,
        "incidents": 0,
        "notifications": 0,
        "deliveries": 0,
    }


def test_two_stored_mentions_differing_only_in_the_hidden_digits_both_survive(tenant_a, weibo):
    first = _stored_in_clear(tenant_a, weibo, "催收电话13800138000，太过分了", "c-1")
    second = _stored_in_clear(tenant_a, weibo, "催收电话13800008000，太过分了", "c-2")
    mentions_mask_stored(tenant=tenant_a)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.body == second.body == "催收电话138****8000，太过分了"
    assert first.content_hash != second.content_hash


def test_masking_a_mention_in_place_keeps_the_first_original(tenant_a, weibo):
    mention = _stored_in_clear(tenant_a, weibo, f"电话{MOBILE}", "m-1")
    assert mention_mask_personal_data(mention) is True
    assert mention_mask_personal_data(mention) is False
    assert json.loads(privacy.decrypt(mention.original_encrypted)) == {"body": f"电话{MOBILE}"}
