"""Import of crawler output files: every platform's current and older fields, formats, encodings,
bad rows with their line numbers, and no personal data stored in clear."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

import yuqing.monitoring.services.crawler_files as crawler_files
from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import Mention, Source
from yuqing.monitoring.services.crawler_files import crawler_file_import, crawler_file_read, province_of, record_to_item
from yuqing.monitoring.services.crawler_files import reading as crawler_reading
from yuqing.monitoring.services.ingestion import guarded as guarded_ingest
from yuqing.tenancy.models import Tenant

# Personal data the crawlers write and the product must never keep in clear.
NICKNAME = "李秘密网友"
USER_ID = "uid-5820093317"
AVATAR = "https://sns-avatar.example.cn/secret-face.jpg"
SEC_UID = "MS4wLjABAAAAsecretSecUid"
SIGNATURE = "私人签名：电话13800138000"
PROFILE = "https://weibo.com/u/5820093317"
CITY = "深圳市南山区"
OLDER = {
    "user_id": USER_ID,
    "nickname": NICKNAME,
    "avatar": AVATAR,
    "ip_location": f"IP属地：广东省{CITY}",
}
T_SECONDS = 1748743200  # 2025-06-01 02:00:00 UTC = 10:00 China time
T_EXPECTED = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)

WB_CURRENT = {
    "note_id": "5170000000000001",
    "content": "华信地产理财逾期兑付，投资人在总部维权",
    "create_time": T_SECONDS,
    "create_date_time": "2025-06-01 10:00:00",
    "liked_count": "1.2万",
    "comments_count": "356",
    "shared_count": "88",
    "note_url": "https://m.weibo.cn/detail/5170000000000001",
    "source_keyword": "华信地产",
    "creator_hash": "c0ffee",
    "nickname": NICKNAME,
    "last_modify_ts": 1748743300000,
}
WB_OLDER = {
    "note_id": "5170000000000002",
    "content": "华信地产被曝暴力催收借款人",
    "create_time": str(T_SECONDS),
    "liked_count": "12",
    "comments_count": "3",
    "shared_count": "0",
    "note_url": "https://m.weibo.cn/detail/5170000000000002",
    "source_keyword": "华信地产",
    "gender": "f",
    "profile_url": PROFILE,
    **OLDER,
}
XHS_CURRENT = {
    "note_id": "66a1b2c3d4e5f60000000001",
    "type": "normal",
    "title": "避雷某信托产品",
    "desc": "买了半年，到期说要展期，客服联系不上",
    "video_url": "",
    "time": T_SECONDS * 1000,  # milliseconds
    "last_update_time": T_SECONDS * 1000,
    "liked_count": "3.5万",
    "collected_count": "1千",
    "comment_count": "10+",
    "share_count": "20",
    "image_list": "https://img.example.cn/1.jpg,https://img.example.cn/2.jpg",
    "tag_list": "理财,避雷",
    "note_url": "https://www.xiaohongshu.com/explore/66a1b2c3d4e5f60000000001?xsec_token=abc",
    "source_keyword": "信托",
    "creator_hash": "beef",
    "nickname": NICKNAME,
}
XHS_OLDER = {
    "note_id": "66a1b2c3d4e5f60000000002",
    "type": "video",
    "title": "信托暴雷了怎么办",
    "desc": "信托暴雷了怎么办，求助大家",
    "time": T_SECONDS * 1000,
    "liked_count": "5",
    "collected_count": "1",
    "comment_count": "2",
    "share_count": "0",
    "source_keyword": "信托",
    **OLDER,
}
DY_CURRENT = {
    "aweme_id": "7380000000000000001",
    "aweme_type": "0",
    "title": "楼盘停工烂尾，业主拉横幅",
    "desc": "楼盘停工烂尾，业主拉横幅",
    "create_time": T_SECONDS,
    "liked_count": "3亿",
    "comment_count": "2.3万",
    "share_count": "1,024",
    "collected_count": "77",
    "aweme_url": "https://www.douyin.com/video/7380000000000000001",
    "source_keyword": "烂尾",
    "creator_hash": "d00d",
    "nickname": NICKNAME,
}
DY_OLDER = {
    "aweme_id": "7380000000000000002",
    "aweme_type": "0",
    "title": "某小贷公司砍头息曝光",
    "desc": "某小贷公司砍头息曝光",
    "create_time": T_SECONDS,
    "liked_count": "10",
    "comment_count": "1",
    "share_count": "0",
    "sec_uid": SEC_UID,
    "short_user_id": "889900",
    "user_unique_id": "secret_handle",
    "user_signature": SIGNATURE,
    "source_keyword": "小贷",
    **OLDER,
}
KS_OLDER = {
    "video_id": "3xks00000001",
    "video_type": "1",
    "title": "网贷催收电话打到单位",
    "desc": "网贷催收电话打到单位",
    "create_time": T_SECONDS * 1000,
    "liked_count": "66",
    "viewd_count": "1.5万",
    "video_url": "https://www.kuaishou.com/short-video/3xks00000001",
    "video_cover_url": "https://cover.example.cn/ks.jpg",
    "video_play_url": "https://play.example.cn/ks.mp4",
    "source_keyword": "催收",
    **OLDER,
}
BILI_CURRENT = {
    "video_id": "1150000001",
    "video_url": "https://www.bilibili.com/video/av1150000001",
    "title": "P2P 暴雷十年回顾",
    "desc": "从兴起到清退，非法集资案件盘点",
    "create_time": T_SECONDS,
    "liked_count": "2000",
    "video_play_count": "12万",
    "video_share_count": "300",
    "video_comment": "450",
    "source_keyword": "非法集资",
    "creator_hash": "face",
    "nickname": NICKNAME,
}
TIEBA_CURRENT = {
    "note_id": "9001000001",
    "title": "华信地产交房延期有人维权吗",
    "desc": "合同约定去年交房，现在还没动静",
    "note_url": "https://tieba.baidu.com/p/9001000001",
    "publish_time": "2025-06-01 10:00",
    "user_nickname": NICKNAME,
    "tieba_name": "华信地产",
    "total_replay_num": "1,234",
    "source_keyword": "华信地产",
    "creator_hash": "cafe",
}
ZHIHU_OLDER = {
    "content_id": "zh-700001",
    "content_type": "answer",
    "content_text": "作为从业者说说展期和违约的区别",
    "content_url": "https://www.zhihu.com/question/1/answer/700001",
    "question_id": "1",
    "title": "信托展期是不是就是违约？",
    "desc": "作为从业者说说",
    "created_time": T_SECONDS,
    "voteup_count": "4.1万",
    "comment_count": "88",
    "source_keyword": "信托展期",
    "user_id": USER_ID,
    "user_link": "https://www.zhihu.com/people/secret",
    "user_nickname": NICKNAME,
    "user_avatar": AVATAR,
    "user_url_token": "secret-token",
    "ip_location": "IP 属地浙江",
}
DY_COMMENTS = [
    {
        "comment_id": "7380000000000009001",
        "create_time": T_SECONDS,
        "ip_location": "广东",
        "aweme_id": "7380000000000000001",
        "content": "我家也是这个楼盘，停工一年了",
        "sub_comment_count": "12",
        "like_count": 345,
        "parent_comment_id": "0",
        "last_modify_ts": 1748743300000,
        "creator_hash": "feed",
        "nickname": NICKNAME,
    },
    {
        "comment_id": "7380000000000009002",
        "create_time": T_SECONDS * 1000,
        "aweme_id": "7380000000000000001",
        "content": "开发商已经跑路了吧",
        "sub_comment_count": "0",
        "like_count": "1.1万",
        "parent_comment_id": "7380000000000009001",
        "sec_uid": SEC_UID,
        "user_signature": SIGNATURE,
        **OLDER,
    },
]


@pytest.fixture
def source_a(tenant_a: Tenant) -> Source:
    return Source.objects.create(tenant=tenant_a, name="爬虫导入", kind=Source.Kind.WEIBO)


def _jsonl(records: list[dict]) -> bytes:
    return "\n".join(json.dumps(record, ensure_ascii=False) for record in records).encode() + b"\n"


def _csv(records: list[dict], *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(key for record in records for key in record)))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode(encoding)


def _import(tenant, source, content: bytes, filename: str, actor=None):
    return crawler_file_import(tenant=tenant, actor=actor, source=source, upload=content, filename=filename)


def _stored(tenant: Tenant) -> dict[str, Mention]:
    return {mention.external_id: mention for mention in Mention.objects.for_tenant(tenant)}


def _assert_no_personal_data(tenant: Tenant) -> None:
    rows = list(Mention.objects.for_tenant(tenant).values())
    assert rows
    for row in rows:
        stored = json.dumps(row, ensure_ascii=False, default=str)
        for secret in (NICKNAME, USER_ID, "5820093317", AVATAR, SEC_UID, SIGNATURE, "secret", PROFILE, CITY, "深圳"):
            assert secret not in stored, (secret, row["external_id"])


# --- every platform, current and older fields


@pytest.mark.parametrize(
    ("platform", "records", "expected"),
    [
        (
            "wb",
            [WB_CURRENT, WB_OLDER],
            {
                "5170000000000001": {"likes": 12000, "comments": 356, "shares": 88, "keyword": "华信地产"},
                "5170000000000002": {"likes": 12, "url": "https://m.weibo.cn/detail/5170000000000002"},
            },
        ),
        (
            "xhs",
            [XHS_CURRENT, XHS_OLDER],
            {
                "66a1b2c3d4e5f60000000001": {
                    "title": "避雷某信托产品",
                    "body": "买了半年，到期说要展期，客服联系不上",
                    "likes": 35000,
                    "comments": 10,
                },
                "66a1b2c3d4e5f60000000002": {
                    "url": "https://www.xiaohongshu.com/explore/66a1b2c3d4e5f60000000002",
                },
            },
        ),
        (
            "dy",
            [DY_CURRENT, DY_OLDER],
            {
                "7380000000000000001": {
                    "title": "",
                    "body": "楼盘停工烂尾，业主拉横幅",
                    "likes": 300_000_000,
                    "comments": 23000,
                    "shares": 1024,
                },
                "7380000000000000002": {"url": "https://www.douyin.com/video/7380000000000000002"},
            },
        ),
        ("ks", [KS_OLDER], {"3xks00000001": {"views": 15000, "likes": 66, "title": ""}}),
        (
            "bili",
            [BILI_CURRENT],
            {"1150000001": {"views": 120000, "shares": 300, "comments": 450, "title": "P2P 暴雷十年回顾"}},
        ),
        ("tieba", [TIEBA_CURRENT], {"9001000001": {"comments": 1234, "title": "华信地产交房延期有人维权吗"}}),
        (
            "zhihu",
            [ZHIHU_OLDER],
            {"zh-700001": {"likes": 41000, "body": "作为从业者说说展期和违约的区别", "comments": 88}},
        ),
    ],
)
def test_it_imports_each_platforms_posts(tenant_a, source_a, platform, records, expected):
    result = _import(tenant_a, source_a, _jsonl(records), f"data/{platform}/jsonl/search_contents_2025-06-01.jsonl")

    assert (result.platform, result.format, result.kind) == (platform, "jsonl", "contents")
    assert (result.rows_read, result.accepted, result.rejected) == (len(records), len(records), [])
    stored = _stored(tenant_a)
    assert set(stored) == set(expected)
    for external_id, fields in expected.items():
        mention = stored[external_id]
        for name, value in fields.items():
            assert getattr(mention, name) == value, (external_id, name)
        assert mention.published_at == T_EXPECTED
        assert mention.via == Mention.Via.FILE
        assert mention.extra["platform"] == platform
    _assert_no_personal_data(tenant_a)


def test_authors_are_kept_only_as_hash_and_mask(tenant_a, source_a):
    _import(tenant_a, source_a, _jsonl([WB_CURRENT, WB_OLDER, TIEBA_CURRENT]), "search_contents_2025-06-01.jsonl")

    mentions = list(Mention.objects.for_tenant(tenant_a))
    assert {mention.author_display for mention in mentions} == {"李**"}
    assert all(len(mention.author_hash) == 64 for mention in mentions)
    _assert_no_personal_data(tenant_a)


def test_older_location_is_kept_to_the_province(tenant_a, source_a):
    _import(tenant_a, source_a, _jsonl([WB_OLDER, ZHIHU_OLDER]), "search_contents_2025-06-01.jsonl")

    stored = _stored(tenant_a)
    assert stored["5170000000000002"].extra["ip_province"] == "广东"
    assert stored["zh-700001"].extra["ip_province"] == "浙江"
    _assert_no_personal_data(tenant_a)


def test_it_imports_a_comments_file(tenant_a, source_a):
    result = _import(tenant_a, source_a, _jsonl(DY_COMMENTS), "data/dy/jsonl/detail_comments_2025-06-01.jsonl")

    assert (result.kind, result.accepted) == ("comments", 2)
    stored = _stored(tenant_a)
    first, reply = stored["c:7380000000000009001"], stored["c:7380000000000009002"]
    assert first.url == "https://www.douyin.com/video/7380000000000000001"
    assert (first.likes, first.comments) == (345, 12)
    assert first.extra["parent_id"] == "7380000000000000001"
    assert "parent_comment_id" not in first.extra
    assert reply.likes == 11000
    assert reply.extra["parent_comment_id"] == "7380000000000009001"
    assert first.published_at == reply.published_at == T_EXPECTED  # seconds and milliseconds
    _assert_no_personal_data(tenant_a)


def test_weibo_comments_use_their_own_like_field():
    item = record_to_item(
        {"comment_id": "9", "note_id": "5170000000000001", "content": "同问", "comment_like_count": "7"},
        platform="wb",
        kind="comments",
    )
    assert item["likes"] == "7"
    assert item["url"] == "https://m.weibo.cn/detail/5170000000000001"
    assert item["external_id"] == "c:9"


# --- formats and encodings


def test_a_bad_jsonl_line_is_rejected_with_its_line_and_the_rest_imported(tenant_a, source_a):
    content = _jsonl([WB_CURRENT]) + b'{"note_id": "broken", "content": \n' + _jsonl([WB_OLDER])
    result = _import(tenant_a, source_a, content, "search_contents_2025-06-01.jsonl")

    assert (result.rows_read, result.accepted, result.rejected_count) == (3, 2, 1)
    (bad,) = result.rejected
    assert bad.line == 2
    assert "不是有效的 JSON" in bad.reason


def test_rows_ingestion_rejects_keep_their_line(tenant_a, source_a):
    no_text = {"note_id": "empty", "content": "", "create_time": T_SECONDS}
    bad_time = {**WB_OLDER, "note_id": "later", "content": "时间乱码", "create_time": "昨天下午"}
    result = _import(tenant_a, source_a, _jsonl([WB_CURRENT, no_text, bad_time]), "search_contents_x.jsonl")

    assert result.accepted == 1
    assert [(row.line, row.reason) for row in result.rejected] == [
        (2, "缺少正文（body）"),
        (3, "发布时间格式无法识别：昨天下午"),
    ]


def test_it_reads_a_csv_with_bom_and_multiline_cells(tenant_a, source_a):
    multiline = {**XHS_OLDER, "desc": "第一行\n第二行，含逗号"}
    result = _import(tenant_a, source_a, _csv([XHS_CURRENT, multiline]), "data/xhs/csv/search_contents_2025.csv")

    assert (result.format, result.platform, result.accepted) == ("csv", "xhs", 2)
    stored = _stored(tenant_a)
    assert stored["66a1b2c3d4e5f60000000002"].body == "第一行\n第二行，含逗号"
    assert stored["66a1b2c3d4e5f60000000001"].likes == 35000
    assert stored["66a1b2c3d4e5f60000000001"].extra["tags"] == ["理财", "避雷"]
    _assert_no_personal_data(tenant_a)


def test_csv_line_numbers_count_physical_lines():
    rows = crawler_file_read(
        _csv([{**WB_CURRENT, "content": "多行\n内容"}, WB_OLDER]), filename="search_contents_x.csv"
    ).rows
    assert [row.line for row in rows] == [2, 4]


def test_it_reads_a_gbk_csv_saved_by_excel(tenant_a, source_a):
    content = _csv([TIEBA_CURRENT], encoding="gbk")
    crawler_file = crawler_file_read(content, filename="帖子导出.csv")

    assert (crawler_file.encoding, crawler_file.platform) == ("gb18030", "tieba")
    result = _import(tenant_a, source_a, content, "帖子导出.csv")
    assert result.accepted == 1
    assert _stored(tenant_a)["9001000001"].title == "华信地产交房延期有人维权吗"


def test_it_reads_a_json_array_with_line_numbers(tenant_a, source_a):
    content = json.dumps([BILI_CURRENT, "not a record"], ensure_ascii=False, indent=4).encode()
    result = _import(tenant_a, source_a, content, "data/bilibili/json/search_contents_2025-06-01.json")

    assert (result.format, result.platform, result.accepted) == ("json", "bili", 1)
    (bad,) = result.rejected
    assert bad.line == content.decode().splitlines().index('    "not a record"') + 1


def test_a_malformed_json_array_is_refused_with_its_line():
    content = b'[\n  {"note_id": "1", "content": "a"},\n  {"note_id": 2 "content": "b"}\n]'
    with pytest.raises(ValidationError) as error:
        crawler_file_read(content, filename="search_contents_x.json")
    assert "第 3 行" in error.value.messages[0]


def test_jsonl_named_json_is_read_as_jsonl():
    crawler_file = crawler_file_read(_jsonl([WB_CURRENT, WB_OLDER]), filename="search_contents_2025.json")
    assert (crawler_file.format, len(crawler_file.rows)) == ("jsonl", 2)


def test_platform_and_kind_come_from_the_fields_when_the_name_says_nothing():
    assert crawler_file_read(_jsonl([DY_CURRENT]), filename="export.jsonl").platform == "dy"
    assert crawler_file_read(_jsonl([ZHIHU_OLDER]), filename="export.jsonl").platform == "zhihu"
    assert crawler_file_read(_jsonl([KS_OLDER]), filename="export.jsonl").platform == "ks"
    assert crawler_file_read(_jsonl([{**WB_OLDER, "note_url": ""}]), filename="a.jsonl").platform == "wb"
    comments = crawler_file_read(_jsonl(DY_COMMENTS), filename="export.jsonl")
    assert (comments.platform, comments.kind) == ("dy", "comments")


def test_a_file_with_an_unknown_encoding_is_refused():
    with pytest.raises(ValidationError, match="无法识别文件编码"):
        crawler_file_read(b"note_id,content\n1,\xff\xfe\xfd\xff\n", filename="x.csv")


def test_a_file_over_the_size_limit_is_refused(tenant_a, source_a, monkeypatch, tmp_path):
    monkeypatch.setattr(crawler_reading, "MAX_FILE_BYTES", 100)
    content = _jsonl([WB_CURRENT])
    path = tmp_path / "search_contents_big.jsonl"
    path.write_bytes(content)

    for upload in (content, path, io.BytesIO(content)):
        with pytest.raises(ValidationError, match="文件过大"):
            _import(tenant_a, source_a, upload, "search_contents_big.jsonl")
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_a_creators_file_is_refused():
    with pytest.raises(ValidationError, match="创作者"):
        crawler_file_read(_jsonl([{"user_id": USER_ID, "nickname": NICKNAME, "fans": "10"}]), filename="c.jsonl")
    with pytest.raises(ValidationError, match="创作者"):
        crawler_file_read(b"[]", filename="data/xhs/json/creator_creators_2025-06-01.json")


# --- import behaviour


def test_reimporting_a_file_adds_only_duplicates(tenant_a, source_a):
    content = _jsonl([WB_CURRENT, WB_OLDER])
    _import(tenant_a, source_a, content, "search_contents_2025-06-01.jsonl")
    again = _import(tenant_a, source_a, content, "search_contents_2025-06-01.jsonl")

    assert (again.accepted, again.duplicate) == (0, 2)
    assert Mention.objects.for_tenant(tenant_a).count() == 2


def test_items_go_to_ingestion_in_chunks_and_keep_their_lines(tenant_a, source_a, monkeypatch):
    monkeypatch.setattr(crawler_files, "INGEST_CHUNK", 2)
    records = [{**WB_CURRENT, "note_id": f"n{i}", "content": f"第{i}条：逾期{i}天"} for i in range(5)]
    records[3]["create_time"] = "不是时间"
    result = _import(tenant_a, source_a, _jsonl(records), "search_contents_x.jsonl")

    assert (result.accepted, [row.line for row in result.rejected]) == (4, [4])


def test_the_import_is_audited_once(tenant_a, source_a, admin_a):
    _import(tenant_a, source_a, _jsonl([WB_CURRENT, WB_OLDER]), "search_contents_x.jsonl", actor=admin_a.user)

    events = list(AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="mention."))
    assert [event.action for event in events] == ["mention.import"]
    assert events[0].changes["accepted"] == 2


def test_a_viewer_cannot_import(tenant_a, source_a, viewer_a):
    with pytest.raises(PermissionDenied):
        _import(tenant_a, source_a, _jsonl([WB_CURRENT]), "search_contents_x.jsonl", actor=viewer_a.user)


def test_a_paused_source_refuses_imports(tenant_a, source_a):
    source_a.is_paused = True
    source_a.save()
    with pytest.raises(ValidationError, match="已暂停"):
        _import(tenant_a, source_a, _jsonl([WB_CURRENT]), "search_contents_x.jsonl")


def test_another_tenants_source_cannot_be_used(tenant_a, tenant_b):
    source_b = Source.objects.create(tenant=tenant_b, name="乙的来源", kind=Source.Kind.WEIBO)

    with pytest.raises(Http404):
        _import(tenant_a, source_b, _jsonl([WB_CURRENT]), "search_contents_x.jsonl")
    assert not Mention.objects.for_tenant(tenant_a).exists()
    assert not Mention.objects.for_tenant(tenant_b).exists()


# --- the command


def test_the_command_imports_a_file_and_prints_the_counts(tenant_a, source_a, tmp_path: Path):
    path = tmp_path / "data" / "wb" / "jsonl" / "search_contents_2025-06-01.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(_jsonl([WB_CURRENT]) + b"{oops\n" + _jsonl([WB_OLDER]))
    out = io.StringIO()

    call_command("import_mentions", tenant_a.slug, source_a.name, str(path), stdout=out)

    printed = out.getvalue()
    assert "平台 wb" in printed
    assert "读取 3 条，收录 2 条，重复 0 条，拒绝 1 条" in printed
    assert "第 2 行：不是有效的 JSON" in printed


def test_the_command_names_what_it_cannot_find(tenant_a, source_a, tenant_b, tmp_path: Path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(_jsonl([WB_CURRENT]))

    with pytest.raises(CommandError, match="找不到启用中的租户"):
        call_command("import_mentions", "nobody", source_a.name, str(path))
    with pytest.raises(CommandError, match="爬虫导入"):
        call_command("import_mentions", tenant_a.slug, "没有这个源", str(path))
    with pytest.raises(CommandError, match="没有名为"):  # tenant B has no source of tenant A's
        call_command("import_mentions", tenant_b.slug, source_a.name, str(path))
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_mentions", tenant_a.slug, source_a.name, str(tmp_path / "missing.jsonl"))


# --- small helpers


@pytest.mark.parametrize(
    ("location", "province"),
    [("IP属地：广东", "广东"), ("发布于 内蒙古呼和浩特", "内蒙古"), ("来自上海", "上海"), ("美国", ""), ("", "")],
)
def test_locations_are_cut_to_the_province(location, province):
    assert province_of(location) == province


# --- faults: one bad row costs that row; a fatal error keeps nothing and is audited


def _numbered(count: int) -> list[dict]:
    return [{**WB_CURRENT, "note_id": f"n{i}", "content": f"第{i}条：华信地产逾期{i}天"} for i in range(1, count + 1)]


def _raising_for(marker: str, error: Exception):
    """mentions_ingest that raises whenever the batch holds the item whose external id is `marker`."""
    real = guarded_ingest.mentions_ingest

    def ingest(**kwargs):
        if any(item.get("external_id") == marker for item in kwargs["items"]):
            raise error
        return real(**kwargs)

    return ingest


def test_a_row_that_makes_ingestion_raise_costs_only_that_row(tenant_a, source_a, monkeypatch):
    monkeypatch.setattr(crawler_files, "INGEST_CHUNK", 100)
    monkeypatch.setattr(guarded_ingest, "mentions_ingest", _raising_for("n201", ValueError("odd value")))

    result = _import(tenant_a, source_a, _jsonl(_numbered(250)), "search_contents_x.jsonl")

    assert (result.accepted, result.duplicate) == (249, 0)
    (bad,) = result.rejected
    assert bad.line == 201
    assert "无法保存" in bad.reason
    assert Mention.objects.for_tenant(tenant_a).count() == 249
    (event,) = AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="mention.")
    assert event.action == "mention.import"
    assert event.changes | {"file": "search_contents_x.jsonl"} == event.changes
    assert (event.changes["accepted"], event.changes["rejected"], event.changes["last_line"]) == (249, 1, 250)


@pytest.mark.parametrize("hostile", ["\ud800", "\udfff尾"])
def test_it_rejects_a_lone_surrogate_row_alone(tenant_a, source_a, hostile):
    good = _jsonl(_numbered(2))
    # json.dumps escapes the surrogate as \ud800, which json.loads turns back into a lone surrogate.
    bad = json.dumps({**WB_OLDER, "note_id": "bad", "content": f"正文{hostile}"}).encode() + b"\n"
    result = _import(tenant_a, source_a, good[: good.index(b"\n") + 1] + bad + good[good.index(b"\n") + 1 :], "x.jsonl")

    assert result.accepted == 2
    assert [row.line for row in result.rejected] == [2]
    assert result.rejected[0].reason
    assert set(_stored(tenant_a)) == {"n1", "n2"}


def test_a_fatal_error_keeps_nothing_and_records_where_it_stopped(tenant_a, source_a, admin_a, monkeypatch):
    from django.db import OperationalError

    monkeypatch.setattr(crawler_files, "INGEST_CHUNK", 2)
    monkeypatch.setattr(guarded_ingest, "mentions_ingest", _raising_for("n3", OperationalError("connection lost")))

    with pytest.raises(ValidationError) as error:
        _import(tenant_a, source_a, _jsonl(_numbered(5)), "search_contents_x.jsonl", actor=admin_a.user)

    assert "未保存任何一条" in error.value.messages[0]
    assert "第 3 行" in error.value.messages[0]
    assert not Mention.objects.for_tenant(tenant_a).exists()  # the first chunk was rolled back too
    (event,) = AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="mention.")
    assert event.action == "mention.import_failed"
    assert event.actor_id == admin_a.user.pk
    assert (event.changes["stopped_at_line"], event.changes["completed"], event.changes["accepted"]) == (3, False, 0)
    assert event.changes["file"] == "search_contents_x.jsonl"


def test_the_file_can_be_imported_again_after_a_fatal_error(tenant_a, source_a, monkeypatch):
    from django.db import OperationalError

    content = _jsonl(_numbered(3))
    with monkeypatch.context() as patch:
        patch.setattr(guarded_ingest, "mentions_ingest", _raising_for("n2", OperationalError("deadlock detected")))
        with pytest.raises(ValidationError):
            _import(tenant_a, source_a, content, "search_contents_x.jsonl")

    again = _import(tenant_a, source_a, content, "search_contents_x.jsonl")
    assert (again.accepted, again.duplicate, again.rejected_count) == (3, 0, 0)


def test_a_csv_row_of_the_wrong_width_is_rejected_with_its_line(tenant_a, source_a):
    content = (
        "note_id,content,create_time\n"
        f"w1,华信地产理财逾期,{T_SECONDS}\n"
        f"w2,多了一列,{T_SECONDS},多余\n"
        "w3,少了一列\n"
        f"w4,华信地产兑付延期,{T_SECONDS}\n"
    ).encode()
    result = _import(tenant_a, source_a, content, "data/wb/csv/search_contents_x.csv")

    assert result.accepted == 2
    assert [(row.line, row.reason) for row in result.rejected] == [
        (3, "CSV 列数与表头不符：此行 4 列，表头 3 列"),
        (4, "CSV 列数与表头不符：此行 2 列，表头 3 列"),
    ]
    assert set(_stored(tenant_a)) == {"w1", "w4"}


def test_a_deeply_nested_jsonl_line_is_rejected_alone(tenant_a, source_a):
    content = _jsonl([WB_CURRENT]) + b"[" * 100_000 + b"\n" + _jsonl([WB_OLDER])
    result = _import(tenant_a, source_a, content, "data/wb/jsonl/search_contents_x.jsonl")

    assert result.accepted == 2
    assert [row.line for row in result.rejected] == [2]


def test_a_record_that_cannot_be_mapped_is_rejected_alone(tenant_a, source_a, monkeypatch):
    real = crawler_reading.record_to_item

    def mapping(record, **kwargs):
        if record.get("note_id") == "n2":
            raise TypeError("odd shape")
        return real(record, **kwargs)

    monkeypatch.setattr(crawler_reading, "record_to_item", mapping)
    result = _import(tenant_a, source_a, _jsonl(_numbered(3)), "data/wb/jsonl/search_contents_x.jsonl")

    assert result.accepted == 2
    assert [(row.line, row.reason) for row in result.rejected] == [(2, "无法读取这条记录（TypeError）")]


def test_the_command_says_nothing_was_imported_after_a_fatal_error(tenant_a, source_a, tmp_path, monkeypatch):
    from django.db import OperationalError

    monkeypatch.setattr(guarded_ingest, "mentions_ingest", _raising_for("n1", OperationalError("gone")))
    path = tmp_path / "search_contents_x.jsonl"
    path.write_bytes(_jsonl(_numbered(2)))

    with pytest.raises(CommandError, match="未保存任何一条"):
        call_command("import_mentions", tenant_a.slug, source_a.name, str(path))
    assert not Mention.objects.for_tenant(tenant_a).exists()


def test_the_portal_upload_says_in_chinese_that_nothing_was_kept_after_a_fatal_error(
    client_for, tenant_a, source_a, handler_a, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import OperationalError
    from django.urls import reverse

    monkeypatch.setattr(guarded_ingest, "mentions_ingest", _raising_for("n2", OperationalError("connection lost")))
    upload = SimpleUploadedFile("search_contents_x.jsonl", _jsonl(_numbered(3)), content_type="application/json")
    response = client_for(handler_a).post(reverse("monitoring:crawler-upload"), {"source": source_a.pk, "file": upload})

    assert response.status_code == 200
    assert "导入失败，本文件未保存任何一条" in response.content.decode()
    assert not Mention.objects.for_tenant(tenant_a).exists()
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="mention.import_failed").count() == 1
