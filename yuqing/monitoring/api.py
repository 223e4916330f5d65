"""The JSON ingestion API: `POST /api/v1/mentions` with a bearer token, `GET /api/v1/openapi.json`.

Plain Django views, no session and no CSRF: the token is the credential and names the tenant,
whose context the request then works in. Errors answer JSON `{"error": "…"}` in Chinese:
401 bad or revoked token (with WWW-Authenticate), 415 not JSON, 413 body over 10 MB or more than
1,000 items, 400 malformed JSON or envelope, 404 a source the token's tenant does not have
(another tenant's source included: same answer). Otherwise 200 with one result per item — a
bad item is rejected on its own line and never fails the batch.
"""

from __future__ import annotations

import codecs
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yuqing.monitoring.ingestion import mentions_ingest
from yuqing.monitoring.models import IngestToken, Mention, Source
from yuqing.monitoring.tokens import ingest_token_authenticate
from yuqing.tenancy.context import tenant_context

MAX_ITEMS = 1000
MAX_BODY_BYTES = 10 * 1024 * 1024
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_JSON_DUMPS = {"ensure_ascii": False}


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status, json_dumps_params=_JSON_DUMPS)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _bearer(request: HttpRequest) -> str | None:
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _unauthorized(description: str) -> JsonResponse:
    challenge = 'Bearer realm="yuqing", error="invalid_token"'
    return _error(401, description, WWW_Authenticate=challenge)


def _read_json(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """The parsed body, or the error response. Reads the stream itself: `request.body` would stop
    at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), below this API's own limit."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None, _error(413, _("请求体超过 %(mb)d MB") % {"mb": MAX_BODY_BYTES // (1024 * 1024)})
    data = request.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        return None, _error(413, _("请求体超过 %(mb)d MB") % {"mb": MAX_BODY_BYTES // (1024 * 1024)})
    charset = (request.content_params or {}).get("charset", "utf-8")
    try:
        codec = codecs.lookup(charset).name
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except (LookupError, UnicodeDecodeError):
        return None, _error(400, _("请求体不是 %(charset)s 编码的文本") % {"charset": charset})
    try:
        return json.loads(text), None
    except ValueError as error:
        return None, _error(400, _("请求体不是有效的 JSON：%(detail)s") % {"detail": error})


def _resolve_source(token: IngestToken, named: object) -> tuple[Source | None, JsonResponse | None]:
    """The envelope's source (a name or an id) among the token's tenant's, else the token's default."""
    if named is None or named == "":
        if token.source_id is None:
            return None, _error(400, _("请指定信息源（source），该令牌没有默认信息源"))
        return token.source, None
    if isinstance(named, bool) or not isinstance(named, str | int):
        return None, _error(400, _("source 必须是信息源的名称或编号"))
    sources = Source.objects.for_tenant(token.tenant)
    source = None
    if isinstance(named, str):
        source = sources.filter(name=named.strip()).first()
    if source is None and str(named).strip().isdigit():
        source = sources.filter(pk=int(str(named).strip())).first()
    if source is None:
        return None, _error(404, _("信息源不存在：%(source)s") % {"source": str(named)[:100]})
    return source, None


@csrf_exempt
def mentions_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _error(405, _("只支持 POST 请求"))
        response["Allow"] = "POST"
        return response
    raw = _bearer(request)
    if raw is None:
        return _unauthorized(_("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌"))
    token = ingest_token_authenticate(raw)
    if token is None:
        return _unauthorized(_("访问令牌无效或已吊销"))
    if request.content_type != "application/json":
        return _error(415, _("请求体必须是 JSON（Content-Type: application/json）"))
    payload, failure = _read_json(request)
    if failure is not None:
        return failure
    if not isinstance(payload, dict):
        return _error(400, _('请求体必须是 JSON 对象：{"source": …, "items": […]}'))
    items = payload.get("items")
    if not isinstance(items, list):
        return _error(400, _("缺少 items 数组"))
    if len(items) > MAX_ITEMS:
        return _error(
            413, _("每次最多提交 %(max)d 条，本次 %(count)d 条：请分批提交") % {"max": MAX_ITEMS, "count": len(items)}
        )
    with tenant_context(token.tenant):
        source, failure = _resolve_source(token, payload.get("source"))
        if failure is not None:
            return failure
        report = mentions_ingest(tenant=token.tenant, source=source, items=items, via=Mention.Via.API)
    return JsonResponse(report.as_dict(), json_dumps_params=_JSON_DUMPS)


@cache
def _openapi_document() -> bytes:
    return OPENAPI_PATH.read_bytes()


def openapi(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = _error(405, _("只支持 GET 请求"))
        response["Allow"] = "GET, HEAD"
        return response
    return HttpResponse(_openapi_document(), content_type="application/json")
