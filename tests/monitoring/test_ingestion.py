"""Ingestion: normalisation, validation with per-item reasons, de-duplication, reposts, and the queue."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import PermissionDenied

from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import Mention, MentionRepost, Source
from yuqing.monitoring.services.ingestion import ACCEPTED, DUPLICATE, REJECTED, mentions_ingest
from yuqing.monitoring.services.ingestion.batch import Batch
from yuqing.monitoring.services.ingestion.normalize import (
    canonical_url,
    content_fingerprint,
    normalize_text,
    parse_count,
    parse_datetime,
    traditional_to_simplified,
)
from yuqing.tenancy.context import TenantMismatch

CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def weibo(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)


@pytest.fixture
def forum(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="论坛", kind=Source.Kind.FORUM)


def ingest(tenant, source, items, **kwargs):
    return mentions_ingest(tenant=tenant, source=source, items=items, via=Mention.Via.API, **kwargs)


def mentions(tenant):
    return Mention.objects.for_tenant(tenant)


# ---------------------------------------------------------------- normalisation


def test_full_width_letters_digits_and_space_become_half_width_but_chinese_punctuation_stays():
    assert normalize_text("ＸＸ金融　逾期１２３天％，还能提现吗？（急）") == "XX金融 逾期123天%，还能提现吗？（急）"
    assert normalize_text("等等…") == "等等…"
    assert normalize_text("１．２万") == "1.2万"


def test_invisible_characters_are_removed_and_whitespace_collapsed():
    text = "\ufeff跑\u200b路\u200d了\x07  \t 大家\u00a0小心\r\n\r\n\r\n\r\n  第二段  "
    assert normalize_text(text) == "跑路了 大家 小心\n\n第二段"
    assert normalize_text("标题\n第二行", multiline=False) == "标题 第二行"


def test_normalising_twice_changes_nothing():
    text = "ＡＢＣ，　测试…\u200b\n\n\n下一段"
    once = normalize_text(text, to_simplified=True)
    assert normalize_text(once, to_simplified=True) == once


def test_traditional_becomes_simplified_by_script_not_by_vocabulary():
    assert traditional_to_simplified("這家公司違約逾期，貸款無法兌付！") == "这家公司违约逾期，贷款无法兑付！"
    assert traditional_to_simplified("互聯網金融平台跑路") == "互联网金融平台跑路"  # not 因特网
    assert traditional_to_simplified("乾坤與顯著") == "乾坤与显著"
    assert traditional_to_simplified("共用充电宝") == "共用充电宝"  # simplified text is left alone


def test_canonical_url_drops_tracking_parameters_and_fragments():
    url = "HTTPS://WWW.Example.COM:443/news/1.html?utm_source=wx&b=2&spm=a1.b2&a=1&from=timeline&share_token=x#top"
    assert canonical_url(url) == "https://www.example.com/news/1.html?a=1&b=2"
    assert canonical_url("http://example.com") == "http://example.com/"
    assert canonical_url("http://example.com:8080/p?id=7") == "http://example.com:8080/p?id=7"
    assert canonical_url("") == ""
    for bad in ("ftp://example.com/x", "javascript:alert(1)", "www.example.com/x", "http://"):
        with pytest.raises(ValueError):
            canonical_url(bad)


def test_reposts_with_other_spacing_punctuation_script_or_wrappers_share_a_fingerprint():
    original = content_fingerprint("", "某某金融平台跑路了，大家的钱还能拿回来吗？")
    assert content_fingerprint("", "某某金融平台跑路了 大家的钱还能拿回来吗") == original
    assert content_fingerprint("", "某某金融平台跑路了。。。大家的钱还能拿回来吗!!!") == original
    assert content_fingerprint("", "某某金融平臺跑路了，大家的錢還能拿回來嗎？") == original
    assert content_fingerprint("", "转发微博 //@张三：某某金融平台跑路了，大家的钱还能拿回来吗？") == original
    assert content_fingerprint("", "太可怕了//@李四:某某金融平台跑路了，大家的钱还能拿回来吗") == original
    assert content_fingerprint("", "某某金融平台没有跑路，大家的钱都能拿回来") != original


def test_short_bodies_under_different_titles_do_not_collide():
    assert content_fingerprint("某某公司逾期了吗", "如题") != content_fingerprint("某某公司跑路了", "如题")


def test_counts_as_crawlers_write_them():
    assert parse_count("1.2万") == 12_000
    assert parse_count("10万+") == 100_000
    assert parse_count("3亿") == 300_000_000
    assert parse_count("1,234") == 1234
    assert parse_count("") == 0
    assert parse_count(None) == 0
    assert parse_count(12.0) == 12
    for bad in ("很多", True, [1]):
        with pytest.raises(ValueError):
            parse_count(bad)


def test_times_epoch_seconds_and_milliseconds_and_china_time():
    expected = dt.datetime(2026, 3, 1, 9, 30, tzinfo=CHINA)
    seconds = int(expected.timestamp())
    assert parse_datetime(seconds) == expected
    assert parse_datetime(seconds * 1000) == expected
    assert parse_datetime(str(seconds * 1000)) == expected
    assert parse_datetime("2026-03-01 09:30:00") == expected
    assert parse_datetime("2026/3/1 9:30") == expected
    assert parse_datetime("2026年3月1日 09:30") == expected
    assert parse_datetime("2026-03-01T01:30:00Z") == expected
    assert parse_datetime(dt.datetime(2026, 3, 1, 9, 30)) == expected  # naive is China time
    for bad in ("昨天", "2026-13-01 00:00:00", 0, -5, True):
        with pytest.raises(ValueError):
            parse_datetime(bad)


# ---------------------------------------------------------------- storing


# Its item was published on 2026-03-01: a day before that, the service would rightly reject it as future.
@pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_an_item_is_stored_pending_with_its_provenance(tenant_a, weibo):
    report = ingest(
        tenant_a,
        weibo,
        [
            {
                "external_id": 4987654321,
                "url": "https://weibo.com/123/AbC?utm_source=app#comments",
                "title": "",
                "body": "某某金融　逾期　ＡＰＰ无法提现",
                "published_at": "2026-03-01 09:30:00",
                "likes": "1.2万",
                "comments": "356",
                "shares": 8,
                "keyword": "某某金融",
                "extra": {"ip_location": "广东"},
            }
        ],
    )
    assert report.accepted == 1 and report.results[0].status == ACCEPTED
    mention = mentions(tenant_a).get(pk=report.results[0].mention_id)
    assert mention.status == Mention.Status.PENDING
    assert mention.external_id == "4987654321"
    assert mention.url == "https://weibo.com/123/AbC"
    assert mention.body == "某某金融 逾期 APP无法提现"
    assert mention.likes == 12_000 and mention.comments == 356 and mention.shares == 8
    assert mention.published_at == dt.datetime(2026, 3, 1, 9, 30, tzinfo=CHINA)
    assert mention.retrieved_at is not None and mention.via == Mention.Via.API
    assert mention.content_hash == content_fingerprint("", mention.body)
    assert mention.extra == {"ip_location": "广东"}


def test_a_source_set_to_simplified_converts_traditional_text(tenant_a, weibo):
    weibo.to_simplified = True
    weibo.save()
    report = ingest(tenant_a, weibo, [{"title": "貸款違約", "body": "這家公司違約了"}])
    mention = mentions(tenant_a).get(pk=report.results[0].mention_id)
    assert (mention.title, mention.body) == ("贷款违约", "这家公司违约了")


def test_without_the_setting_traditional_text_is_kept(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"body": "這家公司違約了"}])
    assert mentions(tenant_a).get(pk=report.results[0].mention_id).body == "這家公司違約了"


def test_an_item_with_only_a_title_uses_it_as_body(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"title": "某某项目停工烂尾"}])
    assert mentions(tenant_a).get(pk=report.results[0].mention_id).body == "某某项目停工烂尾"


def test_authors_are_kept_only_as_a_salted_hash_and_a_masked_nickname(tenant_a, tenant_b, weibo):
    source_b = Source.objects.create(tenant=tenant_b, name="微博采集", kind=Source.Kind.WEIBO)
    item = {"external_id": "1", "body": "某某公司暴雷了", "author": "张小花Flower"}
    report = ingest(tenant_a, weibo, [item])
    report_b = ingest(tenant_b, source_b, [item])
    mention = mentions(tenant_a).get(pk=report.results[0].mention_id)
    assert mention.author_display == "张**"
    assert len(mention.author_hash) == 64
    stored = Mention.objects.dangerously_all_tenants().filter(pk=mention.pk).values().get()
    assert not any("张小花" in str(value) or "Flower" in str(value) for value in stored.values())
    # Keyed per tenant: the same author cannot be matched across tenants.
    other = Mention.objects.dangerously_all_tenants().get(pk=report_b.results[0].mention_id)
    assert other.author_hash != mention.author_hash
    # And stable within the tenant.
    again = ingest(
        tenant_a, weibo, [{"external_id": "2", "body": "另一条内容，与上一条不同", "author": "张小花Flower"}]
    )
    assert mentions(tenant_a).get(pk=again.results[0].mention_id).author_hash == mention.author_hash


# ---------------------------------------------------------------- per-item validation


def test_each_bad_item_is_rejected_with_its_reason_and_the_good_ones_are_stored(tenant_a, weibo):
    future = (dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=3)).isoformat()
    items = [
        {"external_id": "ok-1", "body": "正常的一条：某某公司逾期"},
        "not an object",
        {"external_id": "no-body", "author": "某人"},
        {"body": "日期不对", "published_at": "昨天下午"},
        {"body": "来自未来", "published_at": future},
        {"body": "负数", "likes": -3},
        {"body": "看不懂的数", "comments": "很多"},
        {"body": "坏链接", "url": "ftp://example.com/x"},
        {"body": "extra 不是对象", "extra": [1, 2]},
        {"body": 12345},
        {"external_id": "ok-2", "body": "正常的第二条：某某项目停工"},
    ]
    report = ingest(tenant_a, weibo, items)
    reasons = {r.index: r.reason for r in report.results if r.status == REJECTED}
    assert reasons == {
        1: "条目必须是 JSON 对象",
        2: "缺少正文（body）",
        3: "发布时间格式无法识别：昨天下午",
        4: "发布时间晚于当前时间超过 1 天",
        5: "点赞数（likes）不能为负数",
        6: "评论数（comments）格式错误",
        7: "链接必须是 http:// 或 https:// 开头的网址",
        8: "附加字段（extra）必须是 JSON 对象",
        9: "正文必须是文本",
    }
    assert [r.status for r in report.results if r.index in (0, 10)] == [ACCEPTED, ACCEPTED]
    assert (report.accepted, report.duplicate, report.rejected) == (2, 0, 9)
    assert [r.index for r in report.results] == list(range(len(items)))
    assert mentions(tenant_a).count() == 2


def test_a_body_over_20000_characters_is_rejected(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"body": "逾" * 20_001}, {"body": "期" * 20_000}])
    assert report.results[0].status == REJECTED
    assert report.results[0].reason == "正文超过 20000 字"
    assert report.results[1].status == ACCEPTED


def test_a_missing_publication_time_is_the_receipt_time(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"body": "没有发布时间的一条"}])
    mention = mentions(tenant_a).get(pk=report.results[0].mention_id)
    assert abs((mention.published_at - mention.retrieved_at).total_seconds()) < 1


def test_a_paused_source_rejects_every_item(tenant_a, weibo):
    weibo.is_paused = True
    weibo.save()
    report = ingest(tenant_a, weibo, [{"body": "一"}, {"body": "二"}])
    assert [(r.status, r.reason) for r in report.results] == [(REJECTED, "信息源已暂停")] * 2
    assert mentions(tenant_a).count() == 0


def test_another_tenants_source_is_refused(tenant_a, tenant_b):
    source_b = Source.objects.create(tenant=tenant_b, name="乙的源", kind=Source.Kind.NEWS)
    with pytest.raises(TenantMismatch):
        ingest(tenant_a, source_b, [{"body": "不该写入"}])


def test_manual_entry_needs_the_write_permission_and_is_audited(tenant_a, weibo, viewer_a, handler_a):
    with pytest.raises(PermissionDenied):
        mentions_ingest(
            tenant=tenant_a, source=weibo, items=[{"body": "人工录入"}], via=Mention.Via.MANUAL, actor=viewer_a.user
        )
    report = mentions_ingest(
        tenant=tenant_a, source=weibo, items=[{"body": "人工录入"}], via=Mention.Via.MANUAL, actor=handler_a.user
    )
    assert report.accepted == 1
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="mention.ingest")
    assert event.changes["accepted"] == report.accepted_ids


# ---------------------------------------------------------------- de-duplication


def test_the_same_external_id_is_a_duplicate_of_the_stored_mention(tenant_a, weibo):
    first = ingest(tenant_a, weibo, [{"external_id": "w1", "body": "某某公司跑路了"}])
    again = ingest(tenant_a, weibo, [{"external_id": "w1", "body": "某某公司跑路了（编辑后）"}])
    assert again.results[0].status == DUPLICATE
    assert again.results[0].mention_id == first.results[0].mention_id
    assert again.results[0].reason == "外部编号已收录"
    assert mentions(tenant_a).count() == 1
    assert mentions(tenant_a).get().repost_count == 0


def test_the_same_external_id_in_another_source_is_another_mention(tenant_a, weibo, forum):
    ingest(tenant_a, weibo, [{"external_id": "1", "body": "微博上的一条内容"}])
    report = ingest(tenant_a, forum, [{"external_id": "1", "body": "论坛上完全不同的一条内容"}])
    assert report.accepted == 1


def test_a_repost_counts_on_the_original_and_is_reported_duplicate(tenant_a, weibo, forum):
    original = ingest(tenant_a, weibo, [{"external_id": "w1", "body": "某某金融平台跑路了，大家的钱还能拿回来吗？"}])
    repost = ingest(
        tenant_a,
        forum,
        [
            {
                "external_id": "f9",
                "url": "https://bbs.example.com/t/9",
                "body": "转发：某某金融平台跑路了 大家的钱还能拿回来吗",
            }
        ],
    )
    result = repost.results[0]
    assert (result.status, result.mention_id, result.is_repost) == (DUPLICATE, original.results[0].mention_id, True)
    mention = mentions(tenant_a).get()
    assert mention.repost_count == 1
    recorded = MentionRepost.objects.for_tenant(tenant_a).get()
    assert (recorded.mention_id, recorded.source_id, recorded.external_id) == (mention.pk, forum.pk, "f9")


def test_redelivering_a_batch_with_reposts_changes_nothing(tenant_a, weibo):
    batch = [
        {"external_id": "a", "body": "某某集团债券违约，投资人聚集维权"},
        {"external_id": "b", "body": "//@路人：某某集团债券违约，投资人聚集维权"},
        {"external_id": "c", "body": "某某集团债券违约 投资人聚集维权！！"},
        {"url": "https://weibo.com/x/1", "body": "某某集团债券违约，投资人聚集维权"},
        {"external_id": "d", "body": "另一件事：某某项目停工"},
    ]
    first = ingest(tenant_a, weibo, batch)
    assert [r.status for r in first.results] == [ACCEPTED, DUPLICATE, DUPLICATE, DUPLICATE, ACCEPTED]
    original = mentions(tenant_a).get(pk=first.results[0].mention_id)
    assert original.repost_count == 3
    second = ingest(tenant_a, weibo, batch)
    assert [r.status for r in second.results] == [DUPLICATE] * 5
    assert [r.mention_id for r in second.results] == [r.mention_id for r in first.results]
    assert not any(r.is_repost for r in second.results)
    original.refresh_from_db()
    assert original.repost_count == 3
    assert mentions(tenant_a).count() == 2
    assert MentionRepost.objects.for_tenant(tenant_a).count() == 3


def test_the_same_item_without_an_external_id_is_recognised_by_its_url(tenant_a, weibo):
    item = {"url": "https://news.example.com/a.html?utm_medium=feed", "body": "某某银行被罚款，涉及违规放贷"}
    first = ingest(tenant_a, weibo, [item])
    again = ingest(tenant_a, weibo, [{**item, "url": "https://NEWS.example.com/a.html#top"}])
    assert again.results[0].status == DUPLICATE and not again.results[0].is_repost
    assert again.results[0].mention_id == first.results[0].mention_id
    assert mentions(tenant_a).get().repost_count == 0


def test_the_same_external_id_twice_in_one_batch(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"external_id": "x", "body": "第一条"}, {"external_id": "x", "body": "第二条"}])
    assert [r.status for r in report.results] == [ACCEPTED, DUPLICATE]
    assert report.results[1].mention_id == report.results[0].mention_id


def test_a_concurrent_insert_of_the_same_items_falls_back_to_one_item_at_a_time(tenant_a, weibo, monkeypatch):
    stored = ingest(tenant_a, weibo, [{"external_id": "r1", "body": "某某平台挤兑，门店排起长队"}])
    # The other request committed after this one looked: the lookups saw nothing.
    monkeypatch.setattr(Batch, "look_up", lambda self: None)
    report = ingest(
        tenant_a,
        weibo,
        [
            {"external_id": "r1", "body": "某某平台挤兑，门店排起长队"},
            {"external_id": "r2", "body": "某某平台挤兑 门店排起长队"},
            {"external_id": "r3", "body": "一条全新的内容：某某公司高管失联"},
        ],
    )
    original = stored.results[0].mention_id
    assert [(r.status, r.mention_id) for r in report.results[:2]] == [(DUPLICATE, original), (DUPLICATE, original)]
    assert report.results[1].is_repost
    assert report.results[2].status == ACCEPTED
    assert mentions(tenant_a).get(pk=original).repost_count == 1
    assert mentions(tenant_a).count() == 2


def test_a_batch_that_meets_a_concurrent_insert_is_classified_again_not_item_by_item(tenant_a, weibo, monkeypatch):
    stored = ingest(tenant_a, weibo, [{"external_id": "q1", "body": "某某平台挤兑，门店排起长队"}])
    look_up = Batch.look_up
    calls: list[int] = []

    def stale_once(self):  # the first lookups ran before the other request committed
        calls.append(1)
        if len(calls) > 1:
            look_up(self)

    monkeypatch.setattr(Batch, "look_up", stale_once)
    monkeypatch.setattr(Batch, "_insert_one", lambda self, slot: pytest.fail("fell back to one item at a time"))
    report = ingest(
        tenant_a,
        weibo,
        [
            {"external_id": "q1", "body": "某某平台挤兑，门店排起长队"},
            {"external_id": "q2", "body": "全新：某某高管失联"},
        ],
    )
    assert len(calls) == 2
    assert [(r.status, r.mention_id) for r in report.results[:1]] == [(DUPLICATE, stored.results[0].mention_id)]
    assert report.results[1].status == ACCEPTED
    assert mentions(tenant_a).count() == 2


# ---------------------------------------------------------------- scoring queue


def test_scoring_is_enqueued_after_commit_in_batches_of_200(
    tenant_a, weibo, rq_queues, django_capture_on_commit_callbacks
):
    import django_rq

    items = [{"external_id": str(i), "body": f"第{i}条：某某公司第{i}个项目停工"} for i in range(450)]
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest(tenant_a, weibo, items)
    queue = django_rq.get_queue("scoring")
    jobs = queue.get_jobs()
    assert [len(job.kwargs["mention_ids"]) for job in jobs] == [200, 200, 50]
    assert sorted(i for job in jobs for i in job.kwargs["mention_ids"]) == sorted(report.accepted_ids)
    assert all(job.args == (tenant_a.pk,) for job in jobs)
    assert jobs[0].func_name == "yuqing.monitoring.jobs.mentions_score_job"


def test_nothing_is_lost_when_redis_is_down(tenant_a, weibo, settings, caplog, django_capture_on_commit_callbacks):
    # Nothing listens on port 1. "auto": after the commit the enqueue is immediate, as in production
    # (inside a test transaction django-rq would otherwise defer it once more).
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "scoring": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "auto"}
    with caplog.at_level(logging.WARNING, logger="yuqing.monitoring.services.ingestion"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            report = ingest(tenant_a, weibo, [{"external_id": "1", "body": "Redis 停了也不能丢：某某公司逾期"}])
    assert len(callbacks) == 1
    assert report.accepted == 1
    assert mentions(tenant_a).get().status == Mention.Status.PENDING
    assert "scoring not enqueued" in caplog.text


def test_a_stored_mention_that_gains_reposts_is_scored_again(
    tenant_a, weibo, forum, rq_queues, django_capture_on_commit_callbacks
):
    import django_rq

    original = ingest(tenant_a, weibo, [{"external_id": "w1", "body": "某某金融平台跑路了，大家的钱还能拿回来吗？"}])
    queue = django_rq.get_queue("scoring")
    queue.empty()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            tenant_a,
            forum,
            [
                {"external_id": "f1", "body": "转发：某某金融平台跑路了 大家的钱还能拿回来吗"},
                {"external_id": "f2", "body": "另一条全新的帖子：某项目停工"},
            ],
        )
    [job] = queue.get_jobs()
    fresh = mentions(tenant_a).get(external_id="f2")
    assert sorted(job.kwargs["mention_ids"]) == sorted([original.results[0].mention_id, fresh.pk])

    queue.empty()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(tenant_a, forum, [{"external_id": "f1", "body": "转发：某某金融平台跑路了 大家的钱还能拿回来吗"}])
    assert queue.get_jobs() == []  # a re-delivered repost adds nothing and scores nothing again
