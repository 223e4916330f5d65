"""Robot signing, message bodies, byte limits and answers: the pure functions, against DOMAIN.md."""

from __future__ import annotations

import json

import pytest

from yuqing.notify.services import robots
from yuqing.notify.services.robots import Message, Outcome

ALERT = Message(
    title="某平台出现“暴雷”传言",
    body="微博转发 1.2 万次，评论集中在提现困难。",
    level=1,
    link="https://yq.example.com/w/1",
)


def test_dingtalk_signature_matches_the_domain_test_vector():
    assert robots.dingtalk_sign("SECtest0123456789", 1700000000000) == "yBKp5IlG6qCzcQWmgyRK/ziJBdVNJmHfFE2ST/CzT/g="


def test_dingtalk_signature_is_url_encoded_for_the_query_string():
    assert (
        robots.dingtalk_sign_urlencoded("SECtest0123456789", 1700000000000)
        == "yBKp5IlG6qCzcQWmgyRK%2FziJBdVNJmHfFE2ST%2FCzT%2Fg%3D"
    )


def test_feishu_signature_matches_the_domain_test_vector():
    assert robots.feishu_sign("testsecret", 1700000000) == "AOc8oJ7//5OlQlfWC3nRL0R+IkuzcD1FKcAyibRK9Q8="


def test_a_signed_dingtalk_request_carries_timestamp_and_sign_in_the_query_string():
    url, _ = robots.build_request(
        "dingtalk",
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=TOKEN",
        secret="SECtest0123456789",
        message=ALERT,
        timestamp=1700000000.0,
    )
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=TOKEN"
        "&timestamp=1700000000000&sign=yBKp5IlG6qCzcQWmgyRK%2FziJBdVNJmHfFE2ST%2FCzT%2Fg%3D"
    )


def test_an_unsigned_dingtalk_request_keeps_the_url():
    url, _ = robots.build_request(
        "dingtalk",
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=T",
        secret="",
        message=ALERT,
        timestamp=1,
    )
    assert url == "https://oapi.dingtalk.com/robot/send?access_token=T"


def test_wecom_markdown_colours_the_title_by_level():
    assert robots.wecom_markdown(ALERT) == {
        "msgtype": "markdown",
        "markdown": {
            "content": '<font color="warning">**【红色 I 级】某平台出现“暴雷”传言**</font>\n'
            "微博转发 1.2 万次，评论集中在提现困难。\n\n[查看详情](https://yq.example.com/w/1)"
        },
    }


@pytest.mark.parametrize(("level", "colour"), [(1, "warning"), (2, "warning"), (3, "comment"), (4, "info")])
def test_wecom_markdown_colours(level, colour):
    content = robots.wecom_markdown(Message(title="t", level=level))["markdown"]["content"]
    assert content.startswith(f'<font color="{colour}">**【')


def test_wecom_with_mobiles_sends_text_that_mentions_them():
    message = Message(title="t", body="b", level=4, mobiles=("13800138000", "13900139000"))
    _, body = robots.build_request("wecom", webhook_url="u", secret="", message=message, timestamp=0)
    assert body == {
        "msgtype": "text",
        "text": {"content": "【蓝色 IV 级】t\nb", "mentioned_mobile_list": ["13800138000", "13900139000"]},
    }


def test_dingtalk_markdown_has_a_title_and_names_the_mentioned_mobiles_in_its_text():
    message = Message(title="t", body="b", level=2, link="https://x/1", mobiles=("13800138000",))
    assert robots.dingtalk_markdown(message) == {
        "msgtype": "markdown",
        "markdown": {
            "title": "【橙色 II 级】t",
            "text": "#### 【橙色 II 级】t\n\nb\n\n[查看详情](https://x/1)\n\n@13800138000",
        },
        "at": {"atMobiles": ["13800138000"], "isAtAll": False},
    }


def test_dingtalk_text_message_shape():
    assert robots.dingtalk_text(Message(title="t", body="b", mobiles=("13800138000",))) == {
        "msgtype": "text",
        "text": {"content": "t\nb @13800138000"},
        "at": {"atMobiles": ["13800138000"], "isAtAll": False},
    }


@pytest.mark.parametrize(("level", "template"), [(1, "red"), (2, "orange"), (3, "yellow"), (4, "blue"), (None, "grey")])
def test_feishu_card_header_takes_the_level_colour(level, template):
    assert robots.feishu_card(Message(title="t", level=level))["card"]["header"]["template"] == template


def test_feishu_signed_card_carries_timestamp_and_sign_in_the_body():
    assert robots.feishu_card(ALERT, secret="testsecret", timestamp_s=1700000000) == {
        "timestamp": "1700000000",
        "sign": "AOc8oJ7//5OlQlfWC3nRL0R+IkuzcD1FKcAyibRK9Q8=",
        "msg_type": "interactive",
        "card": {
            "header": {
                "title": {"tag": "plain_text", "content": "【红色 I 级】某平台出现“暴雷”传言"},
                "template": "red",
            },
            "elements": [
                {
                    "tag": "div",
                    "text": {
                        "tag": "lark_md",
                        "content": "微博转发 1.2 万次，评论集中在提现困难。\n\n[查看详情](https://yq.example.com/w/1)",
                    },
                }
            ],
        },
    }


def test_feishu_text_message_shape():
    assert robots.feishu_text(Message(title="t", body="b")) == {"msg_type": "text", "content": {"text": "t\nb"}}


