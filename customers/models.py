"""Customers (borrowers and partners), their groups and guarantees, tiers, and feedback."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.validators import validate_credit_code
from yuqing import privacy
from yuqing.tenancy.models import Membership, TenantOwned
from yuqing.workcalendar.models import deadline_basis_field

MONEY = {"max_digits": 18, "decimal_places": 2}


class Tier(models.TextChoices):
    VIP = "vip", _("VIP")
    STANDARD = "standard", _("标准")


class Product(TenantOwned):
    """A lending product (项目融资, 流动资金贷款, 银团贷款, ...): a tenant-editable list."""

    name = models.CharField(_("名称"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="product_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Tag(TenantOwned):
    name = models.CharField(_("标签"), max_length=50)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Customer(TenantOwned):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL = "individual", _("个人")

    class GroupRole(models.TextChoices):
        GROUP = "group", _("集团")
        SUBSIDIARY = "subsidiary", _("子公司")
        PROJECT_COMPANY = "project_company", _("项目公司/SPV")
        STANDALONE = "standalone", _("独立客户")

    class TierSource(models.TextChoices):
        RULE = "rule", _("规则")
        MANUAL = "manual", _("人工")
        DEFAULT = "default", _("默认")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    # Enterprise
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code])
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    region = models.CharField(_("地区"), max_length=100, blank=True)
    listed_codes = models.CharField(_("上市代码"), max_length=100, blank=True, help_text=_("多个以逗号分隔"))
    # Individual: C2 personal data, never stored in clear (see yuqing/privacy.py).
    id_number_encrypted = models.TextField(_("身份证号（密文）"), blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, editable=False)
    mobile_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    mobile_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)

    relationship_manager = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
        verbose_name=_("客户经理"),
    )
    credit_limit = models.DecimalField(_("授信额度（元）"), **MONEY, default=Decimal("0"))
    loan_balance = models.DecimalField(_("贷款余额（元）"), **MONEY, default=Decimal("0"))
    products = models.ManyToManyField(
        Product, through="CustomerProduct", blank=True, related_name="customers", verbose_name=_("产品")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级")
    )
    group_role = models.CharField(_("集团角色"), max_length=20, choices=GroupRole.choices, default=GroupRole.STANDALONE)
    is_strategic = models.BooleanField(_("战略客户"), default=False)
    tags = models.ManyToManyField(
        Tag, through="CustomerTag", blank=True, related_name="customers", verbose_name=_("标签")
    )
    notes = models.TextField(_("备注"), blank=True)

    # The tier in force, kept by the tiering services (rules, manual overrides, expiry).
    tier = models.CharField(_("层级"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    tier_source = models.CharField(_("层级来源"), max_length=16, choices=TierSource.choices, default=TierSource.DEFAULT)
    manual_tier = models.CharField(_("人工层级"), max_length=16, choices=Tier.choices, blank=True)
    manual_tier_reason = models.CharField(_("人工调整原因"), max_length=500, blank=True)
    manual_tier_expires_at = models.DateTimeField(_("人工调整到期"), null=True, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credit_code"],
                condition=~models.Q(credit_code=""),
                name="customer_unique_credit_code_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "id_number_digest"],
                condition=~models.Q(id_number_digest=""),
                name="customer_unique_id_number_per_tenant",
            ),
        ]
        indexes = [
            # With the id, the list's order (name, id) comes straight from the index, deep pages included.
            models.Index(fields=["tenant", "name", "id"], name="customer_tenant_name_id_idx"),
            models.Index(fields=["tenant", "tier", "name"], name="customer_tenant_tier_idx"),
            models.Index(fields=["tenant", "relationship_manager"], name="customer_tenant_rm_idx"),
            models.Index(fields=["tenant", "parent"], name="customer_tenant_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def exposure(self) -> Decimal:
        """What the tier rules weigh: the larger of the limit granted and the balance drawn."""
        return max(self.credit_limit, self.loan_balance)

    @property
    def is_vip(self) -> bool:
        return self.tier == Tier.VIP

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted = privacy.encrypt(value)
        self.id_number_digest = privacy.digest(value, purpose="id_number")
        self.id_number_masked = privacy.mask_id_number(value) if value else ""

    def set_mobile(self, value: str) -> None:
        self.mobile_encrypted = privacy.encrypt(value)
        self.mobile_digest = privacy.digest(value, purpose="mobile")
        self.mobile_masked = privacy.mask_mobile(value) if value else ""


class CustomerProduct(TenantOwned):
    """A link of Customer.products: tenant-owned, so the tenant scoping and row-level security cover it too."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "customers_customer_products"
        verbose_name = _("客户产品")
        verbose_name_plural = _("客户产品")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "product"], name="customer_product_once"),
        ]


