"""CSV import of customers: validate every row, preview, then import all valid rows or nothing.

The rows go through the same CustomerValidator as the form, then through `customer_create`,
all inside one transaction: a failure anywhere imports nothing. What this module adds is what
only a file has: decoding (UTF-8 with or without BOM, GBK), Chinese headers, amounts such as
"5亿" or "1,200万", duplicates within the file, and parents that are rows earlier in the file.

Unknown product names are an error, not a new product: the product list is a curated tenant
list that filters and tier rules rely on, and a typo ("银团货款") must not become a product.
Unknown tags are created, as in the form.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import Customer, Product, Tier
from customers.services import tiering
from customers.services.customers import customer_create
from customers.services.validation import CustomerData, CustomerValidator, split_names
from customers.validators import looks_like_credit_code, normalise_code
from yuqing import privacy
from yuqing.audit.services import audit_record
from yuqing.csv_export import csv_text
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Membership, Tenant, User
from yuqing.tenancy.roles import Permission

MAX_ROWS = 2000

# Header → CustomerData field. Headers may carry a unit in brackets: 授信额度（元）.
COLUMNS: dict[str, str] = {
    "客户类型": "kind",
    "名称": "name",
    "简称": "short_name",
    "别名": "aliases",
    "统一社会信用代码": "credit_code",
    "身份证号": "id_number",
    "手机号": "mobile",
    "行业": "industry",
    "地区": "region",
    "上市代码": "listed_codes",
    "授信额度": "credit_limit",
    "贷款余额": "loan_balance",
    "产品": "products",
    "标签": "tags",
    "战略客户": "is_strategic",
    "上级客户": "parent",
    "集团角色": "group_role",
    "客户经理": "relationship_manager",
    "备注": "notes",
}
REQUIRED_COLUMNS = ("客户类型", "名称")
FIELD_LABELS = {field: header for header, field in COLUMNS.items()}
FIELD_LABELS["tag_names"] = "标签"

KINDS = {
    "企业": Customer.Kind.ENTERPRISE,
    "公司": Customer.Kind.ENTERPRISE,
    "法人": Customer.Kind.ENTERPRISE,
    "enterprise": Customer.Kind.ENTERPRISE,
    "个人": Customer.Kind.INDIVIDUAL,
    "自然人": Customer.Kind.INDIVIDUAL,
    "individual": Customer.Kind.INDIVIDUAL,
}
GROUP_ROLES = {label: value for value, label in Customer.GroupRole.choices} | {
    "": Customer.GroupRole.STANDALONE,
    "项目公司": Customer.GroupRole.PROJECT_COMPANY,
    "SPV": Customer.GroupRole.PROJECT_COMPANY,
    "独立": Customer.GroupRole.STANDALONE,
}
YES = {"是", "y", "yes", "true", "1", "√", "战略"}
NO = {"", "否", "n", "no", "false", "0", "×"}
UNITS = {
    "亿元": Decimal("100000000"),
    "亿": Decimal("100000000"),
    "万元": Decimal("10000"),
    "万": Decimal("10000"),
    "元": Decimal("1"),
}

# Fictitious names with valid check characters: a template must not look like a real borrower.
TEMPLATE_ROWS = [
    [
        "企业",
        "示例控股集团有限公司",
        "示例集团",
        "示例控股；示例地产",
        "91110108MA01ABCD1E",
        "",
        "",
        "房地产",
        "北京",
        "800000000",
        "650000000",
        "项目融资；银团贷款",
        "重点关注",
        "是",
        "",
        "集团",
        "",
    ],
    [
        "企业",
        "示例置业（成都）有限公司",
        "成都示例置业",
        "",
        "91510100MA6CM1XB4U",
        "",
        "",
        "房地产",
        "成都",
        "5亿",
        "3.2亿",
        "项目融资",
        "",
        "否",
        "示例控股集团有限公司",
        "项目公司",
        "",
    ],
    [
        "个人",
        "张伟",
        "",
        "",
        "",
        "11010519491231002X",
        "13800138000",
        "",
        "北京",
        "200万",
        "150万",
        "流动资金贷款",
        "",
        "否",
        "",
        "",
        "",
    ],
]
TEMPLATE_HEADERS = [
    "客户类型",
    "名称",
    "简称",
    "别名",
    "统一社会信用代码",
    "身份证号",
    "手机号",
    "行业",
    "地区",
    "授信额度（元）",
    "贷款余额（元）",
    "产品",
    "标签",
    "战略客户",
    "上级客户",
    "集团角色",
    "客户经理",
]


class ImportRefused(ValidationError):
    """The file as a whole cannot be imported (encoding, headers, size, or it changed since the preview)."""


@dataclass
class ImportRow:
    line: int
    name: str
    kind_label: str
    code_shown: str  # the credit code, or the masked ID number: a preview never shows personal data
    parent_shown: str = ""
    errors: list[str] = field(default_factory=list)
    data: CustomerData | None = None
    parent_line: int | None = None
    vip_on_own: bool = False
    in_vip_group: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    warnings: list[str]
    digest: str

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def valid_lines(self) -> list[int]:
        return [row.line for row in self.valid_rows]


def content_digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def decode_upload(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else GBK (read as GB18030, its superset)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("无法识别文件编码，请将文件另存为 UTF-8 或 GBK 编码的 CSV。"))


def template_csv() -> str:
    """The import template, through the product's one formula-safe CSV writer (UTF-8 with BOM)."""
    return csv_text([TEMPLATE_HEADERS, *TEMPLATE_ROWS])