def test_titles_from_outside_cannot_inject_markdown_links_or_mentions():
    message = Message(title="点[这里](https://evil.example)领取 <@all>", level=3)
    content = robots.wecom_markdown(message)["markdown"]["content"]
    assert "](https://evil.example)" not in content
    assert "<@all>" not in content
    assert "点［这里］(https://evil.example)领取 ＜@all＞" in content


# ---------------------------------------------------------------- limits


def test_truncation_cuts_on_a_character_boundary_and_adds_an_ellipsis():
    text = "舆情" * 10  # 60 bytes
    cut = robots.truncate_utf8(text, 10)
    assert cut == "舆情…"  # 6 bytes + 3 for the ellipsis; a 4th byte would split 舆
    assert robots.utf8_len(cut) <= 10
    assert robots.truncate_utf8(text, 60) == text


@pytest.mark.parametrize("max_bytes", range(3, 12))
def test_truncation_never_exceeds_the_limit_nor_breaks_utf8(max_bytes):
    cut = robots.truncate_utf8("a舆😀情b" * 5, max_bytes)
    assert robots.utf8_len(cut) <= max_bytes
    cut.encode("utf-8")  # a valid string


def test_wecom_markdown_stays_within_4096_bytes_and_keeps_the_link():
    content = robots.wecom_markdown(Message(title="标题", body="舆" * 5000, level=1, link="https://x/1"))["markdown"][
        "content"
    ]
    assert robots.utf8_len(content) <= 4096
    assert content.endswith("…\n\n[查看详情](https://x/1)")


def test_wecom_text_stays_within_2048_bytes():
    body = robots.wecom_text(Message(title="标题", body="情" * 5000, mobiles=("13800138000",)))
    assert robots.utf8_len(body["text"]["content"]) <= 2048
    assert body["text"]["content"].endswith("…")


def test_a_feishu_request_body_stays_within_20_kb_with_escapes_and_signature():
    message = Message(title="标题", body='引号"与换行\n' * 3000, level=2, link="https://x/1")
    body = robots.feishu_card(message, secret="s", timestamp_s=1700000000)
    encoded = robots.encode_body(body)
    assert len(encoded) <= 20 * 1024
    content = json.loads(encoded)["card"]["elements"][0]["text"]["content"]
    assert content.endswith("…\n\n[查看详情](https://x/1)")


def test_a_short_message_is_not_touched():
    assert "…" not in robots.wecom_markdown(ALERT)["markdown"]["content"]


# ---------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("kind", "status", "payload", "expected"),
    [
        ("wecom", 200, {"errcode": 0, "errmsg": "ok"}, Outcome("ok", "0", "ok")),
        ("dingtalk", 200, {"errcode": 0, "errmsg": "ok"}, Outcome("ok", "0", "ok")),
        ("feishu", 200, {"code": 0, "msg": "success"}, Outcome("ok", "0", "success")),
        ("feishu", 200, {"StatusCode": 0, "StatusMessage": "success"}, Outcome("ok", "0", "success")),
        (
            "wecom",
            200,
            {"errcode": 45009, "errmsg": "api freq out of limit"},
            Outcome("retry", "45009", "api freq out of limit"),
        ),
        ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}, Outcome("retry", "130101", "send too fast")),
        ("feishu", 200, {"code": 11232, "msg": "frequency limited"}, Outcome("retry", "11232", "frequency limited")),
        (
            "wecom",
            200,
            {"errcode": 93000, "errmsg": "invalid webhook url"},
            Outcome("config_error", "93000", "invalid webhook url"),
        ),
        ("wecom", 200, {"errcode": 40058, "errmsg": "too long"}, Outcome("config_error", "40058", "too long")),
        (
            "dingtalk",
            200,
            {"errcode": 310000, "errmsg": "keywords not in content"},
            Outcome("config_error", "310000", "keywords not in content"),
        ),
        (
            "dingtalk",
            200,
            {"errcode": 300001, "errmsg": "token is not exist"},
            Outcome("config_error", "300001", "token is not exist"),
        ),
        ("feishu", 200, {"code": 19021, "msg": "sign match fail"}, Outcome("config_error", "19021", "sign match fail")),
        ("feishu", 400, {"code": 19022, "msg": "ip not allowed"}, Outcome("config_error", "19022", "ip not allowed")),
        (
            "feishu",
            200,
            {"code": 19024, "msg": "Key Words Not Found"},
            Outcome("config_error", "19024", "Key Words Not Found"),
        ),
        ("feishu", 400, {"code": 9499, "msg": "Bad Request"}, Outcome("config_error", "9499", "Bad Request")),
        ("wecom", 429, None, Outcome("retry", "429", "HTTP 429")),
        ("dingtalk", 502, None, Outcome("retry", "502", "HTTP 502")),
        ("feishu", 503, {"code": 0}, Outcome("retry", "503", "HTTP 503")),
        ("wecom", 404, None, Outcome("config_error", "404", "HTTP 404")),
        (
            "wecom",
            200,
            {"errcode": 40008, "errmsg": "invalid message type"},
            Outcome("error", "40008", "invalid message type"),
        ),
    ],
)
def test_answers_are_classified_as_domain_md_says(kind, status, payload, expected):
    assert robots.classify_response(kind, status, payload) == expected


def test_an_answer_without_a_code_is_an_error_not_a_success():
    assert robots.classify_response("wecom", 200, None).status == "error"
    assert robots.classify_response("feishu", 200, {"data": {}}).status == "error"
