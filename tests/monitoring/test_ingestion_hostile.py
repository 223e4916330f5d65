"""Hostile values are rejected item by item, whatever the path, and never cost the rest of the batch.

Through the service (what manual entry and the feed poller call), through the crawler file
import, and through the JSON API, where the request as a whole is refused (400, JSON, a stable
code) only when the request itself is broken.
"""

from __future__ import annotations

import json

import pytest

from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.crawler_files import crawler_file_import
from yuqing.monitoring.services.ingestion import ACCEPTED, REJECTED, mentions_ingest
from yuqing.monitoring.services.ingestion.normalize import parse_count
from yuqing.monitoring.services.ingestion.screen import MAX_EXTRA_DEPTH

LONE = "\ud800"


@pytest.fixture
def weibo(tenant_a) -> Source:
    return Source.objects.create(tenant=tenant_a, name="微博采集", kind=Source.Kind.WEIBO)


def ingest(tenant, source, items, via=Mention.Via.API):
    return mentions_ingest(tenant=tenant, source=source, items=items, via=via)


def mentions(tenant):
    return Mention.objects.for_tenant(tenant)


def good(n: int) -> dict:
    return {"external_id": f"good-{n}", "body": f"正常的第{n}条：某某金融平台逾期兑付，投资人维权"}


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"down": value}
    return value


def reasons_of(report) -> dict[int, str]:
    return {r.index: r.reason for r in report.results if r.status == REJECTED}


# ---------------------------------------------------------------- the service: every path's one step


HOSTILE_ITEMS = [
    ({"body": f"正文{LONE}孤立代理"}, "正文（body）含有无效的 Unicode 字符（孤立的代理项），不是文本"),
    ({"body": "标题坏了", "title": f"标题{LONE}"}, "标题（title）含有无效的 Unicode 字符（孤立的代理项），不是文本"),
    ({"body": "作者坏了", "author": f"网友{LONE}"}, "作者（author）含有无效的 Unicode 字符（孤立的代理项），不是文本"),
    (
        {"body": "链接坏了", "url": f"https://weibo.com/{LONE}"},
        "链接（url）含有无效的 Unicode 字符（孤立的代理项），不是文本",
    ),
    (
        {"body": "编号坏了", "external_id": f"id{LONE}"},
        "外部编号（external_id）含有无效的 Unicode 字符（孤立的代理项），不是文本",
    ),
    (
        {"body": "附加值坏了", "extra": {"k": [f"v{LONE}"]}},
        "附加字段（extra）含有无效的 Unicode 字符（孤立的代理项），不是文本",
    ),
    (
        {"body": "附加键坏了", "extra": {f"k{LONE}": 1}},
        "附加字段（extra）含有无效的 Unicode 字符（孤立的代理项），不是文本",
    ),
    ({"body": "无关字段也不行", f"x{LONE}": 1}, "字段名含有无效的 Unicode 字符（孤立的代理项），不是文本"),
    ({"body": "链接含 NUL", "url": "https://weibo.com/a\x00b"}, "链接（url）含有控制字符（如 NUL），无法保存"),
    ({"body": "附加值含 NUL", "extra": {"k": "a\x00b"}}, "附加字段（extra）含有控制字符（如 NUL），无法保存"),
    ({"body": "附加键含 NUL", "extra": {"a\x00": "b"}}, "附加字段（extra）含有控制字符（如 NUL），无法保存"),
    ({"body": "附加值含响铃", "extra": {"k": "a\x07b"}}, "附加字段（extra）含有控制字符（如 NUL），无法保存"),
    ({"body": "点赞 NaN", "likes": float("nan")}, "点赞数（likes）含有 NaN 或 Infinity，不是有效的数值"),
    ({"body": "粉丝无穷", "followers": float("inf")}, "粉丝数（followers）含有 NaN 或 Infinity，不是有效的数值"),
    (
        {"body": "附加负无穷", "extra": {"score": [float("-inf")]}},
        "附加字段（extra）含有 NaN 或 Infinity，不是有效的数值",
    ),
    ({"body": "嵌套太深", "extra": nested(MAX_EXTRA_DEPTH + 1)}, "附加字段（extra）嵌套超过 20 层"),
    ({"body": "标题太长", "title": "长" * 20_001}, "标题（title）超过 20000 个字符"),
    ({"body": "作者太长", "author": "名" * 1001}, "作者（author）超过 1000 个字符"),
    ({"body": "关键词太长", "keyword": "词" * 101}, "采集关键词（keyword）超过 100 个字符"),
    ({"body": "链接太长", "url": "https://weibo.com/" + "a" * 1000}, "链接（url）超过 1000 个字符"),
    ({"body": "编号太长", "external_id": "9" * 201}, "外部编号（external_id）超过 200 个字符"),
    ({"body": "编号为负", "external_id": -1}, "外部编号（external_id）超出范围（0 到 2^63-1）"),
    ({"body": "编号太大", "external_id": 2**64}, "外部编号（external_id）超出范围（0 到 2^63-1）"),
    ({"body": "上标数字", "likes": "²"}, "点赞数（likes）格式错误"),
    ({"body": "阿拉伯数字", "comments": "١٢"}, "评论数（comments）格式错误"),
    ({"body": "汉字数字", "shares": "一万"}, "转发数（shares）格式错误"),
    ({"body": "小数点赞", "likes": 12.5}, "点赞数（likes）格式错误"),
    ({"body": "巨大时间戳", "published_at": 10**400}, f"发布时间格式无法识别：{str(10**400)[:40]}"),
]