def _header_key(header: str) -> str:
    return re.sub(r"[（(].*?[)）]", "", (header or "").replace("\ufeff", "")).strip()


def parse_amount(value: str) -> Decimal:
    text = re.sub(r"[\s,，]", "", value or "")
    if not text:
        return Decimal("0")
    factor = Decimal("1")
    for unit, multiplier in UNITS.items():
        if text.endswith(unit):
            text, factor = text[: -len(unit)], multiplier
            break
    try:
        amount = Decimal(text) * factor
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return amount


class _Reader:
    """Turns the file's rows into CustomerData, collecting every problem of a row."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.validator = CustomerValidator(tenant)
        self.products: dict[str, Product] = {p.name: p for p in Product.objects.for_tenant(tenant)}
        self.members: dict[str, Membership] = {}
        for membership in Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user"):
            self.members[membership.user.username] = membership
            if membership.user.display_name:
                self.members.setdefault(membership.user.display_name, membership)

    def preload(self, records: list[dict[str, str]]) -> None:
        self.validator.preload(
            credit_codes=[r.get("credit_code", "") for r in records],
            id_numbers=[r.get("id_number", "") for r in records],
        )
        references = {r.get("parent", "").strip() for r in records} - {""}
        codes = {normalise_code(ref) for ref in references}
        self.parents: dict[str, list[Customer]] = {}
        for customer in Customer.objects.for_tenant(self.tenant).filter(
            Q(credit_code__in=codes) | Q(name__in=references) | Q(short_name__in=references)
        ):
            for key in {customer.credit_code, customer.name, customer.short_name} - {""}:
                self.parents.setdefault(key, []).append(customer)

    def existing_parent(self, reference: str) -> Customer | list[Customer] | None:
        code = normalise_code(reference)
        if looks_like_credit_code(code) and code in self.parents:
            return self.parents[code][0]
        found = self.parents.get(reference, [])
        exact = [c for c in found if c.name == reference] or found
        return exact[0] if len(exact) == 1 else (exact or None)

    def row_data(self, record: dict[str, str], row: ImportRow) -> CustomerData:
        kind = KINDS.get(record.get("kind", "").strip().lower(), "")
        if record.get("kind", "").strip() and not kind:
            row.errors.append(_("客户类型「%(v)s」无法识别，请填写“企业”或“个人”。") % {"v": record["kind"].strip()})
        amounts = {}
        for name in ("credit_limit", "loan_balance"):
            try:
                amounts[name] = parse_amount(record.get(name, ""))
            except ValueError:
                amounts[name] = Decimal("0")
                row.errors.append(
                    _("%(label)s「%(v)s」不是有效金额。") % {"label": FIELD_LABELS[name], "v": record[name]}
                )
        products = []
        for product_name in split_names(record.get("products", "")):
            if product_name in self.products:
                products.append(self.products[product_name])
            else:
                row.errors.append(
                    _("产品「%(v)s」不在本机构的产品列表中（请先在产品列表中添加，或修正名称）。") % {"v": product_name}
                )
        strategic = record.get("is_strategic", "").strip().lower()
        if strategic not in YES | NO:
            row.errors.append(_("战略客户「%(v)s」无法识别，请填写“是”或“否”。") % {"v": record["is_strategic"]})
        role = record.get("group_role", "").strip()
        if role not in GROUP_ROLES:
            row.errors.append(_("集团角色「%(v)s」无法识别，可填：集团、子公司、项目公司、独立客户。") % {"v": role})
        manager = None
        manager_ref = record.get("relationship_manager", "").strip()
        if manager_ref:
            manager = self.members.get(manager_ref)
            if manager is None:
                row.errors.append(_("找不到客户经理「%(v)s」，请填写本机构成员的用户名。") % {"v": manager_ref})
        return CustomerData(
            kind=kind,
            name=record.get("name", ""),
            short_name=record.get("short_name", ""),
            aliases=split_names(record.get("aliases", ""), aliases=True),
            credit_code=record.get("credit_code", ""),
            id_number=record.get("id_number", ""),
            mobile=record.get("mobile", ""),
            industry=record.get("industry", ""),
            region=record.get("region", ""),
            listed_codes=record.get("listed_codes", ""),
            relationship_manager=manager,
            credit_limit=amounts["credit_limit"],
            loan_balance=amounts["loan_balance"],
            products=products,
            tag_names=split_names(record.get("tags", "")),
            group_role=GROUP_ROLES.get(role, ""),
            is_strategic=strategic in YES,
            notes=record.get("notes", ""),
        )


def _records(content: str) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    reader = csv.reader(io.StringIO(content))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportRefused(_("文件是空的：第一行应为表头。")) from None
    except csv.Error as error:
        raise ImportRefused(_("无法读取 CSV 文件：%(e)s") % {"e": error}) from None
    keys = [_header_key(header) for header in headers]
    missing = [header for header in REQUIRED_COLUMNS if header not in keys]
    if missing:
        raise ImportRefused(_("缺少必需的列：%(cols)s。请使用导入模板的表头。") % {"cols": "、".join(missing)})
    doubled = sorted({key for key in keys if key and keys.count(key) > 1})
    if doubled:
        raise ImportRefused(_("表头中有重复的列：%(cols)s。") % {"cols": "、".join(doubled)})
    unknown = [header for header, key in zip(headers, keys, strict=True) if key and key not in COLUMNS]
    warnings = [_("以下列无法识别，已忽略：%(cols)s。") % {"cols": "、".join(unknown)}] if unknown else []
    records = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(records) >= MAX_ROWS:
                raise ImportRefused(_("一次最多导入 %(n)d 行，请拆分文件。") % {"n": MAX_ROWS})
            record = {COLUMNS[key]: value.strip() for key, value in zip(keys, values, strict=False) if key in COLUMNS}
            records.append((reader.line_num, record))
    except csv.Error as error:
        raise ImportRefused(_("第 %(line)d 行无法读取：%(e)s") % {"line": reader.line_num, "e": error}) from None
    if not records:
        raise ImportRefused(_("文件中没有数据行。"))
    return records, warnings


def import_preview(*, tenant: Tenant, content: str) -> ImportPreview:
    """Validate every row (no writes) and say, per row, what is wrong, in Chinese, with its line."""
    records, warnings = _records(content)
    reader = _Reader(tenant)
    reader.preload([record for _line, record in records])
    group_rule_active = tiering.group_rule(reader.validator.rules) is not None
    rows: list[ImportRow] = []
    line_by_code: dict[str, int] = {}
    line_by_id: dict[str, int] = {}
    line_by_name: dict[str, int] = {}
    row_by_line: dict[int, ImportRow] = {}
    for line, record in records:
        id_number = normalise_code(record.get("id_number", ""))
        row = ImportRow(
            line=line,
            name=record.get("name", ""),
            kind_label=record.get("kind", ""),
            code_shown=normalise_code(record.get("credit_code", "")) or privacy.mask_id_number(id_number),
            parent_shown=record.get("parent", ""),
        )
        rows.append(row)
        row_by_line[line] = row
        data = reader.row_data(record, row)
        code = normalise_code(data.credit_code)
        if code and code in line_by_code:
            row.errors.append(_("统一社会信用代码与第 %(line)d 行重复。") % {"line": line_by_code[code]})
        if id_number and id_number in line_by_id:
            row.errors.append(_("身份证号与第 %(line)d 行重复。") % {"line": line_by_id[id_number]})
        in_group = _resolve_parent(
            tenant,
            reader,
            record.get("parent", "").strip(),
            row,
            data,
            line_by_code,
            line_by_name,
            row_by_line,
            group_rule_active,
        )
        try:
            data = reader.validator.clean(data, parent_in_vip_group=in_group)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = FIELD_LABELS.get(name, "")
                row.errors.extend(f"{label}：{message}" if label else message for message in messages)
        if code:
            line_by_code.setdefault(code, line)
        if id_number:
            line_by_id.setdefault(id_number, line)
        for name in {data.name.strip(), data.short_name.strip()} - {""}:
            line_by_name.setdefault(name, line)
        if row.is_valid:
            row.data = data
            row.in_vip_group = in_group
            row.vip_on_own = reader.validator.evaluate(data, parent_in_vip_group=False).tier == Tier.VIP
    return ImportPreview(rows=rows, warnings=warnings, digest=content_digest(content))


def _resolve_parent(
    tenant: Tenant,
    reader: _Reader,
    reference: str,
    row: ImportRow,
    data: CustomerData,
    line_by_code: dict[str, int],
    line_by_name: dict[str, int],
    row_by_line: dict[int, ImportRow],
    group_rule_active: bool,
) -> bool:
    """Point `data` at its parent (saved, or a row above) and say whether that parent is in a VIP group."""
    if not reference:
        return False
    code = normalise_code(reference)
    parent_line = line_by_code.get(code) if looks_like_credit_code(code) else None
    parent_line = parent_line or line_by_name.get(reference)
    if parent_line is not None:
        parent_row = row_by_line[parent_line]
        row.parent_line = parent_line
        if not parent_row.is_valid:
            row.errors.append(_("上级客户（第 %(line)d 行）有错误，本行无法导入。") % {"line": parent_line})
            return False
        return parent_row.vip_on_own or parent_row.in_vip_group
    found = reader.existing_parent(reference)
    if isinstance(found, list):
        row.errors.append(_("有多个客户名为「%(ref)s」，上级客户请改用统一社会信用代码。") % {"ref": reference})
        return False
    if found is None:
        row.errors.append(_("上级客户「%(ref)s」既不是已登记客户，也不在本文件此前的行中。") % {"ref": reference})
        return False
    data.parent = found
    if not group_rule_active:
        return False
    return tiering.ancestors_vip(
        tenant=tenant, parent_id=found.pk, rules=reader.validator.rules, now=reader.validator.now
    )


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int


@tenant_service(Permission.WRITE)
def import_commit(
    *,
    tenant: Tenant,
    actor: User | None,
    content: str,
    expected_lines: list[int],
    filename: str = "",
    ip_address: str | None = None,
) -> ImportResult:
    """Import every valid row in one transaction, or nothing.

    The rows are validated again now; when the valid rows differ from the preview the user saw
    (someone registered one of the codes in the meantime), nothing is imported.
    """
    preview = import_preview(tenant=tenant, content=content)
    if preview.valid_lines != list(expected_lines):
        raise ImportRefused(_("预览之后数据已发生变化，未导入任何客户。请重新预览后再确认。"))
    validator = CustomerValidator(tenant)
    created: dict[int, Customer] = {}
    for row in preview.valid_rows:
        data = row.data
        if row.parent_line is not None:
            data.parent = created[row.parent_line]
        created[row.line] = customer_create(
            tenant=tenant,
            actor=actor,
            data=data,
            ip_address=ip_address,
            enqueue_recompute=False,
            validator=validator,
        )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.import",
        object_type="customers.customer",
        object_repr=filename[:200],
        ip_address=ip_address,
        changes={
            "file": filename,
            "sha256": preview.digest,
            "created": len(created),
            "skipped_lines": [row.line for row in preview.invalid_rows],
        },
    )
    return ImportResult(created=len(created), skipped=len(preview.invalid_rows))
