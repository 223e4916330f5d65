"""舆情 incidents: the case, its phases, cross-department tasks, timeline, evidence, SLA clocks, review."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Feedback, Tier
from yuqing.tenancy.models import Department, Membership, TenantOwned
from yuqing.workcalendar.models import deadline_basis_field


class Severity(models.IntegerChoices):
    """One number, 1 the most severe (突发事件应对法 grades; warning colours derive from it)."""

    I = 1, _("I 级 特别重大")  # noqa: E741
    II = 2, _("II 级 重大")
    III = 3, _("III 级 较大")
    IV = 4, _("IV 级 一般")


class Phase(models.TextChoices):
    RESPONSE = "response", _("响应与信息收集")
    ANALYSIS = "analysis", _("分析研判")
    PLANNING = "planning", _("制定方案")
    IMPLEMENTATION = "implementation", _("实施与反馈")
    REVIEW = "review", _("复盘总结")
    CLOSED = "closed", _("已关闭")


PHASE_ORDER = [Phase.RESPONSE, Phase.ANALYSIS, Phase.PLANNING, Phase.IMPLEMENTATION, Phase.REVIEW, Phase.CLOSED]


class MediaLevel(models.TextChoices):
    CENTRAL = "central", _("中央媒体")
    PROVINCIAL = "provincial", _("省级媒体")
    CITY = "city", _("地市媒体")
    SELF_MEDIA = "self_media", _("自媒体")
    FOREIGN = "foreign", _("境外媒体")
    NONE = "none", _("未见媒体")


class IncidentNature(TenantOwned):
    """Nature of an incident (个体言论, 质疑商业模式, 谣言, 监管关注, 数据泄露, ...): tenant-editable."""

    name = models.CharField(_("名称"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("事件性质")
        verbose_name_plural = _("事件性质")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="nature_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class IncidentCounter(TenantOwned):
    """The last number used for a tenant's year: locked while a code is taken, so codes have no gaps."""

    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="incident_counter_per_year")]


