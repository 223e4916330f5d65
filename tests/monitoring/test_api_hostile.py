"""The ingestion API under hostile input: never a 500, every error JSON in Chinese with a stable code,
chunked bodies read, and the OpenAPI schema stating the validator's own limits."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client

from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.ingestion.normalize import COUNT_PATTERN
from yuqing.monitoring.services.ingestion.screen import MAX_INTEGER_ID, NO_CONTROL_PATTERN, TEXT_LIMITS
from yuqing.monitoring.services.tokens import ingest_token_create
from yuqing.monitoring.views import api

URL = "/api/v1/mentions"


@pytest.fixture
def weibo(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)


@pytest.fixture
def token_a(tenant_a, admin_a, weibo) -> str:
    _token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="爬虫一号", source=weibo)
    return raw


def post_raw(raw_token: str, body: bytes | str, **extra):
    data = body.encode() if isinstance(body, str) else body
    return Client().generic(
        "POST", URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_token}", **extra
    )


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content.decode("utf-8"))
    assert payload["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["error"]), payload["error"]  # Chinese
    return payload


def mentions(tenant):
    return Mention.objects.for_tenant(tenant)


# ---------------------------------------------------------------- per item, in the raw JSON


def test_it_rejects_a_lone_surrogate_nul_and_nan_per_item_and_stores_the_good_ones(tenant_a, token_a):
    body = (
        '{"items": ['
        '{"external_id": "ok-1", "body": "正常一：某某平台逾期"},'
        '{"external_id": "s", "body": "孤立\\ud800代理"},'
        '{"external_id": "n", "body": "链接含NUL", "url": "https://weibo.com/\\u0000"},'
        '{"external_id": "x", "body": "附加含NUL", "extra": {"k": "\\u0000"}},'
        '{"external_id": "nan", "body": "点赞NaN", "likes": NaN},'
        '{"external_id": "inf", "body": "附加无穷", "extra": {"v": -Infinity}},'
        '{"external_id": "deep", "body": "嵌套过深", "extra": ' + '{"a":' * 300 + "1" + "}" * 300 + "},"
        '{"external_id": "ok-2", "body": "正常二：某某项目停工"}'
        "]}"
    )
    response = post_raw(token_a, body)

    assert response.status_code == 200
    result = json.loads(response.content.decode("utf-8"))
    assert (result["accepted"], result["rejected"]) == (2, 6)
    assert [r["status"] for r in result["results"]] == ["accepted"] + ["rejected"] * 6 + ["accepted"]
    assert result["results"][1]["reason"] == "正文（body）含有无效的 Unicode 字符（孤立的代理项），不是文本"
    assert result["results"][4]["reason"] == "点赞数（likes）含有 NaN 或 Infinity，不是有效的数值"
    assert sorted(mentions(tenant_a).values_list("external_id", flat=True)) == ["ok-1", "ok-2"]


# ---------------------------------------------------------------- the request as a whole


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("NaN", 400, "invalid_envelope"),
        ('{"items": NaN}', 400, "items_missing"),
        ('{"source": Infinity, "items": []}', 400, "source_invalid"),
        ("[" * 100_000 + "]" * 100_000, 400, "too_deep"),
        ('{"items": [' + "[" * 100_000 + "]" * 100_000 + "]}", 400, "too_deep"),
        ('{"items": [', 400, "invalid_json"),
        ('{"source": "\\u0000", "items": []}', 400, "source_invalid"),
        ('{"source": "源\\ud800", "items": []}', 400, "source_invalid"),
        ('{"source": "' + "长" * 101 + '", "items": []}', 400, "source_invalid"),
        ('{"source": "²", "items": []}', 404, "source_not_found"),
        ('{"source": "١٢", "items": []}', 404, "source_not_found"),
        ('{"source": 100000000000000000000000000000, "items": []}', 404, "source_not_found"),
        ('{"source": -3, "items": []}', 404, "source_not_found"),
        ('{"items": [' + ",".join(["{}"] * 1001) + "]}", 413, "too_many_items"),
    ],
)
def test_a_broken_request_is_refused_whole_with_a_json_error_and_a_stable_code(tenant_a, token_a, body, status, code):
    assert_json_error(post_raw(token_a, body), status, code)
    assert mentions(tenant_a).count() == 0


def test_a_null_source_means_the_tokens_default_source(tenant_a, token_a, weibo):
    response = post_raw(token_a, '{"source": null, "items": [{"body": "默认信息源"}]}')
    assert response.status_code == 200
    assert mentions(tenant_a).get().source_id == weibo.pk


def test_every_other_error_answer_is_json_with_a_code(token_a):
    client = Client()
    assert_json_error(client.post(URL, "{}", content_type="application/json"), 401, "token_missing")
    assert_json_error(
        client.post(URL, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer yq_x_y"),
        401,
        "token_invalid",
    )
    assert_json_error(client.get(URL), 405, "method_not_allowed")
    assert_json_error(post_raw(token_a, b"\xff\xfe"), 400, "invalid_encoding")
    response = Client().generic("POST", URL, "{}", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert_json_error(response, 415, "unsupported_media_type")


def test_posting_to_the_schema_answers_405_json_not_a_csrf_page():
    response = Client(enforce_csrf_checks=True).post("/api/v1/openapi.json", {"x": "1"})
    assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_a_fault_of_ours_still_answers_json(token_a, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "mentions_ingest", broken)
    assert_json_error(post_raw(token_a, '{"items": [{"body": "x"}]}'), 500, "internal_error")


# ---------------------------------------------------------------- chunked bodies


def _wsgi_post(environ_extra: dict, body: bytes) -> tuple[str, bytes]:
    """Call the WSGI application as gunicorn does for a chunked request: de-chunked input, no
    CONTENT_LENGTH, and `wsgi.input_terminated` set."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": URL,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "testserver",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **environ_extra,
    }
    status: list[str] = []
    # As Django's test client does: keep the test's database connection open across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        chunks = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
        content = b"".join(chunks)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return status[0], content


