"""One crawler record (a post or a comment, current or older field set) → one ingestion item.

Field names per platform are in DOMAIN.md ("Crawler output files"). Only a whitelist of fields
reaches the item: the author (nickname, else an id) goes to ingestion, which keeps a salted hash
and a masked nickname only; the location is cut to a province; avatars, user ids, profile links
and signatures are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yuqing.monitoring.services.ingestion.normalize import parse_count

_URL_PLATFORMS = (
    ("weibo.c", "wb"),
    ("xiaohongshu.com", "xhs"),
    ("douyin.com", "dy"),
    ("kuaishou.com", "ks"),
    ("bilibili.com", "bili"),
    ("tieba.baidu.com", "tieba"),
    ("zhihu.com", "zhihu"),
)
PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()


@dataclass(frozen=True)
class PlatformFields:
    """Where each item field is found in one platform's post records (first non-empty wins)."""

    label: str | Promise
    post_id: tuple[str, ...]
    url: tuple[str, ...]
    url_template: str
    title: tuple[str, ...]
    body: tuple[str, ...]
    published: tuple[str, ...]
    likes: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    # Douyin and Kuaishou copy the description into `title`: keeping it would count every term twice.
    title_copies_body: bool = False


PLATFORMS: dict[str, PlatformFields] = {
    "wb": PlatformFields(
        _("微博"),
        ("note_id",),
        ("note_url",),
        "https://m.weibo.cn/detail/{id}",
        (),
        ("content",),
        ("create_time", "create_date_time"),
        ("liked_count",),
        ("comments_count",),
        ("shared_count",),
    ),
    "xhs": PlatformFields(
        _("小红书"),
        ("note_id",),
        ("note_url",),
        "https://www.xiaohongshu.com/explore/{id}",
        ("title",),
        ("desc",),
        ("time", "last_update_time"),
        ("liked_count",),
        ("comment_count",),
        ("share_count",),
    ),
    "dy": PlatformFields(
        _("抖音"),
        ("aweme_id",),
        ("aweme_url",),
        "https://www.douyin.com/video/{id}",
        ("title",),
        ("desc",),
        ("create_time",),
        ("liked_count",),
        ("comment_count",),
        ("share_count",),
        title_copies_body=True,
    ),
    "ks": PlatformFields(
        _("快手"),
        ("video_id",),
        ("video_url",),
        "https://www.kuaishou.com/short-video/{id}",
        ("title",),
        ("desc",),
        ("create_time",),
        ("liked_count",),
        views=("viewd_count", "view_count", "video_play_count"),
        title_copies_body=True,
    ),
    "bili": PlatformFields(
        _("哔哩哔哩"),
        ("video_id",),
        ("video_url",),
        "https://www.bilibili.com/video/av{id}",
        ("title",),
        ("desc",),
        ("create_time",),
        ("liked_count",),
        ("video_comment",),
        ("video_share_count",),
        ("video_play_count",),
    ),
    "tieba": PlatformFields(
        _("贴吧"),
        ("note_id",),
        ("note_url",),
        "https://tieba.baidu.com/p/{id}",
        ("title",),
        ("desc",),
        ("publish_time",),
        comments=("total_replay_num",),
    ),
    "zhihu": PlatformFields(
        _("知乎"),
        ("content_id",),
        ("content_url",),
        "",
        ("title",),
        ("content_text", "desc"),
        ("created_time", "updated_time"),
        ("voteup_count",),
        ("comment_count",),
    ),
}
# A file whose platform cannot be told: every known name.
GENERIC = PlatformFields(
    "",
    ("note_id", "aweme_id", "video_id", "content_id", "id"),
    ("note_url", "aweme_url", "video_url", "content_url", "url"),
    "",
    ("title",),
    ("content", "desc", "content_text", "text"),
    ("create_time", "time", "publish_time", "created_time", "create_date_time"),
    ("liked_count", "voteup_count", "like_count"),
    ("comment_count", "comments_count", "video_comment", "total_replay_num"),
    ("share_count", "shared_count", "video_share_count"),
    ("video_play_count", "viewd_count", "view_count"),
)
COMMENT_PARENT_ID = ("note_id", "aweme_id", "video_id", "content_id")
AUTHOR_FIELDS = ("nickname", "user_nickname", "user_name", "user_id", "creator_hash")
TYPE_FIELDS = ("type", "aweme_type", "video_type", "content_type")
# Extra figures worth keeping (never identity): stored under their short name in `extra`.
EXTRA_COUNTS = {
    "collected_count": "collected",
    "video_danmaku": "danmaku",
    "video_coin_count": "coins",
    "video_favorite_count": "favorites",
}