class Incident(TenantOwned):
    code = models.CharField(_("编号"), max_length=20)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("概要"), blank=True)
    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices, default=Severity.IV)
    nature = models.ForeignKey(IncidentNature, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("性质"))
    phase = models.CharField(_("阶段"), max_length=20, choices=Phase.choices, default=Phase.RESPONSE)
    # Scope
    estimated_reach = models.PositiveBigIntegerField(_("预估传播量"), null=True, blank=True)
    media_level = models.CharField(_("媒体层级"), max_length=20, choices=MediaLevel.choices, blank=True)
    regions = models.CharField(_("涉及地区"), max_length=200, blank=True)
    # 响应与信息收集
    facts_who = models.TextField(_("涉及主体（谁）"), blank=True)
    facts_what = models.TextField(_("事件经过（什么）"), blank=True)
    facts_when = models.CharField(_("发生时间（何时）"), max_length=200, blank=True)
    background = models.TextField(_("背景"), blank=True)
    legal_questions = models.TextField(_("法律问题"), blank=True)
    # 分析研判
    analysis = models.TextField(_("研判结论"), blank=True)
    # 制定方案
    plan = models.TextField(_("处置方案"), blank=True)
    responsibilities = models.TextField(_("职责分工"), blank=True)
    # 实施与反馈
    actions_taken = models.TextField(_("已采取措施"), blank=True)
    communications = models.TextField(_("对外沟通"), blank=True)
    customer_feedback_summary = models.TextField(_("客户反馈"), blank=True)

    owner = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_incidents",
        verbose_name=_("负责人"),
    )
    departments = models.ManyToManyField(
        Department, through="IncidentDepartment", blank=True, related_name="incidents", verbose_name=_("参与部门")
    )
    customers = models.ManyToManyField(
        Customer, through="IncidentCustomer", blank=True, related_name="incidents", verbose_name=_("涉及客户")
    )
    # The feedback side reads its incidents through this reverse relation (Feedback.incidents).
    feedback = models.ManyToManyField(
        Feedback, through="IncidentFeedback", blank=True, related_name="incidents", verbose_name=_("关联反馈")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("发现时间"))
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("舆情事件")
        verbose_name_plural = _("舆情事件")
        ordering = ["-opened_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="incident_unique_code_per_tenant")]
        indexes = [
            models.Index(fields=["tenant", "phase", "severity"], name="incident_phase_idx"),
            models.Index(fields=["tenant", "-opened_at"], name="incident_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.phase != Phase.CLOSED

    @property
    def has_review(self) -> bool:
        try:
            self.review  # noqa: B018 -- the reverse one-to-one raises when there is none
        except IncidentReview.DoesNotExist:
            return False
        return True


class IncidentTask(TenantOwned):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        IN_PROGRESS = "in_progress", _("进行中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("部门"))
    assignee = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("负责人")
    )
    title = models.CharField(_("任务"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    plan_step = models.CharField(_("预案步骤"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("协同任务")
        verbose_name_plural = _("协同任务")
        ordering = ["status", "due_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "department", "status"], name="task_department_idx"),
            models.Index(fields=["tenant", "assignee", "status"], name="task_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskComment(TenantOwned):
    task = models.ForeignKey(IncidentTask, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("内容"))
    mentions = models.ManyToManyField(Membership, through="TaskCommentMention", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class IncidentDepartment(TenantOwned):
    """A link of Incident.departments: tenant-owned, so the tenant scoping and row-level security cover it too."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "incidents_incident_departments"
        verbose_name = _("事件部门")
        verbose_name_plural = _("事件部门")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "incident", "department"], name="incident_department_once"),
        ]


class IncidentCustomer(TenantOwned):
    """A link of Incident.customers: tenant-owned, so the tenant scoping and row-level security cover it too."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "incidents_incident_customers"
        verbose_name = _("事件客户")
        verbose_name_plural = _("事件客户")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "incident", "customer"], name="incident_customer_once"),
        ]


class IncidentFeedback(TenantOwned):
    """A link of Incident.feedback: tenant-owned, so the tenant scoping and row-level security cover it too."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "incidents_incident_feedback"
        verbose_name = _("事件反馈")
        verbose_name_plural = _("事件反馈")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "incident", "feedback"], name="incident_feedback_once"),
        ]


class TaskCommentMention(TenantOwned):
    """A link of TaskComment.mentions: tenant-owned, so the tenant scoping and row-level security cover it too."""

    taskcomment = models.ForeignKey(TaskComment, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "incidents_taskcomment_mentions"
        verbose_name = _("评论提及")
        verbose_name_plural = _("评论提及")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "taskcomment", "membership"], name="task_comment_mention_once"),
        ]


class TimelineEntry(TenantOwned):
    """Append-only: services add entries; nothing edits or deletes them."""

    class Kind(models.TextChoices):
        NOTE = "note", _("备注")
        PHASE = "phase", _("阶段变更")
        TASK = "task", _("任务")
        COMMUNICATION_IN = "communication_in", _("来文/来电")
        COMMUNICATION_OUT = "communication_out", _("对外沟通")
        EVIDENCE = "evidence", _("证据")
        SLA = "sla", _("时限")
        ESCALATION = "escalation", _("升级")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("内容"))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("时间线")
        verbose_name_plural = _("时间线")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "incident", "-created_at"], name="timeline_incident_idx")]


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # Files live under their tenant; downloads go through a tenant-scoped view, never MEDIA_URL.
    return f"evidence/{instance.tenant_id}/{instance.incident_id}/{filename}"


class Evidence(TenantOwned):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, blank=True)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证据")
        verbose_name_plural = _("证据")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(file="") | ~models.Q(url=""), name="evidence_has_file_or_url"),
        ]


class ClockKind(models.TextChoices):
    """The four clocks of yuqing.workcalendar.deadlines (values match its ClockKind)."""

    TWENTY_FOUR_SEVEN = "24x7", _("7×24 小时")
    BUSINESS_HOURS = "business_hours", _("工作时间")
    WORKING_DAYS = "working_days", _("工作日")
    CALENDAR_DAYS = "calendar_days", _("自然日（节假日顺延）")


# The clocks that count whole days (a resolution in days); the others count minutes.
DAY_CLOCKS = frozenset({ClockKind.WORKING_DAYS, ClockKind.CALENDAR_DAYS})


class SlaPolicy(TenantOwned):
    """Targets for one severity × customer tier. Hour clocks use minutes; day clocks use days."""

    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices)
    tier = models.CharField(_("客户层级"), max_length=16, choices=Tier.choices)
    clock_kind = models.CharField(
        _("计时方式"), max_length=20, choices=ClockKind.choices, default=ClockKind.TWENTY_FOUR_SEVEN
    )
    first_response_minutes = models.PositiveIntegerField(_("首次响应时限（分钟）"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("处置时限（分钟）"), null=True, blank=True)
    resolution_days = models.PositiveSmallIntegerField(_("处置时限（天）"), null=True, blank=True)
    warn_share = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("0.99"))],
    )
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)

    def clean(self) -> None:
        """The targets the clock kind counts in: minutes on an hour clock, whole days on a day clock."""
        super().clean()
        errors: dict[str, str] = {}
        if self.first_response_minutes is not None and self.first_response_minutes < 1:
            errors["first_response_minutes"] = _("首次响应时限至少为 1 分钟。")
        if self.clock_kind in DAY_CLOCKS:
            if not self.resolution_days:
                errors["resolution_days"] = _("按工作日或自然日计时时，请填写处置时限（天）。")
            if self.resolution_minutes:
                errors["resolution_minutes"] = _("按天计时的策略不使用分钟时限，请留空。")
        elif self.clock_kind:
            if not self.resolution_minutes:
                errors["resolution_minutes"] = _("按小时计时时，请填写处置时限（分钟）。")
            if self.resolution_days:
                errors["resolution_days"] = _("按小时计时的策略不使用天数时限，请留空。")
        if errors:
            raise ValidationError(errors)

    class Meta:
        verbose_name = _("SLA 策略")
        verbose_name_plural = _("SLA 策略")
        ordering = ["severity", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "severity", "tier"], name="slapolicy_unique_per_severity_tier"),
        ]


class SlaClock(TenantOwned):
    """One running target of one incident. The sweep reads it with one indexed query per kind."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("首次响应")
        RESOLUTION = "resolution", _("处置完成")

    class State(models.TextChoices):
        RUNNING = "running", _("计时中")
        PAUSED = "paused", _("已暂停")
        MET = "met", _("已达成")
        BREACHED = "breached", _("已超时")
        CANCELLED = "cancelled", _("已取消")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(_("时限"), max_length=20, choices=Kind.choices)
    clock_kind = models.CharField(_("计时方式"), max_length=20, choices=ClockKind.choices)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("开始"))
    # Stored so the sweep is a plain index range scan; recomputed whenever a pause ends or the policy moves.
    warn_at = models.DateTimeField(_("预警时间"))
    deadline_at = models.DateTimeField(_("截止时间"))
    # Whether deadline_at rested on computed holidays or a Monday–Friday guess, set with it.
    calendar_basis = deadline_basis_field()
    paused_at = models.DateTimeField(_("暂停于"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("停止于"), null=True, blank=True)
    warned_for = models.DateTimeField(null=True, blank=True, help_text="deadline_at the last warning was for")
    breached_for = models.DateTimeField(null=True, blank=True, help_text="deadline_at the last breach was for")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = _("SLA 计时")
        verbose_name_plural = _("SLA 计时")
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="slaclock_one_per_kind")]
        indexes = [
            models.Index(fields=["state", "warn_at"], name="slaclock_warn_idx", condition=models.Q(state="running")),
            models.Index(
                fields=["state", "deadline_at"], name="slaclock_deadline_idx", condition=models.Q(state="running")
            ),
        ]


class SlaPause(TenantOwned):
    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("暂停开始"))
    ended_at = models.DateTimeField(_("暂停结束"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["started_at"]


class SlaEvent(TenantOwned):
    """A warning or a breach, recorded exactly once per (clock, kind, deadline) by the database."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("预警")
        BREACH = "breach", _("超时")

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    deadline_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "deadline_at"], name="slaevent_once_per_deadline"),
        ]


class IncidentReview(TenantOwned):
    """复盘: what caused it, what worked, what did not, and what to improve."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    root_cause = models.TextField(_("根本原因"))
    what_worked = models.TextField(_("有效做法"), blank=True)
    what_did_not = models.TextField(_("不足之处"), blank=True)
    time_to_first_response = models.DurationField(_("首次响应用时"), null=True, blank=True)
    time_to_resolution = models.DurationField(_("处置用时"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("复盘")
        verbose_name_plural = _("复盘")


class ImprovementAction(TenantOwned):
    class Kind(models.TextChoices):
        ACTION = "action", _("改进措施")
        TRAINING_NEED = "training_need", _("培训需求")
        PLAN_REVISION = "plan_revision", _("预案修订")

    class Status(models.TextChoices):
        OPEN = "open", _("未完成")
        DONE = "done", _("已完成")

    review = models.ForeignKey(IncidentReview, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.ACTION)
    title = models.CharField(_("措施"), max_length=200)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("负责人"))
    due_date = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("改进措施")
        verbose_name_plural = _("改进措施")
        ordering = ["due_date"]
