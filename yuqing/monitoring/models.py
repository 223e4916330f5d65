"""舆情 monitoring: sources, mentions and their scores, keyword rules, stories and warnings.

A mention is stored first (status pending) and scored afterwards by an RQ job; a sweep re-queues
any pending mention whose job was lost, so nothing accepted is ever dropped.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from incidents.models import Incident
from yuqing.tenancy.models import Membership, TenantOwned


class Level(models.IntegerChoices):
    """Warning level: one number, 1 the most severe (红 I); labels derive from it (DOMAIN.md)."""

    RED = 1, _("红色 I 级")
    ORANGE = 2, _("橙色 II 级")
    YELLOW = 3, _("黄色 III 级")
    BLUE = 4, _("蓝色 IV 级")


LEVEL_COLOURS = {Level.RED: "red", Level.ORANGE: "orange", Level.YELLOW: "yellow", Level.BLUE: "blue"}


class Polarity(models.TextChoices):
    NEGATIVE = "negative", _("负面")
    NEUTRAL = "neutral", _("中性")
    POSITIVE = "positive", _("正面")


class Source(TenantOwned):
    class Kind(models.TextChoices):
        NEWS = "news", _("新闻网站")
        FORUM = "forum", _("论坛")
        WEIBO = "weibo", _("微博")
        WECHAT = "wechat", _("微信")
        XIAOHONGSHU = "xiaohongshu", _("小红书")
        DOUYIN = "douyin", _("抖音")
        TIEBA = "tieba", _("贴吧")
        ZHIHU = "zhihu", _("知乎")
        COMMUNITY = "community", _("客户社群")
        FEED = "feed", _("RSS/Atom 订阅")
        API = "api", _("接口推送")
        MANUAL = "manual", _("人工录入")

    class PollStatus(models.TextChoices):
        NEVER = "", _("未抓取")
        OK = "ok", _("正常")
        NOT_MODIFIED = "not_modified", _("无更新")
        ERROR = "error", _("出错")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    # Authority: a national outlet weighs more than an anonymous forum (0.1 – 3.0, 1.0 ordinary).
    weight = models.DecimalField(
        _("权重"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("3.0"))],
    )
    owner = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("负责人")
    )
    is_paused = models.BooleanField(_("已暂停"), default=False)
    to_simplified = models.BooleanField(_("繁体转简体"), default=False)
    # RSS/Atom
    feed_url = models.URLField(_("订阅地址"), max_length=500, blank=True)
    poll_minutes = models.PositiveSmallIntegerField(_("抓取间隔（分钟）"), default=15)
    last_polled_at = models.DateTimeField(_("上次抓取"), null=True, blank=True)
    last_poll_status = models.CharField(
        _("抓取状态"), max_length=20, choices=PollStatus.choices, default=PollStatus.NEVER, blank=True
    )
    last_poll_error = models.CharField(_("抓取错误"), max_length=500, blank=True)
    feed_etag = models.CharField(max_length=200, blank=True)
    feed_modified = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信息源")
        verbose_name_plural = _("信息源")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="source_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class IngestToken(TenantOwned):
    """A bearer token for the ingestion API. Only its SHA-256 is stored; the prefix identifies it."""

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("默认信息源"),
    )
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接入令牌")
        verbose_name_plural = _("接入令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Story(TenantOwned):
    """Related mentions (same customer or topic within a window, near-duplicate text): one warning."""

    title = models.CharField(_("标题"), max_length=200)
    # The terms that define the topic (top matched risk terms and linked customer ids), for grouping.
    signature = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(_("首次出现"))
    last_seen_at = models.DateTimeField(_("最近出现"), db_index=True)
    mention_count = models.PositiveIntegerField(_("提及数"), default=0)
    top_score = models.PositiveSmallIntegerField(_("最高风险分"), default=0)
    customers = models.ManyToManyField(
        Customer, through="StoryCustomer", blank=True, related_name="stories", verbose_name=_("涉及客户")
    )

    class Meta:
        verbose_name = _("舆情话题")
        verbose_name_plural = _("舆情话题")
        ordering = ["-last_seen_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class StoryCustomer(TenantOwned):
    """A link of Story.customers: tenant-owned, so the tenant scoping and row-level security cover it too."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "monitoring_story_customers"
        verbose_name = _("话题客户")
        verbose_name_plural = _("话题客户")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "story", "customer"], name="story_customer_once"),
        ]


