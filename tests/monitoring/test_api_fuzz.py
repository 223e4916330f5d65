"""Fuzzing the ingestion API from its own OpenAPI schema: never a 5xx, and the validator refuses
nothing the schema allows for a reason the schema states (types, lengths, count spellings).

Bounded and reproducible: a fixed number of examples, derandomised, no example database.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings

from tests.monitoring.openapi_strategies import hostile_batches, schema_batches
from yuqing.monitoring.models import Source
from yuqing.monitoring.services.tokens import ingest_token_create

URL = "/api/v1/mentions"
FUZZ = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Reasons for a rule the schema states itself: a schema-valid item must never get one.
SCHEMA_RULES = re.compile(
    r"必须是文本|格式错误|超出范围|必须是 JSON 对象|正文超过"
    r"|^(标题|外部编号|链接|作者|采集关键词)（\w+）超过 \d+ 个字符$"
)


@pytest.fixture
def token(tenant_a, admin_a) -> str:
    source = Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)
    _token, raw = ingest_token_create(tenant=tenant_a, actor=admin_a.user, name="模糊测试", source=source)
    return raw


def _post(token: str, payload) -> tuple[int, dict]:
    body = json.dumps(payload, ensure_ascii=True, allow_nan=True)  # ASCII: lone surrogates as \ud800 escapes
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = Client().generic("POST", URL, body, content_type="application/json", **headers)
    assert response.status_code < 500, response.content[:500]
    return response.status_code, json.loads(response.content.decode("utf-8"))


def test_schema_valid_requests_get_no_5xx_and_no_refusal_the_schema_would_not_make(token):
    @FUZZ
    @given(batch=schema_batches())
    def check(batch):
        status, answer = _post(token, batch)
        if status == 404:  # a source name the tenant does not have: the schema cannot know the names
            assert answer["code"] == "source_not_found"
            return
        assert status == 200, answer
        assert [r["index"] for r in answer["results"]] == list(range(len(batch["items"])))
        for result in answer["results"]:
            assert not SCHEMA_RULES.search(result["reason"]), (batch["items"][result["index"]], result["reason"])

    check()


def test_hostile_requests_get_no_5xx_and_a_result_per_item(token):
    @FUZZ
    @given(batch=hostile_batches())
    def check(batch):
        status, answer = _post(token, batch)
        if status == 200:
            assert [r["index"] for r in answer["results"]] == list(range(len(batch["items"])))
            assert {r["status"] for r in answer["results"]} <= {"accepted", "duplicate", "rejected"}
        else:
            assert set(answer) == {"error", "code"}

    check()
