"""Enterprise-chat robots: signing, request bodies and reading the answer. Pure functions, no I/O.

WeCom 群机器人, DingTalk 自定义机器人 and Feishu 自定义机器人, as DOMAIN.md ("Enterprise chat robots")
describes them:

- DingTalk signs in the query string: sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg=f"{ms}\\n{secret}"))), with `timestamp` in milliseconds, valid for an hour.
- Feishu signs in the JSON body: sign = base64(HMAC-SHA256(key=f"{s}\\n{secret}", msg=b"")),
  with `timestamp` in seconds.
- Byte limits are UTF-8 bytes: WeCom markdown content ≤ 4096, text content ≤ 2048; the whole
  Feishu request body ≤ 20 KB. DingTalk states no figure; 4096 bytes keeps a message readable on
  a phone. Text is cut on a character boundary and ends with an ellipsis.

Which message each kind sends (`build_request`): WeCom a markdown message with the level's
colour, or a text message when mobiles are to be @-mentioned (WeCom markdown can only mention by
user id); DingTalk a markdown message whose text ends with the `@mobile`s; Feishu an interactive
card whose header takes the level's colour (Feishu has no markdown message type).

Titles are plain text and are escaped where they land in markdown. A body is markdown-ish text the
caller composed; text taken from the internet (a post, a nickname) goes through `escape_markdown`
first, so a post cannot put a link or an @all into the duty manager's chat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# The kinds, limits, paths and level names the models store and show are defined beside them.
from yuqing.notify.models import (  # noqa: F401 - part of the robots' protocol, used through this module
    DINGTALK,
    FEISHU,
    LEVEL_LABELS,
    RATE_LIMITS_PER_MINUTE,
    ROBOT_KINDS,
    WEBHOOK_PATHS,
    WECOM,
)

WECOM_TEXT_MAX_BYTES = 2048
WECOM_MARKDOWN_MAX_BYTES = 4096
DINGTALK_TEXT_MAX_BYTES = 4096  # DOMAIN.md gives none: a conservative figure
FEISHU_BODY_MAX_BYTES = 20 * 1024
ELLIPSIS = "…"

# Feishu also takes at most 5 messages a second (per minute: models.RATE_LIMITS_PER_MINUTE).
RATE_LIMITS_PER_SECOND = {FEISHU: 5}
# How long a platform refuses a robot that went too fast (DingTalk blocks it for 10 minutes).
BLOCKED_SECONDS_AFTER_RATE_LIMIT = {WECOM: 60, DINGTALK: 600, FEISHU: 60}

# Where each platform's robots live (production accepts only these, over https); their paths are
# in models.WEBHOOK_PATHS.
KNOWN_HOSTS = {
    WECOM: ("qyapi.weixin.qq.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
# The query parameter that carries the credential (Feishu carries it as the last path segment).
CREDENTIAL_PARAMS = {WECOM: "key", DINGTALK: "access_token"}

# WeCom markdown knows three colours: warning (orange-red), comment (grey), info (green).
WECOM_COLOURS = {1: "warning", 2: "warning", 3: "comment", 4: "info"}
FEISHU_TEMPLATES = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
FEISHU_TEMPLATE_NO_LEVEL = "grey"

# Platform answer codes (DOMAIN.md): which to try again, which mean the channel is set up wrong.
SUCCESS, RETRY, CONFIG_ERROR, ERROR = "ok", "retry", "config_error", "error"
RETRY_CODES = {WECOM: {45009, -1}, DINGTALK: {130101, -1}, FEISHU: {11232}}
CONFIG_ERROR_CODES = {
    WECOM: {93000, 40058},
    DINGTALK: {310000, 300001},
    FEISHU: {19021, 19022, 19024, 9499},
}


@dataclass(frozen=True)
class Message:
    title: str
    body: str = ""
    level: int | None = None
    link: str = ""
    mobiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    status: str  # SUCCESS, RETRY, CONFIG_ERROR or ERROR
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS


# ---------------------------------------------------------------- signing


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_sign_urlencoded(secret: str, timestamp_ms: int) -> str:
    """The sign as it goes in the query string (`+`, `/` and `=` escaped)."""
    return urllib.parse.quote_plus(dingtalk_sign(secret, timestamp_ms))


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign_urlencoded(secret, timestamp_ms)}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp_s}\\n{secret}", msg=b"")): the key is the string."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# ---------------------------------------------------------------- text within limits


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, max_bytes: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits in `max_bytes` UTF-8 bytes, else its longest prefix that fits with the ellipsis."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max_bytes - utf8_len(ellipsis)
    if room <= 0:
        return ellipsis.encode("utf-8")[: max(max_bytes, 0)].decode("utf-8", "ignore")
    # A cut inside a multi-byte character leaves an incomplete tail, which "ignore" drops.
    return encoded[:room].decode("utf-8", "ignore") + ellipsis


def _fit(head: str, body: str, tail: str, max_bytes: int) -> str:
    """head + body + tail within max_bytes, shortening the body first (the link and @s stay whole)."""
    room = max_bytes - utf8_len(head) - utf8_len(tail)
    if utf8_len(body) <= room or room >= utf8_len(ELLIPSIS):
        return head + truncate_utf8(body, room) + tail
    return truncate_utf8(head + body + tail, max_bytes)


def escape_markdown(text: str) -> str:
    """Make untrusted text inert in WeCom / DingTalk markdown and Feishu lark_md.

    Full-width brackets read the same to a Chinese reader, and cannot open a link, a tag
    (`<font>`, `<@all>`, `<at>`) or bold text.
    """
    return text.translate(str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀"}))


def level_label(level: int | None) -> str:
    return str(LEVEL_LABELS[level]) if level in LEVEL_LABELS else ""


def heading(message: Message) -> str:
    """The title with the level in front: 【红色 I 级】… (plain text)."""
    label = level_label(message.level)
    return f"【{label}】{message.title}" if label else message.title


def _link_line(link: str, markdown: bool) -> str:
    if not link:
        return ""
    return f"\n\n[{_('查看详情')}]({link})" if markdown else f"\n{_('详情：')}{link}"


def body_budget(kind: str, *, has_mobiles: bool = False) -> int | None:
    """Bytes a message body may take on this kind of channel (None: no limit); for the digest."""
    if kind == WECOM:
        return WECOM_TEXT_MAX_BYTES if has_mobiles else WECOM_MARKDOWN_MAX_BYTES
    if kind == DINGTALK:
        return DINGTALK_TEXT_MAX_BYTES
    if kind == FEISHU:
        return FEISHU_BODY_MAX_BYTES // 2  # the card's JSON escapes and the signature take the rest
    return None


def uses_markdown(kind: str, *, has_mobiles: bool = False) -> bool:
    """Whether a body on this kind of channel is rendered as markdown (links as [text](url))."""
    return kind in (DINGTALK, FEISHU) or (kind == WECOM and not has_mobiles)


# ---------------------------------------------------------------- message bodies


def wecom_text(message: Message) -> dict[str, Any]:
    head = heading(message) + ("\n" if message.body else "")
    content = _fit(head, message.body, _link_line(message.link, False), WECOM_TEXT_MAX_BYTES)
    text: dict[str, Any] = {"content": content}
    if message.mobiles:
        text["mentioned_mobile_list"] = list(message.mobiles)
    return {"msgtype": "text", "text": text}


def wecom_markdown(message: Message) -> dict[str, Any]:
    title = f"**{escape_markdown(heading(message))}**"
    colour = WECOM_COLOURS.get(message.level)  # type: ignore[arg-type]
    head = f'<font color="{colour}">{title}</font>' if colour else title
    if message.body:
        head += "\n"
    content = _fit(head, message.body, _link_line(message.link, True), WECOM_MARKDOWN_MAX_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _dingtalk_at(message: Message) -> dict[str, Any]:
    return {"atMobiles": list(message.mobiles), "isAtAll": False}


def dingtalk_text(message: Message) -> dict[str, Any]:
    mentions = "".join(f" @{mobile}" for mobile in message.mobiles)
    head = heading(message) + ("\n" if message.body else "")
    content = _fit(head, message.body, _link_line(message.link, False) + mentions, DINGTALK_TEXT_MAX_BYTES)
    return {"msgtype": "text", "text": {"content": content}, "at": _dingtalk_at(message)}


def dingtalk_markdown(message: Message) -> dict[str, Any]:
    """The text must name every @-mentioned mobile (`@138…`), or DingTalk does not ring them."""
    title = heading(message)
    head = f"#### {escape_markdown(title)}" + ("\n\n" if message.body else "")
    mentions = ("\n\n" + " ".join(f"@{mobile}" for mobile in message.mobiles)) if message.mobiles else ""
    text = _fit(head, message.body, _link_line(message.link, True) + mentions, DINGTALK_TEXT_MAX_BYTES)
    return {
        "msgtype": "markdown",
        "markdown": {"title": truncate_utf8(title, 256), "text": text},
        "at": _dingtalk_at(message),
    }


def encode_body(body: dict[str, Any]) -> bytes:
    """The bytes that go on the wire (UTF-8, not \\u-escaped: the 20 KB limit counts these)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _fit_json(build: Callable[[str], dict[str, Any]], text: str, max_bytes: int) -> dict[str, Any]:
    """build(text) with text shortened until the encoded body is within max_bytes.

    Cutting `over` bytes of text shrinks the JSON by at least as much (escapes only grow), so
    this takes one round but for a title alone past the limit.
    """
    body = build(text)
    while text and (over := len(encode_body(body)) - max_bytes) > 0:
        text = truncate_utf8(text, utf8_len(text) - over) if utf8_len(text) > over else ""
        body = build(text)
    return body


