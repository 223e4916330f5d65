"""Deliveries through a real HTTP server standing in for the robots: bodies, signatures, answers,
retries with back-off, no retry on configuration errors, digests, rate limits, dedupe, holds."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.http import Http404
from django_rq import get_queue
from rq.registry import ScheduledJobRegistry

from tests.factories import DepartmentFactory, MembershipFactory
from yuqing.notify.jobs import deliveries_send
from yuqing.notify.models import Channel, Delivery, Notification
from yuqing.notify.services import delivery_enqueue, notify_channels, robots
from yuqing.notify.services.dispatch import deliveries_send_due
from yuqing.tenancy.models import Role

Status = Delivery.Status
ALERT = {
    "title": "某平台出现“暴雷”传言",
    "body": "微博转发 1.2 万次，评论集中在提现困难。",
    "level": 1,
    "link": "https://yq.example.com/w/1",
}


def enqueue(tenant, channel, **fields) -> Delivery:
    return delivery_enqueue(tenant=tenant, channel=channel, **{**ALERT, **fields})


def reload(delivery: Delivery) -> Delivery:
    return Delivery.objects.for_tenant(delivery.tenant).get(pk=delivery.pk)


def scheduled_jobs() -> list:
    queue = get_queue("notify")
    return [queue.fetch_job(job_id) for job_id in ScheduledJobRegistry(queue=queue).get_job_ids()]


# ---------------------------------------------------------------- what goes on the wire


def test_wecom_gets_the_markdown_body_exactly(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "sent"
    [request] = robot_server.requests
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == {"key": "robot-key-0123456789"}
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": '<font color="warning">**【红色 I 级】某平台出现“暴雷”传言**</font>\n'
            "微博转发 1.2 万次，评论集中在提现困难。\n\n[查看详情](https://yq.example.com/w/1)"
        },
    }
    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Status.SENT, 1, "")
    assert delivery.sent_at is not None
    assert delivery.response_excerpt == '{"errcode": 0, "errmsg": "ok"}'
    channel.refresh_from_db()
    assert channel.last_success_at == delivery.sent_at


def test_wecom_with_mobiles_sends_a_text_that_mentions_them(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom", mention_mobiles=["13800138000"])
    enqueue(tenant_a, channel, level=4, link="")
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert robot_server.requests[0].json == {
        "msgtype": "text",
        "text": {
            "content": "【蓝色 IV 级】某平台出现“暴雷”传言\n微博转发 1.2 万次，评论集中在提现困难。",
            "mentioned_mobile_list": ["13800138000"],
        },
    }


def test_dingtalk_is_signed_in_the_query_string(tenant_a, make_channel, robot_server):
    secret = "SECtest0123456789"
    channel = make_channel(tenant_a, "dingtalk", secret=secret, mention_mobiles=["13800138000"])
    enqueue(tenant_a, channel, level=2)
    before = int(time.time() * 1000)
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    [request] = robot_server.requests
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == "robot-key-0123456789"
    timestamp = int(request.query["timestamp"])
    assert before <= timestamp <= int(time.time() * 1000)
    assert request.query["sign"] == robots.dingtalk_sign(secret, timestamp)  # parse_qsl decoded it
    assert f"sign={robots.dingtalk_sign_urlencoded(secret, timestamp)}" in request.raw_query
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": "【橙色 II 级】某平台出现“暴雷”传言",
            "text": "#### 【橙色 II 级】某平台出现“暴雷”传言\n\n微博转发 1.2 万次，评论集中在提现困难。\n\n"
            "[查看详情](https://yq.example.com/w/1)\n\n@13800138000",
        },
        "at": {"atMobiles": ["13800138000"], "isAtAll": False},
    }


def test_feishu_is_signed_in_the_body(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "feishu", secret="testsecret")
    enqueue(tenant_a, channel, level=3)
    before = int(time.time())
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    [request] = robot_server.requests
    assert request.path == "/open-apis/bot/v2/hook/robot-key-0123456789"
    assert request.query == {}
    body = request.json
    timestamp = int(body.pop("timestamp"))
    assert before <= timestamp <= int(time.time())
    assert body.pop("sign") == robots.feishu_sign("testsecret", timestamp)
    assert body == {
        "msg_type": "interactive",
        "card": {
            "header": {
                "title": {"tag": "plain_text", "content": "【黄色 III 级】某平台出现“暴雷”传言"},
                "template": "yellow",
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


def test_an_unsigned_feishu_robot_gets_no_timestamp_or_sign(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "feishu")
    enqueue(tenant_a, channel)
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert "sign" not in robot_server.requests[0].json
    assert "timestamp" not in robot_server.requests[0].json


# ---------------------------------------------------------------- answers: retry, or not


@pytest.mark.parametrize(
    ("kind", "answer", "blocked"),
    [
        ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, dt.timedelta(minutes=1)),
        ("dingtalk", {"errcode": 130101, "errmsg": "send too fast"}, dt.timedelta(minutes=10)),
        ("feishu", {"code": 11232, "msg": "frequency limited"}, dt.timedelta(minutes=1)),
    ],
)
def test_a_rate_limit_answer_is_retried_after_a_back_off(
    tenant_a, make_channel, robot_server, later, kind, answer, blocked
):
    channel = make_channel(tenant_a, kind)
    delivery = enqueue(tenant_a, channel)
    robot_server.reply((200, answer))
    result = deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later)
    assert result.status == "retrying"
    delivery = reload(delivery)
    code = str(answer.get("errcode", answer.get("code")))
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Status.RETRYING, 1, code)
    assert delivery.next_attempt_at == later + blocked
    assert [job.func_name for job in scheduled_jobs()] == ["yuqing.notify.jobs.deliveries_send"]
    channel.refresh_from_db()
    assert channel.last_error_code == ""  # a rate limit is not the administrator's problem

    # Before its time nothing is sent (the platform blocks the robot meanwhile); then it goes.
    assert deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + blocked / 2).status == "idle"
    assert deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + blocked).status == "sent"
    assert len(robot_server.requests) == 2
    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Status.SENT, 2, "")


def test_retries_back_off_1_2_4_8_minutes_and_fail_after_the_fifth_attempt(tenant_a, make_channel, robot_server, later):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    robot_server.reply(*[(503, b"Service Unavailable")] * 5)
    now = later
    waits = []
    for _attempt in range(4):
        assert deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=now).status == "retrying"
        row = reload(delivery)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == [dt.timedelta(minutes=minutes) for minutes in (1, 2, 4, 8)]
    assert deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=now).status == "failed"
    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Status.FAILED, 5, "503")
    assert delivery.next_attempt_at is None
    assert len(robot_server.requests) == 5
    channel.refresh_from_db()
    assert channel.last_error_code == "503"


@pytest.mark.parametrize(
    ("kind", "answer", "code"),
    [
        ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "93000"),
        ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}, "310000"),
        ("feishu", {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, "19021"),
    ],
)
def test_a_configuration_error_fails_at_once_and_shows_on_the_channel(
    tenant_a, make_channel, robot_server, kind, answer, code
):
    channel = make_channel(tenant_a, kind)
    delivery = enqueue(tenant_a, channel)
    robot_server.reply((200, answer))
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "failed"
    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Status.FAILED, 1, code)
    assert delivery.error_message == (answer.get("errmsg") or answer.get("msg"))
    assert delivery.next_attempt_at is None
    assert scheduled_jobs() == []
    channel.refresh_from_db()
    assert (channel.last_error_code, channel.last_error_message) == (code, delivery.error_message)
    # Nothing more is tried, whoever runs the job.
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert len(robot_server.requests) == 1


def test_a_network_error_is_retried(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    robot_server.stop()  # connection refused
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "retrying"
    delivery = reload(delivery)
    assert (delivery.status, delivery.error_code) == (Status.RETRYING, "network")
    assert delivery.error_message.startswith("网络错误")
    robot_server.start()


def test_a_webhook_no_longer_allowed_is_a_configuration_error_at_send_time(
    tenant_a, make_channel, robot_server, settings
):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    settings.NOTIFY_ALLOW_INSECURE_WEBHOOKS = False
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert reload(delivery).status == Status.FAILED
    assert reload(delivery).error_code == "webhook"
    assert robot_server.requests == []


# ---------------------------------------------------------------- bursts: digests and rate limits


def test_a_burst_of_30_goes_out_as_one_digest_within_the_byte_limit(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    rows = [
        enqueue(
            tenant_a, channel, title=f"预警 {n} 号：逾期传闻", level=1 + n % 4, link=f"https://yq.example.com/w/{n}"
        )
        for n in range(30)
    ]
    result = deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert result["status"] == "sent"
    assert result["merged"] == 30
    assert len(robot_server.requests) == 1
    content = robot_server.requests[0].json["markdown"]["content"]
    assert robots.utf8_len(content) <= 4096
    assert content.startswith('<font color="warning">**【红色 I 级】舆情预警汇总（30 条）**</font>\n')
    assert "1. 【红色 I 级】预警 0 号：逾期传闻 [详情](https://yq.example.com/w/0)" in content
    assert "2. 【橙色 II 级】预警 1 号：逾期传闻 [详情](https://yq.example.com/w/1)" in content
    digest = Delivery.objects.for_tenant(tenant_a).get(pk=result["delivery_id"])
    assert (digest.is_digest, digest.status, digest.level) == (True, Status.SENT, 1)
    for row in rows:
        row = reload(row)
        assert (row.status, row.digest_id) == (Status.MERGED, digest.pk)
        assert row.sent_at == digest.sent_at


def test_a_digest_too_long_for_the_robot_says_how_many_more_there_are(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    for n in range(200):
        enqueue(tenant_a, channel, title=f"第 {n} 条：" + "某融资租赁公司被投诉暴力催收" * 3)
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    content = robot_server.requests[0].json["markdown"]["content"]
    assert robots.utf8_len(content) <= 4096
    assert "舆情预警汇总（200 条）" in content
    assert "……另有" in content
    assert "请登录系统查看。" in content
    assert "…\n\n" not in content  # the lines fit: nothing was cut mid-line


def test_a_burst_never_exceeds_the_robots_rate_limit(tenant_a, make_channel, robot_server, later):
    """Messages arriving one by one, each with its own job: 20 go out this minute, the rest wait
    and go out as one digest in the next minute."""
    channel = make_channel(tenant_a, "dingtalk")
    statuses = []
    for n in range(25):
        enqueue(tenant_a, channel, title=f"预警 {n}")
        statuses.append(deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later).status)
    assert statuses == ["sent"] * 20 + ["throttled"] * 5
    assert len(robot_server.requests) == 20
    waiting = Delivery.objects.for_tenant(tenant_a).filter(status=Status.QUEUED)
    assert waiting.count() == 5
    assert scheduled_jobs()  # the next minute's job
    next_minute = later.replace(second=0) + dt.timedelta(minutes=1, seconds=1)
    result = deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=next_minute)
    assert (result.status, result.merged) == ("sent", 5)
    assert len(robot_server.requests) == 21
    assert "舆情预警汇总（5 条）" in robot_server.requests[-1].json["markdown"]["title"]


def test_a_channels_own_lower_limit_applies(tenant_a, make_channel, robot_server, later):
    channel = make_channel(tenant_a, "feishu", rate_limit_per_minute=2)
    statuses = []
    for n in range(3):
        enqueue(tenant_a, channel, title=f"预警 {n}")
        statuses.append(
            deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + dt.timedelta(seconds=n * 2)).status
        )
    assert statuses == ["sent", "sent", "throttled"]


def test_feishu_sends_at_most_5_a_second(tenant_a, make_channel, robot_server, later):
    channel = make_channel(tenant_a, "feishu")
    statuses = []
    for n in range(6):
        enqueue(tenant_a, channel, title=f"预警 {n}")
        statuses.append(deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later).status)
    assert statuses == ["sent"] * 5 + ["throttled"]
    assert (
        deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + dt.timedelta(seconds=1)).status
        == "sent"
    )


def test_a_digest_waiting_for_its_retry_takes_in_newer_messages(tenant_a, make_channel, robot_server, later):
    channel = make_channel(tenant_a, "wecom")
    for n in range(3):
        enqueue(tenant_a, channel, title=f"早 {n}")
    robot_server.reply((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    first = deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later)
    assert (first.status, first.merged) == ("retrying", 3)
    for n in range(2):
        enqueue(tenant_a, channel, title=f"晚 {n}")
    second = deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + dt.timedelta(minutes=1))
    assert (second.status, second.merged) == ("sent", 5)
    content = robot_server.requests[-1].json["markdown"]["content"]
    assert "舆情预警汇总（5 条）" in content
    assert all(title in content for title in ("早 0", "早 2", "晚 1"))
    assert Delivery.objects.for_tenant(tenant_a).get(pk=first.delivery_id).digest_id == second.delivery_id
    assert Delivery.objects.for_tenant(tenant_a).filter(digest_id=second.delivery_id).count() == 6  # 5 + the old digest


# ---------------------------------------------------------------- once, later, elsewhere


def test_a_dedupe_key_delivers_once(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    first = enqueue(tenant_a, channel, dedupe_key="warning:7:1")
    assert enqueue(tenant_a, channel, dedupe_key="warning:7:1") is None
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert enqueue(tenant_a, channel, dedupe_key="warning:7:1") is None  # after sending too
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert len(robot_server.requests) == 1
    assert Delivery.objects.for_tenant(tenant_a).filter(dedupe_key="warning:7:1").get() == first
    other = make_channel(tenant_a, "feishu")
    assert enqueue(tenant_a, other, dedupe_key="warning:7:1") is not None  # once per channel


def test_a_held_delivery_goes_out_when_its_hold_ends(tenant_a, make_channel, robot_server, later):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel, hold_until=later + dt.timedelta(hours=1))
    assert (delivery.status, delivery.next_attempt_at) == (Status.HELD, later + dt.timedelta(hours=1))
    assert deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later).status == "idle"
    assert robot_server.requests == []
    assert (
        deliveries_send_due(tenant=tenant_a, channel_id=channel.pk, now=later + dt.timedelta(hours=1)).status == "sent"
    )
    assert reload(delivery).status == Status.SENT


def test_a_hold_in_the_past_is_no_hold(tenant_a, make_channel):
    channel = make_channel(tenant_a, "wecom")
    assert enqueue(tenant_a, channel, hold_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).status == Status.QUEUED


def test_a_feishu_hold_ending_on_the_hour_moves_off_the_peak(tenant_a, make_channel, later):
    channel = make_channel(tenant_a, "feishu")
    eight = later.replace(minute=0, second=0) + dt.timedelta(days=1)
    assert enqueue(tenant_a, channel, hold_until=eight).next_attempt_at == eight + dt.timedelta(minutes=1)


def test_an_inactive_channel_takes_nothing_and_fails_what_it_had(tenant_a, make_channel, robot_server):
    channel = make_channel(tenant_a, "wecom")
    delivery = enqueue(tenant_a, channel)
    Channel.objects.for_tenant(tenant_a).filter(pk=channel.pk).update(is_active=False)
    channel.refresh_from_db()
    assert enqueue(tenant_a, channel) is None
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "inactive"
    assert (reload(delivery).status, reload(delivery).error_code) == (Status.FAILED, "inactive")
    assert robot_server.requests == []


def test_email_goes_to_the_channels_recipients(tenant_a, make_channel):
    channel = make_channel(tenant_a, "email", email_recipients="duty@example.com\nrisk@example.com")
    delivery = enqueue(tenant_a, channel)
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "sent"
    [message] = mail.outbox
    assert message.to == ["duty@example.com", "risk@example.com"]
    assert message.subject == "【红色 I 级】某平台出现“暴雷”传言"
    assert message.body == "微博转发 1.2 万次，评论集中在提现困难。\n\n详情：https://yq.example.com/w/1"
    assert reload(delivery).status == Status.SENT


def test_portal_deliveries_notify_the_duty_roster_once(tenant_a, make_channel, admin_a, handler_a):
    manager = MembershipFactory(tenant=tenant_a, role=Role.MANAGER)
    MembershipFactory(tenant=tenant_a, role=Role.MANAGER, is_active=False)
    channel = make_channel(tenant_a, "portal", target_roles=["manager", "admin"])
    delivery = enqueue(tenant_a, channel, link="/monitoring/warnings/1/")
    assert deliveries_send(tenant_a.pk, channel_id=channel.pk)["status"] == "sent"
    notes = Notification.objects.for_tenant(tenant_a).order_by("recipient_id")
    assert {note.recipient_id for note in notes} == {admin_a.pk, manager.pk}
    note = notes[0]
    assert (note.kind, note.title, note.link) == (
        "warning",
        "【红色 I 级】某平台出现“暴雷”传言",
        "/monitoring/warnings/1/",
    )
    assert reload(delivery).response_excerpt == "已通知 2 人"


def test_portal_deliveries_can_target_a_department(tenant_a, make_channel, handler_a):
    department = DepartmentFactory(tenant=tenant_a, name="舆情专班")
    member = MembershipFactory(tenant=tenant_a, department=department, role=Role.HANDLER)
    channel = make_channel(tenant_a, "portal", department=department)
    enqueue(tenant_a, channel, level=None)
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    [note] = Notification.objects.for_tenant(tenant_a)
    assert (note.recipient_id, note.kind) == (member.pk, "info")


def test_a_portal_channel_with_nobody_to_notify_is_a_configuration_error(tenant_a, make_channel):
    department = DepartmentFactory(tenant=tenant_a, name="空部门")
    channel = make_channel(tenant_a, "portal", department=department)
    delivery = enqueue(tenant_a, channel)
    deliveries_send(tenant_a.pk, channel_id=channel.pk)
    assert (reload(delivery).status, reload(delivery).error_code) == (Status.FAILED, "no_recipients")


def test_notify_channels_fans_out_once_per_channel(tenant_a, make_channel, robot_server):
    wecom, feishu = make_channel(tenant_a, "wecom"), make_channel(tenant_a, "feishu")
    deliveries = notify_channels(tenant=tenant_a, channels=[wecom, feishu.pk, wecom], dedupe_key="w:1", **ALERT)
    assert {delivery.channel_id for delivery in deliveries} == {wecom.pk, feishu.pk}
    assert notify_channels(tenant=tenant_a, channels=[wecom, feishu], dedupe_key="w:1", **ALERT) == []


# ---------------------------------------------------------------- tenants


def test_a_channel_of_another_tenant_cannot_be_used(tenant_a, tenant_b, make_channel, robot_server):
    channel_b = make_channel(tenant_b, "wecom")
    with pytest.raises(ValueError, match="channel must belong to the tenant"):
        enqueue(tenant_a, channel_b)
    with pytest.raises(Http404):
        notify_channels(tenant=tenant_a, channels=[channel_b.pk], **ALERT)
    with pytest.raises(ValueError):
        notify_channels(tenant=tenant_a, channels=[channel_b], **ALERT)
    assert not Delivery.objects.for_tenant(tenant_b).exists()
    assert not Delivery.objects.for_tenant(tenant_a).exists()


def test_a_send_job_for_another_tenants_channel_does_nothing(tenant_a, tenant_b, make_channel, robot_server):
    channel_b = make_channel(tenant_b, "wecom")
    delivery = enqueue(tenant_b, channel_b)
    assert deliveries_send(tenant_a.pk, channel_id=channel_b.pk)["status"] == "idle"
    assert robot_server.requests == []
    assert reload(delivery).status == Status.QUEUED


# ---------------------------------------------------------------- after commit


def test_the_send_job_is_enqueued_after_commit_once_per_channel(
    tenant_a, make_channel, django_capture_on_commit_callbacks, settings
):
    wecom, feishu = make_channel(tenant_a, "wecom"), make_channel(tenant_a, "feishu")
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "on_db_commit"}  # production's: jobs wait for the commit
    queue = get_queue("notify")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(5):
            enqueue(tenant_a, wecom, title=f"预警 {n}")
        enqueue(tenant_a, feishu)
        assert queue.count == 0  # nothing before the commit
    assert len(callbacks) == 2
    jobs = queue.get_jobs()
    assert sorted((job.func_name, job.args, job.kwargs["channel_id"]) for job in jobs) == sorted(
        ("yuqing.notify.jobs.deliveries_send", (tenant_a.pk,), channel.pk) for channel in (wecom, feishu)
    )


def test_a_held_delivery_enqueues_no_job(tenant_a, make_channel, django_capture_on_commit_callbacks, later):
    channel = make_channel(tenant_a, "wecom")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue(tenant_a, channel, hold_until=later)
    assert callbacks == []