class Mention(TenantOwned):
    class Via(models.TextChoices):
        API = "api", _("接口")
        FEED = "feed", _("订阅抓取")
        FILE = "file", _("文件导入")
        MANUAL = "manual", _("人工录入")

    class Status(models.TextChoices):
        PENDING = "pending", _("待评分")
        SCORED = "scored", _("已评分")

    class Triage(models.TextChoices):
        NEW = "new", _("待研判")
        RELEVANT = "relevant", _("相关")
        NOT_RELEVANT = "not_relevant", _("无关")
        DISMISSED = "dismissed", _("已忽略")
        ESCALATED = "escalated", _("已升级")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="mentions", verbose_name=_("信息源"))
    external_id = models.CharField(_("外部编号"), max_length=200, blank=True)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    title = models.CharField(_("标题"), max_length=300, blank=True)
    body = models.TextField(_("正文"))
    # Authors are kept only as a salted hash and a masked nickname (personal data).
    author_hash = models.CharField(max_length=64, blank=True)
    author_display = models.CharField(_("作者"), max_length=100, blank=True)
    keyword = models.CharField(_("采集关键词"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    retrieved_at = models.DateTimeField(_("采集时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    via = models.CharField(_("接入方式"), max_length=10, choices=Via.choices)
    content_hash = models.CharField(_("内容指纹"), max_length=64)
    repost_count = models.PositiveIntegerField(_("转载数"), default=0)
    # Reach
    likes = models.PositiveBigIntegerField(_("点赞"), default=0)
    comments = models.PositiveBigIntegerField(_("评论"), default=0)
    shares = models.PositiveBigIntegerField(_("转发/收藏"), default=0)
    views = models.PositiveBigIntegerField(_("阅读/播放"), default=0)
    followers = models.PositiveBigIntegerField(_("作者粉丝"), default=0)
    extra = models.JSONField(_("其他字段"), default=dict, blank=True)
    # ID and mobile numbers in title, body and extra are stored masked; the originals of the
    # masked fields, as JSON, Fernet-encrypted (yuqing.monitoring.services.personal_data). "" when none.
    original_encrypted = models.TextField(blank=True, default="", editable=False)
    # Scoring
    status = models.CharField(_("评分状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    score = models.PositiveSmallIntegerField(_("风险分"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("预警级别"), choices=Level.choices, null=True, blank=True)
    sentiment = models.FloatField(_("情感正面概率"), null=True, blank=True)
    polarity = models.CharField(_("情感倾向"), max_length=10, choices=Polarity.choices, blank=True)
    explanation = models.JSONField(_("评分说明"), default=dict, blank=True)
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    # When the warnings step last grouped it; NULL again whenever it is (re)scored. Scored with no
    # grouped_at means its warn job is still due (or was lost: mentions_warn_sweep finds it).
    grouped_at = models.DateTimeField(_("预警处理时间"), null=True, blank=True)
    story = models.ForeignKey(
        Story, on_delete=models.SET_NULL, null=True, blank=True, related_name="mentions", verbose_name=_("话题")
    )
    customers = models.ManyToManyField(
        Customer, through="MentionCustomer", blank=True, related_name="mentions", verbose_name=_("涉及客户")
    )
    # Triage (analysts' labels train the tenant's sentiment model)
    triage = models.CharField(_("研判"), max_length=20, choices=Triage.choices, default=Triage.NEW)
    labelled_polarity = models.CharField(_("人工情感标注"), max_length=10, choices=Polarity.choices, blank=True)
    triaged_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    triaged_at = models.DateTimeField(_("研判时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("舆情信息")
        verbose_name_plural = _("舆情信息")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="mention_unique_external_id",
            ),
            models.UniqueConstraint(fields=["tenant", "content_hash"], name="mention_unique_content"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-published_at"], name="mention_published_idx"),
            models.Index(fields=["tenant", "level", "-published_at"], name="mention_level_idx"),
            models.Index(fields=["status", "received_at"], name="mention_pending_idx"),
            models.Index(fields=["tenant", "story"], name="mention_story_idx"),
            # The warn sweep's one query: only scored mentions still waiting for warnings are in it.
            models.Index(
                fields=["scored_at"],
                condition=models.Q(status="scored", grouped_at__isnull=True),
                name="mention_ungrouped_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.body[:40]

    @property
    def has_masked_personal_data(self) -> bool:
        return bool(self.original_encrypted)


class MentionRepost(TenantOwned):
    """Another item carrying a stored mention's text (same content fingerprint): a repost.

    The mention counts it (`repost_count`); this row keeps its provenance and its identity
    (source + external id, or source + URL), so that re-delivering it is recognised as a
    duplicate and never counted twice.
    """

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="reposts")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("信息源"))
    external_id = models.CharField(_("外部编号"), max_length=200, blank=True)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("转载")
        verbose_name_plural = _("转载")
        ordering = ["published_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="mention_repost_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "mention"], name="mention_repost_idx")]


class MentionCustomer(TenantOwned):
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="customer_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="mention_links")
    matched = models.CharField(_("匹配词"), max_length=200)

    class Meta:
        verbose_name = _("提及客户")
        verbose_name_plural = _("提及客户")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "mention", "customer"], name="mention_customer_once"),
        ]
        indexes = [models.Index(fields=["tenant", "customer"], name="mention_customer_idx")]


class KeywordRule(TenantOwned):
    class Kind(models.TextChoices):
        INCLUDE = "include", _("关注词")
        EXCLUDE = "exclude", _("排除词")
        SENSITIVE = "sensitive", _("敏感词")

    class Field(models.TextChoices):
        TITLE = "title", _("标题")
        BODY = "body", _("正文")
        BOTH = "both", _("标题和正文")

    term = models.CharField(_("词语"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.SENSITIVE)
    category = models.CharField(_("类别"), max_length=30, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("权重"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    field = models.CharField(_("匹配范围"), max_length=5, choices=Field.choices, default=Field.BOTH)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("关键词规则")
        verbose_name_plural = _("关键词规则")
        ordering = ["kind", "category", "term"]
        constraints = [models.UniqueConstraint(fields=["tenant", "term", "kind"], name="keyword_rule_unique")]

    def __str__(self) -> str:
        return self.term


class DictionaryWord(TenantOwned):
    """A word of the tenant's own jieba dictionary (brands, products, executives). Customer names
    and aliases join it automatically; these are the rest."""

    class Kind(models.TextChoices):
        BRAND = "brand", _("品牌")
        PRODUCT = "product", _("产品")
        EXECUTIVE = "executive", _("高管")
        OTHER = "other", _("其他")

    word = models.CharField(_("词语"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        verbose_name = _("自定义词典")
        verbose_name_plural = _("自定义词典")
        ordering = ["word"]
        constraints = [models.UniqueConstraint(fields=["tenant", "word"], name="dictionary_word_unique")]

    def __str__(self) -> str:
        return self.word


class WarningPolicy(TenantOwned):
    """A tenant's thresholds and grouping window (one row per tenant, created with defaults)."""

    class LabelStyle(models.TextChoices):
        LAW_2024 = "2024", _("一级至四级（红橙黄蓝）")
        PLAN_2006 = "2006", _("特别严重 / 严重 / 较重 / 一般")

    blue_at = models.PositiveSmallIntegerField(_("蓝色预警分数线"), default=40)
    yellow_at = models.PositiveSmallIntegerField(_("黄色预警分数线"), default=55)
    orange_at = models.PositiveSmallIntegerField(_("橙色预警分数线"), default=70)
    red_at = models.PositiveSmallIntegerField(_("红色预警分数线"), default=85)
    label_style = models.CharField(_("级别名称"), max_length=4, choices=LabelStyle.choices, default=LabelStyle.LAW_2024)
    story_window_hours = models.PositiveSmallIntegerField(_("话题归并窗口（小时）"), default=48)
    vip_boost = models.PositiveSmallIntegerField(_("VIP 客户加分"), default=5)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("预警策略")
        verbose_name_plural = _("预警策略")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="warning_policy_one_per_tenant")]

    def __str__(self) -> str:
        return str(_("预警策略"))

    def level_for(self, score: int) -> int | None:
        for threshold, level in (
            (self.red_at, Level.RED),
            (self.orange_at, Level.ORANGE),
            (self.yellow_at, Level.YELLOW),
            (self.blue_at, Level.BLUE),
        ):
            if score >= threshold:
                return int(level)
        return None


class RiskWarning(TenantOwned):
    """One warning per story; its level moves as the story develops (升级 / 降级)."""

    class Queue(models.TextChoices):
        CUSTOMER_SERVICE = "customer_service", _("客服首办")
        INCIDENT = "incident", _("事件处置")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        CLOSED = "closed", _("已关闭")

    story = models.OneToOneField(Story, on_delete=models.CASCADE, related_name="warning", verbose_name=_("话题"))
    level = models.PositiveSmallIntegerField(_("预警级别"), choices=Level.choices)
    peak_level = models.PositiveSmallIntegerField(_("最高级别"), choices=Level.choices)
    score = models.PositiveSmallIntegerField(_("风险分"))
    queue = models.CharField(_("处理队列"), max_length=20, choices=Queue.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="warnings", verbose_name=_("关联事件")
    )
    trigger = models.ForeignKey(
        Mention, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("触发信息")
    )
    handler = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    raised_at = models.DateTimeField(_("预警时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["level", "-updated_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "status", "level"], name="warning_board_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.story}"


class WarningChange(TenantOwned):
    """The level history of a warning: raised, upgraded, downgraded."""

    warning = models.ForeignKey(RiskWarning, on_delete=models.CASCADE, related_name="changes")
    from_level = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    to_level = models.PositiveSmallIntegerField(choices=Level.choices)
    score = models.PositiveSmallIntegerField()
    mention = models.ForeignKey(Mention, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    # A change by an analyst (warning_set_level) names them and says why; automatic ones leave both empty.
    changed_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("调整人")
    )
    reason = models.CharField(_("调整原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class WarningRoute(TenantOwned):
    """Send warnings of a level or more severe to a notification channel, outside its quiet hours.

    `min_level` is a Level number meaning "this level or more severe" (3 = yellow, orange and red).
    Quiet hours are local wall time in the tenant's time zone and may span midnight (22:00–08:00);
    `quiet_on_non_working_days` keeps the whole of weekends and statutory holidays quiet, while
    make-up working days (调休) count as working days (yuqing.workcalendar). Inside a quiet period
    a message is held until it ends; a red warning is never held.
    """

    name = models.CharField(_("名称"), max_length=100)
    min_level = models.PositiveSmallIntegerField(
        _("最低预警级别"),
        choices=Level.choices,
        default=Level.YELLOW,
        help_text=_("达到该级别或更严重时发送。"),
    )
    channel = models.ForeignKey(
        "notify.Channel", on_delete=models.CASCADE, related_name="+", verbose_name=_("通知渠道")
    )
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)
    quiet_on_non_working_days = models.BooleanField(_("非工作日免打扰"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预警推送规则")
        verbose_name_plural = _("预警推送规则")
        ordering = ["min_level", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="warning_route_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if (self.quiet_start is None) != (self.quiet_end is None):
            errors["quiet_end"] = _("免打扰时段需要同时填写开始和结束时间。")
        elif self.quiet_start is not None and self.quiet_start == self.quiet_end:
            errors["quiet_end"] = _("免打扰的开始和结束时间不能相同。")
        if self.channel_id is not None and self.tenant_id is not None and self.channel.tenant_id != self.tenant_id:
            errors["channel"] = _("通知渠道不属于本机构。")
        if errors:
            raise ValidationError(errors)


class SentimentModel(TenantOwned):
    """A per-tenant sentiment classifier trained on analysts' labels (snownlp Bayes on jieba words).

    Versioned; an admin switches to one after seeing its held-out accuracy beside the default's.
    """

    class Status(models.TextChoices):
        TRAINING = "training", _("训练中")
        READY = "ready", _("可启用")
        FAILED = "failed", _("训练失败")

    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.TRAINING)
    is_active = models.BooleanField(_("启用中"), default=False)
    sample_count = models.PositiveIntegerField(_("训练样本数"), default=0)
    test_count = models.PositiveIntegerField(_("测试样本数"), default=0)
    accuracy = models.FloatField(_("测试准确率"), null=True, blank=True)
    default_accuracy = models.FloatField(_("默认模型准确率"), null=True, blank=True)
    data = models.BinaryField(editable=False, null=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    trained_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("情感模型")
        verbose_name_plural = _("情感模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="sentiment_model_version_unique"),
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_active=True), name="sentiment_model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