def test_it_rejects_each_hostile_value_per_item_and_stores_the_good_ones(tenant_a, weibo):
    items = [good(0)] + [item for item, _reason in HOSTILE_ITEMS] + [good(1)]
    report = ingest(tenant_a, weibo, items)

    expected = {index: reason for index, (_item, reason) in enumerate(HOSTILE_ITEMS, start=1)}
    assert reasons_of(report) == expected
    assert [report.results[0].status, report.results[-1].status] == [ACCEPTED, ACCEPTED]
    assert sorted(mentions(tenant_a).values_list("external_id", flat=True)) == ["good-0", "good-1"]
    # Every reason can go back as UTF-8 JSON (none repeats the lone surrogate).
    json.dumps([r.reason for r in report.results], ensure_ascii=False).encode()


def test_it_accepts_extra_nested_up_to_the_limit_and_full_width_counts(tenant_a, weibo):
    item = {**good(2), "likes": "１２", "comments": "1,234", "shares": "1.2万+", "extra": nested(MAX_EXTRA_DEPTH)}
    report = ingest(tenant_a, weibo, [item])
    assert report.results[0].status == ACCEPTED, report.results[0].reason
    mention = mentions(tenant_a).get()
    assert (mention.likes, mention.comments, mention.shares) == (12, 1234, 12_000)


def test_control_characters_in_free_text_are_removed_not_stored(tenant_a, weibo):
    report = ingest(tenant_a, weibo, [{"external_id": "n\x00ul", "title": "标\x00题", "body": "正\x00文\x07内容"}])
    assert report.results[0].status == ACCEPTED
    mention = mentions(tenant_a).get()
    assert (mention.external_id, mention.title, mention.body) == ("nul", "标题", "正文内容")


def test_an_external_id_of_other_digits_is_not_folded_into_ascii(tenant_a, weibo):
    """NFKC would make "²" the external id "2" and merge two different items."""
    report = ingest(
        tenant_a, weibo, [{"external_id": "2", "body": "第一条：甲"}, {"external_id": "²", "body": "第二条：乙"}]
    )
    assert [r.status for r in report.results] == [ACCEPTED, ACCEPTED]
    assert sorted(mentions(tenant_a).values_list("external_id", flat=True)) == ["2", "²"]


def test_a_full_width_external_id_is_the_same_as_its_ascii_spelling(tenant_a, weibo):
    report = ingest(
        tenant_a, weibo, [{"external_id": "ＡＢ１２", "body": "全角编号"}, {"external_id": "AB12", "body": "半角编号"}]
    )
    assert [r.status for r in report.results] == [ACCEPTED, "duplicate"]