def _feishu_signed(body: dict[str, Any], secret: str, timestamp_s: int) -> dict[str, Any]:
    if not secret:
        return body
    return {"timestamp": str(timestamp_s), "sign": feishu_sign(secret, timestamp_s), **body}


def feishu_text(message: Message, *, secret: str = "", timestamp_s: int = 0) -> dict[str, Any]:
    head = heading(message) + ("\n" if message.body else "")
    tail = _link_line(message.link, False)

    def build(text: str) -> dict[str, Any]:
        return _feishu_signed({"msg_type": "text", "content": {"text": head + text + tail}}, secret, timestamp_s)

    return _fit_json(build, message.body, FEISHU_BODY_MAX_BYTES)


def feishu_card(message: Message, *, secret: str = "", timestamp_s: int = 0) -> dict[str, Any]:
    template = FEISHU_TEMPLATES.get(message.level, FEISHU_TEMPLATE_NO_LEVEL)  # type: ignore[arg-type]
    title = truncate_utf8(heading(message), 1024)
    tail = _link_line(message.link, True)
    if not message.body:
        tail = tail.lstrip("\n")

    def build(text: str) -> dict[str, Any]:
        content = text + tail
        card: dict[str, Any] = {"header": {"title": {"tag": "plain_text", "content": title}, "template": template}}
        card["elements"] = [{"tag": "div", "text": {"tag": "lark_md", "content": content}}] if content else []
        return _feishu_signed({"msg_type": "interactive", "card": card}, secret, timestamp_s)

    return _fit_json(build, message.body, FEISHU_BODY_MAX_BYTES)