class CustomerTag(TenantOwned):
    """A link of Customer.tags: tenant-owned, so the tenant scoping and row-level security cover it too."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "customers_customer_tags"
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "tag"], name="customer_tag_once"),
        ]


class CustomerAlias(TenantOwned):
    """Another name the customer goes by: what the monitoring module matches posts against."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(_("别名"), max_length=200)

    class Meta:
        verbose_name = _("客户别名")
        verbose_name_plural = _("客户别名")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "alias"], name="alias_unique_per_customer"),
        ]
        indexes = [models.Index(fields=["tenant", "alias"], name="alias_tenant_alias_idx")]

    def __str__(self) -> str:
        return self.alias


class Contact(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    mobile_encrypted = models.TextField(blank=True, editable=False)
    mobile_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name

    def set_mobile(self, value: str) -> None:
        self.mobile_encrypted = privacy.encrypt(value)
        self.mobile_masked = privacy.mask_mobile(value) if value else ""


class Guarantee(TenantOwned):
    """A guarantor standing behind a borrower (担保关系)."""

    guarantor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="guarantees_given")
    borrower = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="guarantees_received")
    amount = models.DecimalField(_("担保金额（元）"), **MONEY, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("担保关系")
        verbose_name_plural = _("担保关系")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "guarantor", "borrower"], name="guarantee_unique_pair"),
            models.CheckConstraint(condition=~models.Q(guarantor=models.F("borrower")), name="guarantee_not_self"),
        ]