def platform_from_fields(record: dict[str, Any]) -> str:
    for key in ("note_url", "aweme_url", "video_url", "content_url", "url"):
        url = str(record.get(key) or "").lower()
        for domain, platform in _URL_PLATFORMS:
            if domain in url:
                return platform
    if "aweme_id" in record:
        return "dy"
    if "content_id" in record or "voteup_count" in record:
        return "zhihu"
    if "tieba_name" in record or "total_replay_num" in record:
        return "tieba"
    if "video_id" in record:
        return "bili" if {"video_play_count", "video_comment", "video_danmaku"} & record.keys() else "ks"
    if "note_id" in record:
        if {"comments_count", "shared_count", "create_date_time"} & record.keys():
            return "wb"
        if {"collected_count", "desc", "image_list", "time"} & record.keys():
            return "xhs"
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _first(record: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = _text(record.get(name))
        if value and value.lower() not in {"none", "null", "nan"}:
            return value
    return ""


def _count(value: Any) -> int:
    try:
        return max(parse_count(value), 0)
    except ValueError:
        return 0


def province_of(location: Any) -> str:
    """'IP属地：广东' / '发布于 广东省深圳市' / '来自广东' → '广东'; nothing finer is kept, unknown → ''."""
    text = _text(location)
    return next((province for province in PROVINCES if province in text), "")


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(tag) for tag in value if _text(tag)][:20]
    return [tag.strip() for tag in _text(value).split(",") if tag.strip()][:20]


def record_to_item(record: dict[str, Any], *, platform: str, kind: str) -> dict[str, Any]:
    """One crawler record (post or comment, current or older fields) → an ingestion item.

    Identity fields other than the author (avatar, user ids, profile links, signatures) are
    never copied; the author is handed to ingestion, which keeps only its hash and a mask.
    """
    fields = PLATFORMS.get(platform, GENERIC)
    is_comment = kind == "comments" or ("comment_id" in record and kind != "contents")
    extra: dict[str, Any] = {"platform": platform} if platform else {}
    if is_comment:
        comment_id = _first(record, ("comment_id",))
        parent_id = _first(record, COMMENT_PARENT_ID)
        item: dict[str, Any] = {
            "external_id": f"c:{comment_id}" if comment_id else "",
            "title": "",
            "body": _first(record, ("content", "text")),
            "url": _first(record, fields.url) or _first(record, ("note_url", "content_url")),
            "likes": _first(record, ("like_count", "comment_like_count")),
            "comments": _first(record, ("sub_comment_count",)),
        }
        published_fields: tuple[str, ...] = ("create_time", "publish_time", "created_time", "create_date_time")
        if not item["url"] and parent_id and fields.url_template:
            item["url"] = fields.url_template.format(id=parent_id)
        extra["kind"] = "comment"
        if parent_id:
            extra["parent_id"] = parent_id
        parent_comment = _first(record, ("parent_comment_id",))
        if parent_comment and parent_comment != "0":
            extra["parent_comment_id"] = parent_comment
    else:
        post_id = _first(record, fields.post_id)
        body = _first(record, fields.body)
        title = _first(record, fields.title)
        if fields.title_copies_body and body.startswith(title):
            title = ""
        item = {
            "external_id": post_id,
            "title": title,
            "body": body,
            "url": _first(record, fields.url)
            or (fields.url_template.format(id=post_id) if post_id and fields.url_template else ""),
            "likes": _first(record, fields.likes),
            "comments": _first(record, fields.comments),
            "shares": _first(record, fields.shares),
            "views": _first(record, fields.views),
        }
        published_fields = fields.published
        for name, short in EXTRA_COUNTS.items():
            if count := _count(record.get(name)):
                extra[short] = count
        if tags := _tags(record.get("tag_list")):
            extra["tags"] = tags
        if tieba := _first(record, ("tieba_name",)):
            extra["tieba_name"] = tieba
    # Counts and times go as written ("1.2万", ms or s, China time): ingestion parses and checks them.
    item["published_at"] = next(
        (value for name in published_fields if (value := _first(record, (name,))) not in {"", "0"}), ""
    )
    if kind_value := _first(record, TYPE_FIELDS):
        extra["type"] = kind_value
    if province := province_of(record.get("ip_location")):
        extra["ip_province"] = province
    item["author"] = _first(record, AUTHOR_FIELDS)
    item["keyword"] = _first(record, ("source_keyword",))[:100]
    item["extra"] = extra
    return {key: value for key, value in item.items() if value is not None and value != ""}