def test_manual_entry_gets_the_same_screening(tenant_a, weibo, handler_a):
    report = mentions_ingest(
        tenant=tenant_a,
        source=weibo,
        items=[{"body": "手工录入", "url": "https://example.cn/\x00"}, good(3)],
        via=Mention.Via.MANUAL,
        actor=handler_a.user,
    )
    assert [r.status for r in report.results] == [REJECTED, ACCEPTED]


def test_counts_accept_ascii_and_full_width_digits_only():
    assert [parse_count(v) for v in ("12", "１２", " 1,234 ", "1.2万", "10万+", "3亿", "2k", "", None, 7.0)] == [
        12,
        12,
        1234,
        12_000,
        100_000,
        300_000_000,
        2000,
        0,
        0,
        7,
    ]
    for value in ("²", "١٢", "１²", "1e3", "NaN", "inf", float("nan"), 1.5, "12\u200b"):
        with pytest.raises(ValueError):
            parse_count(value)


# ---------------------------------------------------------------- the crawler file import


def test_crawler_file_rows_with_hostile_values_are_rejected_row_by_row(tenant_a, weibo):
    def row(note_id: str, **fields) -> str:
        record = {"note_id": note_id, "content": f"{note_id}：华信地产理财逾期", "create_time": 1748743200}
        return json.dumps(record | fields)  # ASCII escapes: \ud800 and \u0000 stay escapes in the file

    lines = [
        row("w1"),
        row("w2", content="坏\ud800文"),
        row("w3", note_url="https://m.weibo.cn/detail/\u0000"),
        row("w4", liked_count=float("inf")),  # written Infinity, read back as inf
        row("w5", tieba_name="吧\u0000名"),
        "[" * 5000 + "]" * 5000,
        row("w6", liked_count="²"),
        row("w7"),
        row("w8", liked_count=float("nan")),  # crawlers (pandas) write NaN for "no value": a missing count
    ]
    content = ("\n".join(lines) + "\n").encode()
    result = crawler_file_import(
        tenant=tenant_a, actor=None, source=weibo, upload=content, filename="search_contents_x.jsonl"
    )

    assert (result.rows_read, result.accepted) == (9, 3)
    assert [(r.line, r.reason) for r in result.rejected] == [
        (2, "正文（body）含有无效的 Unicode 字符（孤立的代理项），不是文本"),
        (3, "链接（url）含有控制字符（如 NUL），无法保存"),
        (4, "点赞数（likes）格式错误"),
        (5, "附加字段（extra）含有控制字符（如 NUL），无法保存"),
        (6, "不是有效的 JSON（嵌套层数过多）"),
        (7, "点赞数（likes）格式错误"),
    ]
    assert sorted(mentions(tenant_a).values_list("external_id", flat=True)) == ["w1", "w7", "w8"]
    assert mentions(tenant_a).get(external_id="w8").likes == 0


def test_crawler_csv_rows_with_nul_or_odd_digits_are_rejected_row_by_row(tenant_a, weibo):
    content = (
        "note_id,content,create_time,liked_count,note_url\n"
        "c1,华信地产逾期一,1748743200,12,https://m.weibo.cn/detail/c1\n"
        "c2,华信地产逾期二,1748743200,١٢,https://m.weibo.cn/detail/c2\n"
        "c3,华信地产逾期三,1748743200,3,https://m.weibo.cn/detail/\x00c3\n"
        "c4,华信地产逾期四,1748743200,１２,https://m.weibo.cn/detail/c4\n"
    ).encode()
    result = crawler_file_import(
        tenant=tenant_a, actor=None, source=weibo, upload=content, filename="search_contents_x.csv"
    )
    assert result.accepted == 2
    assert [(r.line, r.reason) for r in result.rejected] == [
        (3, "点赞数（likes）格式错误"),
        (4, "链接（url）含有控制字符（如 NUL），无法保存"),
    ]
    assert mentions(tenant_a).get(external_id="c4").likes == 12