def build_request(
    kind: str, *, webhook_url: str, secret: str, message: Message, timestamp: float
) -> tuple[str, dict[str, Any]]:
    """(url, json body) of one robot message; `timestamp` is the Unix time of sending, in seconds."""
    if kind == WECOM:
        return webhook_url, (wecom_text(message) if message.mobiles else wecom_markdown(message))
    if kind == DINGTALK:
        url = dingtalk_signed_url(webhook_url, secret, int(timestamp * 1000)) if secret else webhook_url
        return url, dingtalk_markdown(message)
    if kind == FEISHU:
        return webhook_url, feishu_card(message, secret=secret, timestamp_s=int(timestamp))
    raise ValueError(f"Not a robot kind: {kind!r}")


# ---------------------------------------------------------------- answers


def _platform_code(kind: str, payload: Any) -> tuple[int | None, str]:
    if not isinstance(payload, dict):
        return None, ""
    names = (("code", "msg"), ("StatusCode", "StatusMessage")) if kind == FEISHU else (("errcode", "errmsg"),)
    for code_name, message_name in names:
        if code_name in payload:
            try:
                return int(payload[code_name]), str(payload.get(message_name, ""))
            except (TypeError, ValueError):
                return None, str(payload.get(message_name, ""))
    return None, ""


def classify_response(kind: str, http_status: int, payload: Any) -> Outcome:
    """What a platform's answer means: sent, try again later, the channel is set up wrong, or failed.

    HTTP 429, 408 and 5xx are tried again whatever the body says; otherwise the platform's code
    decides (DOMAIN.md), and an answer without one is judged by the HTTP status.
    """
    code, text = _platform_code(kind, payload)
    if http_status in (408, 429) or http_status >= 500:
        return Outcome(RETRY, str(code if code not in (None, 0) else http_status), text or f"HTTP {http_status}")
    if code is None:
        if 200 <= http_status < 300:
            return Outcome(ERROR, str(http_status), _("平台应答无法识别"))
        if http_status in (401, 403, 404):
            return Outcome(CONFIG_ERROR, str(http_status), text or f"HTTP {http_status}")
        return Outcome(ERROR, str(http_status), text or f"HTTP {http_status}")
    if code == 0 and 200 <= http_status < 300:
        return Outcome(SUCCESS, "0", text)
    if code in RETRY_CODES.get(kind, ()):
        return Outcome(RETRY, str(code), text)
    if code in CONFIG_ERROR_CODES.get(kind, ()):
        return Outcome(CONFIG_ERROR, str(code), text)
    return Outcome(ERROR, str(code), text or f"HTTP {http_status}")