def test_a_chunked_body_without_content_length_is_read(tenant_a, token_a):
    body = json.dumps({"items": [{"external_id": "chunk-1", "body": "分块传输的一条：某某平台逾期"}]}).encode()
    status, content = _wsgi_post({"HTTP_AUTHORIZATION": f"Bearer {token_a}", "wsgi.input_terminated": True}, body)
    assert status.startswith("200"), content
    assert json.loads(content)["accepted"] == 1
    assert mentions(tenant_a).get().external_id == "chunk-1"


def test_a_chunked_body_the_server_did_not_terminate_is_411(tenant_a, token_a):
    status, content = _wsgi_post({"HTTP_AUTHORIZATION": f"Bearer {token_a}"}, b'{"items": []}')
    assert status.startswith("411")
    assert json.loads(content)["code"] == "length_required"


def test_a_chunked_body_over_the_limit_is_413(token_a, monkeypatch):
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 100)
    body = json.dumps({"items": [{"body": "长" * 200}]}).encode()
    status, content = _wsgi_post({"HTTP_AUTHORIZATION": f"Bearer {token_a}", "wsgi.input_terminated": True}, body)
    assert status.startswith("413")
    assert json.loads(content)["code"] == "body_too_large"


# ---------------------------------------------------------------- the schema states the validator's limits


def test_the_openapi_schema_and_the_validator_agree_on_types_and_limits():
    document = json.loads(api.OPENAPI_PATH.read_text())
    schemas = document["components"]["schemas"]
    item = schemas["Item"]["properties"]

    def string_limit(schema: dict) -> int:
        options = schema.get("oneOf", [schema])
        return next(option["maxLength"] for option in options if option.get("type") == "string")

    assert {name: string_limit(item[name]) for name in TEXT_LIMITS} == TEXT_LIMITS
    for name in ("external_id", "author"):
        (integer,) = [o for o in item[name]["oneOf"] if o["type"] == "integer"]
        assert (integer["minimum"], integer["maximum"]) == (0, MAX_INTEGER_ID)
    counts = {o["type"]: o for o in schemas["Count"]["oneOf"]}
    assert counts["string"]["pattern"] == COUNT_PATTERN
    assert (counts["integer"]["minimum"], counts["integer"]["maximum"]) == (0, 2**63 - 1)
    batch = schemas["Batch"]["properties"]
    assert batch["items"]["maxItems"] == api.MAX_ITEMS
    assert {o["type"] for o in batch["source"]["oneOf"]} == {"string", "integer", "null"}
    assert string_limit(batch["source"]) == api.MAX_SOURCE_NAME_CHARS == Source._meta.get_field("name").max_length
    (source_name,) = [o for o in batch["source"]["oneOf"] if o["type"] == "string"]
    assert source_name["pattern"] == NO_CONTROL_PATTERN
    assert schemas["Error"]["properties"]["code"]["enum"] == list(api.ERROR_CODES)
    assert set(document["paths"]["/mentions"]["post"]["responses"]) == {
        "200", "400", "401", "404", "405", "411", "413", "415", "500"
    }  # fmt: skip
