"""The JSON ingestion API: `POST /api/v1/mentions` with a bearer token, `GET /api/v1/openapi.json`.

Plain Django views, no session and no CSRF: the token is the credential and names the tenant,
whose context the request then works in. Every error answers JSON `{"error": "…", "code": "…"}`:
the message in Chinese, the code stable for programs (ERROR_CODES, the same list as the OpenAPI
schema's). 401 bad or revoked token (with WWW-Authenticate), 405 another method, 411 a chunked
body the server did not terminate, 415 not JSON, 413 body over 10 MB or more than 1,000 items,
400 a broken request (not UTF-8, not JSON, nested too deep for the parser, not an envelope, an
unusable source), 404 a source the token's tenant does not have (another tenant's source
included: same answer), 500 (JSON too) only for a fault of ours, logged with its traceback.
Otherwise 200 with one result per item: a bad item, hostile values included (lone surrogates,
NUL, NaN, deep nesting), is rejected on its own line and never fails the batch.

Chunked bodies (Transfer-Encoding: chunked, no Content-Length): gunicorn de-chunks them and sets
`wsgi.input_terminated`, so the stream ends where the body does; Django's request stream is limited
to Content-Length (0 when absent) and would read nothing, so the view reads `wsgi.input` itself then.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yuqing.monitoring.models import IngestToken, Mention, Source
from yuqing.monitoring.services.ingestion import mentions_ingest
from yuqing.monitoring.services.ingestion.screen import Hostile, text_screen
from yuqing.monitoring.services.tokens import ingest_token_authenticate
from yuqing.tenancy.context import tenant_context

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_SOURCE_NAME_CHARS = 100  # Source.name's length
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
_JSON_DUMPS = {"ensure_ascii": False}

# Stable error codes (the OpenAPI schema's Error.code enum lists the same).
ERROR_CODES = (
    "token_missing",
    "token_invalid",
    "method_not_allowed",
    "length_required",
    "body_too_large",
    "too_many_items",
    "unsupported_media_type",
    "invalid_encoding",
    "invalid_json",
    "too_deep",
    "invalid_envelope",
    "items_missing",
    "source_required",
    "source_invalid",
    "source_not_found",
    "internal_error",
)


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    assert code in ERROR_CODES, code
    response = JsonResponse({"error": message, "code": code}, status=status, json_dumps_params=_JSON_DUMPS)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _json_errors(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A fault of ours still answers JSON (500, code internal_error); the traceback goes to the log."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except Exception:
            logger.exception("ingestion API failed on %s %s", request.method, request.path)
            return _error(500, "internal_error", _("服务器内部错误，已记录；请稍后重试，已收录的信息不会丢失"))

    return wrapper


def _bearer(request: HttpRequest) -> str | None:
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _unauthorized(code: str, description: str) -> JsonResponse:
    challenge = 'Bearer realm="yuqing", error="invalid_token"'
    return _error(401, code, description, WWW_Authenticate=challenge)


def _too_large() -> JsonResponse:
    return _error(413, "body_too_large", _("请求体超过 %(mb)d MB") % {"mb": MAX_BODY_BYTES // (1024 * 1024)})


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get(
        "CONTENT_LENGTH"
    )


def _read_body(request: HttpRequest) -> tuple[bytes, JsonResponse | None]:
    """The raw body, at most MAX_BODY_BYTES. Reads the stream itself: `request.body` would stop at
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), below this API's own limit, and reads nothing of a
    chunked body (see the module docstring)."""
    if _is_chunked(request):
        if not request.META.get("wsgi.input_terminated"):
            # Reading to the end of an unterminated stream could wait for ever.
            return b"", _error(411, "length_required", _("服务器无法读取分块传输的请求体：请提供 Content-Length"))
        data = request.META["wsgi.input"].read(MAX_BODY_BYTES + 1)
    else:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_BODY_BYTES:
            return b"", _too_large()
        data = request.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        return b"", _too_large()
    return data, None


def _read_json(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """The parsed body, or the error response."""
    data, failure = _read_body(request)
    if failure is not None:
        return None, failure
    charset = (request.content_params or {}).get("charset", "utf-8")
    try:
        codec = codecs.lookup(charset).name
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except (LookupError, UnicodeDecodeError):
        return None, _error(400, "invalid_encoding", _("请求体不是 %(charset)s 编码的文本") % {"charset": charset[:40]})
    try:
        # NaN and ±Infinity are read (Python's json accepts them): inside an item they are
        # rejected with that item (ingestion.screen), elsewhere the envelope checks refuse them.
        return json.loads(text), None
    except RecursionError:
        return None, _error(400, "too_deep", _("请求体的 JSON 嵌套层数过多"))
    except ValueError as error:
        return None, _error(400, "invalid_json", _("请求体不是有效的 JSON：%(detail)s") % {"detail": error})


def _resolve_source(token: IngestToken, named: object) -> tuple[Source | None, JsonResponse | None]:
    """The envelope's source (a name or an id) among the token's tenant's, else the token's default."""
    if named is None or named == "":
        if token.source_id is None:
            return None, _error(400, "source_required", _("请指定信息源（source），该令牌没有默认信息源"))
        return token.source, None
    if isinstance(named, bool) or not isinstance(named, str | int):
        return None, _error(400, "source_invalid", _("source 必须是信息源的名称或编号"))
    if isinstance(named, str):
        if len(named) > MAX_SOURCE_NAME_CHARS:
            return None, _error(400, "source_invalid", _("source 超过 %(max)d 个字符") % {"max": MAX_SOURCE_NAME_CHARS})
        try:
            text_screen(named, what=_("信息源（source）"))
        except Hostile as hostile:
            return None, _error(400, "source_invalid", hostile.reason)
    sources = Source.objects.for_tenant(token.tenant)
    source = None
    text = str(named).strip()
    if isinstance(named, str):
        source = sources.filter(name=text).first()
    # Only ASCII digits name an id: "²" and "١٢" are names ("²".isdigit() is True, int("²") fails).
    if source is None and text.isascii() and text.isdecimal() and len(text) <= 19 and int(text) < 2**63:
        source = sources.filter(pk=int(text)).first()
    if source is None:
        return None, _error(404, "source_not_found", _("信息源不存在：%(source)s") % {"source": text[:100]})
    return source, None


@csrf_exempt
@_json_errors
def mentions_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", _("只支持 POST 请求"))
        response["Allow"] = "POST"
        return response
    raw = _bearer(request)
    if raw is None:
        return _unauthorized("token_missing", _("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌"))
    token = ingest_token_authenticate(raw)
    if token is None:
        return _unauthorized("token_invalid", _("访问令牌无效或已吊销"))
    if request.content_type != "application/json":
        return _error(415, "unsupported_media_type", _("请求体必须是 JSON（Content-Type: application/json）"))
    payload, failure = _read_json(request)
    if failure is not None:
        return failure
    if not isinstance(payload, dict):
        return _error(400, "invalid_envelope", _('请求体必须是 JSON 对象：{"source": …, "items": […]}'))
    items = payload.get("items")
    if not isinstance(items, list):
        return _error(400, "items_missing", _("缺少 items 数组"))
    if len(items) > MAX_ITEMS:
        message = _("每次最多提交 %(max)d 条，本次 %(count)d 条：请分批提交") % {"max": MAX_ITEMS, "count": len(items)}
        return _error(413, "too_many_items", message)
    with tenant_context(token.tenant):
        source, failure = _resolve_source(token, payload.get("source"))
        if failure is not None:
            return failure
        report = mentions_ingest(tenant=token.tenant, source=source, items=items, via=Mention.Via.API)
    return JsonResponse(report.as_dict(), json_dumps_params=_JSON_DUMPS)


@cache
def _openapi_document() -> bytes:
    return OPENAPI_PATH.read_bytes()


@csrf_exempt  # a POST gets the JSON 405 below, not the CSRF middleware's HTML 403
@_json_errors
def openapi(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = _error(405, "method_not_allowed", _("只支持 GET 请求"))
        response["Allow"] = "GET, HEAD"
        return response
    return HttpResponse(_openapi_document(), content_type="application/json")
