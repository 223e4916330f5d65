"""The ingestion API: tokens, envelope errors, per-item results, idempotency, tenant isolation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import IngestToken, Mention, Source
from yuqing.monitoring.services.tokens import (
    ingest_token_authenticate,
    ingest_token_create,
    ingest_token_revoke,
    ingest_token_rotate,
)
from yuqing.monitoring.views import api

URL = "/api/v1/mentions"


@pytest.fixture
def weibo(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)


@pytest.fixture
def token_a(tenant_a, admin_a, weibo) -> str:
    _token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="爬虫一号", source=weibo)
    return raw


def post(raw: str | None, payload, *, content_type: str = "application/json", client: Client | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
    data = payload if isinstance(payload, bytes | str) else json.dumps(payload, ensure_ascii=False)
    # generic(): post() would re-encode the bytes to the declared charset.
    return (client or Client()).generic("POST", URL, data, content_type=content_type, **headers)


def items(n: int, prefix: str = "m") -> list[dict]:
    return [
        {
            "external_id": f"{prefix}{i}",
            "url": f"https://weibo.com/u/{prefix}{i}?utm_source=app",
            "body": f"第{i}条（{prefix}）：某某金融平台{i}号产品逾期，投资人要求兑付",
            "author": f"网友{i}",
            # 2023-11-14 (epoch ms): in the past whenever the suite runs; the API refuses future times.
            "published_at": 1_700_000_000_000 + i * 1000,
            "likes": "1.2万",
        }
        for i in range(n)
    ]


def mentions(tenant):
    return Mention.objects.for_tenant(tenant)


# ---------------------------------------------------------------- tokens


def test_a_token_is_shown_once_and_only_its_digest_is_stored(tenant_a, admin_a):
    token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="爬虫")
    assert raw.startswith(f"yq_{token.prefix}_")
    stored = IngestToken.objects.dangerously_all_tenants().filter(pk=token.pk).values().get()
    assert raw not in json.dumps(stored, default=str)
    assert ingest_token_authenticate(raw).pk == token.pk
    assert ingest_token_authenticate(raw + "x") is None
    assert ingest_token_authenticate("Bearer nonsense") is None
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="ingest_token.create").count() == 1


def test_only_admins_manage_tokens(tenant_a, handler_a):
    with pytest.raises(PermissionDenied):
        ingest_token_create(tenant=tenant_a, actor=handler_a.user, name="不允许")


def test_revoking_and_rotating_are_audited(tenant_a, admin_a):
    token, _raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="爬虫")
    new, _new_raw = ingest_token_rotate(tenant=tenant_a, actor=admin_a.user, token=token)
    ingest_token_revoke(tenant=tenant_a, actor=admin_a.user, token=new)
    ingest_token_revoke(tenant=tenant_a, actor=admin_a.user, token=new)  # again: nothing more
    actions = list(
        AuditEvent.objects.for_tenant(tenant_a)
        .filter(action__startswith="ingest_token.")
        .values_list("action", flat=True)
        .order_by("sequence")
    )
    assert actions == ["ingest_token.create", "ingest_token.rotate", "ingest_token.revoke"]
    assert new.name == "爬虫"


def test_last_used_is_written_at_most_once_a_minute(tenant_a, admin_a, django_assert_num_queries):
    token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="爬虫")
    with django_assert_num_queries(2):
        first = ingest_token_authenticate(raw)
    with django_assert_num_queries(1):
        ingest_token_authenticate(raw)
    IngestToken.objects.for_tenant(tenant_a).filter(pk=token.pk).update(
        last_used_at=first.last_used_at - dt.timedelta(minutes=2)
    )
    with django_assert_num_queries(2):
        ingest_token_authenticate(raw)


# ---------------------------------------------------------------- the endpoint


def test_a_good_batch_is_accepted(tenant_a, token_a):
    response = post(token_a, {"items": items(3)})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (3, 0, 0)
    assert [r["status"] for r in body["results"]] == ["accepted"] * 3
    assert {r["id"] for r in body["results"]} == set(mentions(tenant_a).values_list("pk", flat=True))
    mention = mentions(tenant_a).get(external_id="m0")
    assert mention.via == Mention.Via.API and mention.status == Mention.Status.PENDING
    assert mention.url == "https://weibo.com/u/m0" and mention.likes == 12_000
    assert mention.author_display == "网**"


def test_the_source_can_be_named_by_name_or_id(tenant_a, token_a):
    other = Source.objects.create(tenant=tenant_a, name="财经论坛", kind=Source.Kind.FORUM)
    assert post(token_a, {"source": "财经论坛", "items": items(1, "n")}).json()["accepted"] == 1
    assert post(token_a, {"source": other.pk, "items": items(1, "i")}).json()["accepted"] == 1
    assert mentions(tenant_a).filter(source=other).count() == 2


def test_without_a_source_and_without_a_default_it_is_400(tenant_a, admin_a):
    _token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="无默认源")
    response = post(raw, {"items": items(1)})
    assert response.status_code == 400
    assert "信息源" in response.json()["error"]


def test_malformed_json_is_400_with_a_chinese_message(tenant_a, token_a):
    response = post(token_a, '{"items": [ {"body": "半截')
    assert response.status_code == 400
    assert response.json()["error"].startswith("请求体不是有效的 JSON")
    assert post(token_a, "[1, 2]").status_code == 400
    assert post(token_a, {"items": "不是数组"}).status_code == 400
    assert mentions(tenant_a).count() == 0


def test_a_body_in_a_wrong_encoding_is_400(token_a):
    data = json.dumps({"items": [{"body": "某某公司逾期"}]}, ensure_ascii=False).encode("gbk")
    response = post(token_a, data)
    assert response.status_code == 400
    assert "编码" in response.json()["error"]


def test_a_declared_gbk_body_is_read(tenant_a, token_a):
    data = json.dumps({"items": [{"body": "某某公司逾期"}]}, ensure_ascii=False).encode("gbk")
    response = post(token_a, data, content_type="application/json; charset=gbk")
    assert response.status_code == 200
    assert mentions(tenant_a).get().body == "某某公司逾期"


def test_a_wrong_content_type_is_415(token_a):
    response = post(token_a, "items=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "JSON" in response.json()["error"]


def test_more_than_1000_items_is_refused(tenant_a, token_a):
    response = post(token_a, {"items": [{"body": "x"}] * 1001})
    assert response.status_code == 413
    assert "1000" in response.json()["error"]
    assert mentions(tenant_a).count() == 0


def test_a_body_over_the_size_limit_is_refused(token_a, monkeypatch):
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 1024)
    response = post(token_a, {"items": [{"body": "逾期" * 1000}]})
    assert response.status_code == 413


def test_items_with_missing_or_bad_fields_are_rejected_one_by_one(tenant_a, token_a):
    response = post(
        token_a,
        {
            "items": [
                {"title": "", "author": "某人"},
                {"body": "好的一条：某某公司失联"},
                {"body": "坏日期", "published_at": "x"},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "缺少正文（body）"),
        ("accepted", ""),
        ("rejected", "发布时间格式无法识别：x"),
    ]
    assert results[0]["id"] is None


def test_redelivering_a_batch_is_idempotent(tenant_a, token_a):
    batch = {
        "items": [*items(3), {"external_id": "r", "body": "第0条（m）：某某金融平台0号产品逾期，投资人要求兑付！"}]
    }
    first = post(token_a, batch).json()
    assert [r["status"] for r in first["results"]] == ["accepted"] * 3 + ["duplicate"]
    second = post(token_a, batch).json()
    assert (second["accepted"], second["duplicate"]) == (0, 4)
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    assert mentions(tenant_a).count() == 3
    assert mentions(tenant_a).get(external_id="m0").repost_count == 1


def test_no_token_or_a_revoked_token_is_401(tenant_a, admin_a, token_a, client_a):
    for response in (post(None, {"items": items(1)}), post("yq_00000000_forged", {"items": items(1)})):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    # A signed-in session is no credential for the API.
    assert post(None, {"items": items(1)}, client=client_a).status_code == 401
    token = ingest_token_authenticate(token_a)
    ingest_token_revoke(tenant=tenant_a, actor=admin_a.user, token=token)
    response = post(token_a, {"items": items(1)})
    assert response.status_code == 401
    assert response.json()["error"] == "访问令牌无效或已吊销"
    assert mentions(tenant_a).count() == 0


def test_after_rotation_the_old_token_is_401_and_the_new_one_works(tenant_a, admin_a, token_a):
    old = ingest_token_authenticate(token_a)
    new, new_raw = ingest_token_rotate(tenant=tenant_a, actor=admin_a.user, token=old)
    assert post(token_a, {"items": items(1)}).status_code == 401
    response = post(new_raw, {"items": items(1)})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert new.source_id == old.source_id


def test_a_token_of_tenant_b_cannot_post_to_tenant_as_source(tenant_a, tenant_b, admin_b, weibo):
    _token, raw_b = ingest_token_create(tenant=tenant_b, actor=admin_b.user, name="乙的爬虫")
    for named in ("微博采集", weibo.pk, str(weibo.pk)):
        response = post(raw_b, {"source": named, "items": items(2)})
        assert response.status_code == 404, named
        assert "信息源不存在" in response.json()["error"]
    assert Mention.objects.dangerously_all_tenants().count() == 0


def test_only_post_is_allowed(token_a):
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_redis_down_during_ingestion_loses_nothing(tenant_a, token_a, settings, django_capture_on_commit_callbacks):
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "scoring": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "auto"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(token_a, {"items": items(5)})
    assert len(callbacks) == 1  # the enqueue ran, and failed quietly
    assert response.status_code == 200 and response.json()["accepted"] == 5
    assert set(mentions(tenant_a).values_list("status", flat=True)) == {Mention.Status.PENDING}
    assert mentions(tenant_a).count() == 5


def test_an_accepted_batch_enqueues_scoring_on_the_scoring_queue(
    tenant_a, token_a, rq_queues, django_capture_on_commit_callbacks
):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        body = post(token_a, {"items": items(3)}).json()
    jobs = django_rq.get_queue("scoring").get_jobs()
    assert [job.kwargs["mention_ids"] for job in jobs] == [[r["id"] for r in body["results"]]]


def test_the_openapi_document_describes_both_endpoints():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    assert {"/mentions", "/openapi.json"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    results = document["components"]["schemas"]["ItemResult"]["properties"]["status"]["enum"]
    assert results == ["accepted", "duplicate", "rejected"]
    assert {"401", "413", "415", "400", "404"} <= set(document["paths"]["/mentions"]["post"]["responses"])


def test_a_paused_source_answers_200_with_every_item_rejected(tenant_a, token_a, weibo):
    weibo.is_paused = True
    weibo.save()
    body = post(token_a, {"items": items(2)}).json()
    assert body["rejected"] == 2 and {r["reason"] for r in body["results"]} == {"信息源已暂停"}
    assert mentions(tenant_a).count() == 0


def test_a_full_batch_above_djangos_upload_limit_is_read(tenant_a, token_a, settings):
    big = [
        {"external_id": f"b{i}", "body": f"第{i}条长文：" + "某某项目停工烂尾，业主维权。" * 100} for i in range(1000)
    ]
    payload = json.dumps({"items": big}, ensure_ascii=False).encode()
    assert len(payload) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post(token_a, payload)
    assert response.status_code == 200
    assert response.json()["accepted"] == 1000