class TierRule(TenantOwned):
    """A rule that makes a customer VIP. A customer is VIP when any active rule matches."""

    class Kind(models.TextChoices):
        EXPOSURE_AT_LEAST = "exposure_at_least", _("授信或余额不低于")
        STRATEGIC = "strategic", _("战略客户标记")
        VIP_GROUP_MEMBER = "vip_group_member", _("属于 VIP 集团")
        HAS_PRODUCT = "has_product", _("使用指定产品")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("规则类型"), max_length=32, choices=Kind.choices)
    threshold = models.DecimalField(_("金额阈值（元）"), **MONEY, null=True, blank=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("产品"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分层规则")
        verbose_name_plural = _("分层规则")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tierrule_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class TierChange(TenantOwned):
    """One change of a customer's tier: the history is never edited."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(_("原层级"), max_length=16, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("新层级"), max_length=16, choices=Tier.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Customer.TierSource.choices)
    rule = models.ForeignKey(TierRule, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("规则"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("层级变更")
        verbose_name_plural = _("层级变更")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "customer", "-created_at"], name="tierchange_customer_idx")]


class ServiceStrategy(TenantOwned):
    """What a tier means in service: used by the incidents (SLA) and monitoring (risk) modules."""

    tier = models.CharField(_("层级"), max_length=16, choices=Tier.choices)
    requires_relationship_manager = models.BooleanField(_("必须指定客户经理"), default=False)
    sla_factor = models.DecimalField(
        _("SLA 时限系数"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text=_("1.00 为标准时限；0.50 表示时限减半。"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("2.00"))],
    )
    risk_weight = models.DecimalField(
        _("风险加权"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("5.00"))],
    )
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("服务策略")
        verbose_name_plural = _("服务策略")
        constraints = [models.UniqueConstraint(fields=["tenant", "tier"], name="strategy_unique_tier_per_tenant")]

    def __str__(self) -> str:
        return self.get_tier_display()


class ComplaintPolicy(TenantOwned):
    """How a tenant counts complaint due times. Shipped templates cite their legal basis."""

    class ClockKind(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", _("自然日（节假日顺延）")
        WORKING_DAYS = "working_days", _("工作日")

    name = models.CharField(_("名称"), max_length=100)
    template_code = models.CharField(_("模板"), max_length=50, blank=True)
    clock_kind = models.CharField(_("计时方式"), max_length=20, choices=ClockKind.choices)
    days = models.PositiveSmallIntegerField(_("处理时限（天）"))
    first_extension_days = models.PositiveSmallIntegerField(_("首次延期至（天）"), null=True, blank=True)
    max_days = models.PositiveSmallIntegerField(_("最长时限（天）"), null=True, blank=True)
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    is_default = models.BooleanField(_("默认策略"), default=False)
    due_soon_days = models.PositiveSmallIntegerField(_("即将到期提醒（天）"), default=3)

    class Meta:
        verbose_name = _("投诉处理策略")
        verbose_name_plural = _("投诉处理策略")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="complaintpolicy_unique_name_per_tenant"),
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="complaintpolicy_one_default_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The stages only ever grow: days, then the first extension, then the maximum."""
        errors: dict[str, list[str]] = {}
        days, first, longest = self.days, self.first_extension_days, self.max_days
        if days is not None and days < 1:
            errors.setdefault("days", []).append(_("处理时限至少为 1 天。"))
        if days and first is not None and first <= days:
            errors.setdefault("first_extension_days", []).append(_("首次延期后的时限应长于处理时限。"))
        if days and longest is not None and longest < days:
            errors.setdefault("max_days", []).append(_("最长时限不能短于处理时限。"))
        if first and longest is not None and longest < first:
            errors.setdefault("max_days", []).append(_("最长时限不能短于首次延期后的时限。"))
        if errors:
            raise ValidationError(errors)


class Feedback(TenantOwned):
    """Feedback or a complaint from a customer (or someone unknown), handled to its end."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        FEEDBACK = "feedback", _("意见建议")
        INQUIRY = "inquiry", _("咨询")

    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        WECHAT_GROUP = "wechat_group", _("微信群")
        APP = "app", _("移动客户端")
        EMAIL = "email", _("电子邮件")
        BRANCH = "branch", _("营业网点")
        REGULATOR = "regulator", _("监管转办")
        SOCIAL_MEDIA = "social_media", _("社交媒体")
        LETTER = "letter", _("信函")

    class Category(models.TextChoices):
        # Reasons after JR/T 0169-2018; "其他" is coded 99 there.
        SERVICE = "service", _("服务态度及服务质量")
        RULES = "rules", _("管理制度、业务规则与流程")
        MARKETING = "marketing", _("营销方式和手段")
        DISCLOSURE = "disclosure", _("信息披露")
        CONTRACT = "contract", _("合同条款")
        PRICING = "pricing", _("定价收费")
        FUNDS_SAFETY = "funds_safety", _("资金安全")
        INFO_SECURITY = "info_security", _("信息安全")
        COLLECTION = "collection", _("债务催收")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        IN_PROGRESS = "in_progress", _("处理中")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")
        ESCALATED = "escalated", _("已升级为事件")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback", verbose_name=_("客户")
    )
    reporter_name = models.CharField(_("反映人"), max_length=100, blank=True, help_text=_("未知客户时填写"))
    reporter_mobile_encrypted = models.TextField(blank=True, editable=False)
    reporter_mobile_masked = models.CharField(_("反映人手机号"), max_length=11, blank=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, default=Category.OTHER)
    subject = models.CharField(_("主题"), max_length=200)
    content = models.TextField(_("内容"))
    received_at = models.DateTimeField(_("接收时间"))
    handler = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_feedback",
        verbose_name=_("处理人"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    policy = models.ForeignKey(
        ComplaintPolicy, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("处理策略")
    )
    due_at = models.DateTimeField(_("处理期限"), null=True, blank=True)
    # Whether due_at rested on computed holidays or a Monday–Friday guess, stored with it.
    due_basis = deadline_basis_field()
    extension_level = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    extension_reason = models.CharField(_("延期原因"), max_length=500, blank=True)
    customer_notified_of_extension_at = models.DateTimeField(_("已告知客户延期"), null=True, blank=True)
    # The further extension (to the policy's maximum) needs senior approval: who gave it, and when.
    extension_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("延期审批人"),
    )
    extension_approved_at = models.DateTimeField(_("延期审批时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户反馈")
        verbose_name_plural = _("客户反馈")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "due_at"], name="feedback_open_due_idx"),
            models.Index(fields=["tenant", "customer", "-received_at"], name="feedback_customer_idx"),
            models.Index(fields=["tenant", "-received_at"], name="feedback_tenant_received_idx"),
        ]

    OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def set_reporter_mobile(self, value: str) -> None:
        self.reporter_mobile_encrypted = privacy.encrypt(value)
        self.reporter_mobile_masked = privacy.mask_mobile(value) if value else ""


class PendingImport(TenantOwned):
    """An uploaded import file between its preview and its confirmation (or cancellation).

    Kept in the database, not the session (a signed-cookie or cache session would carry the
    borrowers' ID numbers) and not on one web host's disk (several hosts serve the portal): the
    content is Fernet-encrypted with the field-encryption keys, reachable only by an unguessable
    token together with its tenant and the user who uploaded it, and deleted on confirm, on
    cancel and when it expires (`customers.services.pending_imports.pending_imports_purge`, from cron).
    """

    token = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    digest = models.CharField(max_length=64)  # SHA-256 of the clear content: the preview's fingerprint
    content_encrypted = models.TextField()
    valid_lines = models.JSONField(null=True, blank=True)  # what the preview showed as importable
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("待确认的导入")
        verbose_name_plural = _("待确认的导入")
        constraints = [models.UniqueConstraint(fields=["tenant", "token"], name="pending_import_unique_token")]
        indexes = [models.Index(fields=["expires_at"], name="pending_import_expiry_idx")]

    def __str__(self) -> str:
        return self.filename
