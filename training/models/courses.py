"""Staff training (加强内部培训): courses, sessions, attendance, certifications, plans, reminders."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.models import Department, Membership, Role, TenantOwned


class Topic(models.TextChoices):
    SENSITIVITY = "sensitivity", _("舆情敏感性")
    SCRIPTS = "scripts", _("应对话术")
    CONSUMER_PROTECTION = "consumer_protection", _("金融消费者权益保护")
    PERSONAL_INFORMATION = "personal_information", _("个人信息保护")
    OTHER = "other", _("其他")


class Course(TenantOwned):
    """A course; its audience is its departments and roles (neither set: every member)."""

    title = models.CharField(_("课程名称"), max_length=200)
    topic = models.CharField(_("主题"), max_length=32, choices=Topic.choices, default=Topic.OTHER)
    description = models.TextField(_("说明"), blank=True)
    is_required = models.BooleanField(_("必修"), default=False)
    validity_months = models.PositiveSmallIntegerField(
        _("证书有效期（月）"), default=12, validators=[MaxValueValidator(120)], help_text=_("0 表示长期有效。")
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("及格分"), default=60, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    departments = models.ManyToManyField(
        Department, through="CourseDepartment", related_name="+", blank=True, verbose_name=_("面向部门")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["tenant", "-is_required", "title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "title"], name="course_unique_title_per_tenant"),
            models.CheckConstraint(condition=models.Q(pass_mark__lte=100), name="course_pass_mark_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseDepartment(TenantOwned):
    """A department in a course's audience (the tenant-owned link)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="audience_departments")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("课程面向部门")
        verbose_name_plural = _("课程面向部门")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "course", "department"], name="course_department_unique"),
        ]


class CourseRole(TenantOwned):
    """A role in a course's audience."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="audience_roles")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("课程面向角色")
        verbose_name_plural = _("课程面向角色")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "course", "role"], name="course_role_unique"),
        ]


def materials_upload_to(instance: TrainingSession, filename: str) -> str:
    """Under the tenant and the course, never served from MEDIA_URL (a scoped view serves it)."""
    return f"training/{instance.tenant_id}/{instance.course_id}/{filename}"


class TrainingSession(TenantOwned):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("课程"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    trainer = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("讲师")
    )
    place = models.CharField(_("地点"), max_length=200, blank=True)
    online_url = models.URLField(_("线上链接"), max_length=500, blank=True)
    materials = models.FileField(_("培训材料"), upload_to=materials_upload_to, blank=True, max_length=300)
    materials_type = models.CharField(_("材料类型"), max_length=120, blank=True)
    materials_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")
        ordering = ["tenant", "starts_at"]
        indexes = [models.Index(fields=["tenant", "starts_at"], name="training_session_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.starts_at:%Y-%m-%d %H:%M}"


class Attendance(TenantOwned):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("场次")
    )
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+", verbose_name=_("学员"))
    attended = models.BooleanField(_("出席"), default=False)
    score = models.PositiveSmallIntegerField(
        _("成绩"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    passed = models.BooleanField(_("通过"), default=False)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("出勤与成绩")
        verbose_name_plural = _("出勤与成绩")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "session", "member"], name="attendance_unique_member_per_session"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100), name="attendance_score_at_most_100"
            ),
        ]


class Certification(TenantOwned):
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+", verbose_name=_("持证人"))
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certifications", verbose_name=_("课程"))
    attendance = models.ForeignKey(
        Attendance, on_delete=models.SET_NULL, null=True, blank=True, related_name="certifications"
    )
    issued_at = models.DateTimeField(_("发证时间"))
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("培训证书")
        verbose_name_plural = _("培训证书")
        ordering = ["tenant", "-issued_at"]
        indexes = [models.Index(fields=["tenant", "member", "course"], name="training_cert_member_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "course", "issued_at"], name="certification_unique_per_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.member_id}"


class TrainingPlanItem(TenantOwned):
    """One line of a department's yearly training plan."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("部门"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="plan_items", verbose_name=_("课程"))
    quarter = models.PositiveSmallIntegerField(_("计划季度"), validators=[MinValueValidator(1), MaxValueValidator(4)])

    class Meta:
        verbose_name = _("年度培训计划")
        verbose_name_plural = _("年度培训计划")
        ordering = ["tenant", "year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "department", "year", "course"], name="plan_item_unique"),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="plan_item_quarter_1_4"),
        ]


class TrainingReminder(TenantOwned):
    """A reminder sent: the unique constraint makes each (member, course, kind, due date) go out once."""

    class Kind(models.TextChoices):
        EXPIRING = "expiring", _("证书即将到期")
        MISSING_REQUIRED = "missing_required", _("缺少必修培训")

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("截止日期"))
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训提醒")
        verbose_name_plural = _("培训提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "member", "course", "kind", "due_date"], name="training_reminder_once"
            ),
        ]
