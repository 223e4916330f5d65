"""CSV import: every row checked first, each bad row shown with its line, then all valid rows or none."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer, Tier
from customers.services import tiering
from customers.services.imports import ImportRefused, decode_upload, import_commit, import_preview, parse_amount
from tests.customers.factories import CustomerFactory, ProductFactory
from yuqing.audit.models import AuditEvent

HEADER = [
    "客户类型",
    "名称",
    "简称",
    "别名",
    "统一社会信用代码",
    "身份证号",
    "手机号",
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
GROUP = [
    "企业",
    "示例控股集团有限公司",
    "示例集团",
    "示例控股；示例地产",
    "91110108MA01ABCD1E",
    "",
    "",
    "北京",
    "80亿",
    "6,500,000,000",
    "项目融资",
    "国企",
    "是",
    "",
    "集团",
    "admin_a",
]
SPV = [
    "企业",
    "示例置业（成都）有限公司",
    "",
    "",
    "91510100MA6CM1XB4U",
    "",
    "",
    "成都",
    "5亿",
    "3.2亿",
    "项目融资",
    "",
    "否",
    "示例控股集团有限公司",
    "项目公司",
    "admin_a",
]
PERSON = [
    "个人",
    "张伟",
    "",
    "",
    "",
    "11010519491231002X",
    "13800138000",
    "北京",
    "200万",
    "150万",
    "",
    "个体工商户",
    "",
    "",
    "",
    "",
]
BAD_CODE = ["企业", "坏校验位公司", "", "", "91350100M000100Y44", "", "", "", "0", "0", "", "", "", "", "", ""]
BAD_AMOUNT = [
    "企业",
    "坏金额公司",
    "",
    "",
    "91350100M000100Y43",
    "",
    "",
    "",
    "很多",
    "0",
    "银团货款",
    "",
    "也许",
    "",
    "",
    "",
]


def _csv(*rows, header=HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def products(tenant_a):
    return ProductFactory(tenant=tenant_a, name="项目融资")


def test_amounts_accept_yuan_wan_yi_and_thousands_separators():
    assert parse_amount("6,500,000,000") == Decimal("6500000000")
    assert parse_amount("3.2亿") == Decimal("320000000")
    assert parse_amount("1200万元") == Decimal("12000000")
    assert parse_amount("") == Decimal("0")
    with pytest.raises(ValueError):
        parse_amount("很多")


def test_utf8_with_or_without_bom_and_gbk_are_decoded():
    text = _csv(GROUP)
    assert decode_upload(text.encode("utf-8")) == text
    assert decode_upload(("\ufeff" + text).encode("utf-8")) == text
    assert decode_upload(text.encode("gbk")) == text
    with pytest.raises(ImportRefused):
        decode_upload(b"\xff\xfe\x00\xd8\x00")


def test_every_bad_row_is_reported_with_its_line_and_reason_in_chinese(tenant_a, admin_a, products):
    CustomerFactory(tenant=tenant_a, name="已有客户", credit_code="91510100MA6CM1XB4U")
    preview = import_preview(tenant=tenant_a, content=_csv(GROUP, SPV, BAD_CODE, BAD_AMOUNT, GROUP, PERSON))
    assert [row.line for row in preview.valid_rows] == [2, 7]
    errors = {row.line: " ".join(row.errors) for row in preview.invalid_rows}
    assert "该统一社会信用代码已登记为客户「已有客户」" in errors[3]
    assert "统一社会信用代码：统一社会信用代码校验位不正确" in errors[4]
    assert "授信额度「很多」不是有效金额" in errors[5]
    assert "产品「银团货款」不在本机构的产品列表中" in errors[5]
    assert "战略客户「也许」无法识别" in errors[5]
    assert "统一社会信用代码与第 2 行重复" in errors[6]


def test_a_parent_may_be_an_earlier_row_or_a_registered_customer_but_not_a_later_row(tenant_a, admin_a, products):
    CustomerFactory(tenant=tenant_a, name="已登记集团")
    registered_child = [
        "企业",
        "已登记集团的子公司",
        "",
        "",
        "91350100M000100Y43",
        "",
        "",
        "",
        "0",
        "0",
        "",
        "",
        "",
        "已登记集团",
        "子公司",
        "",
    ]
    preview = import_preview(tenant=tenant_a, content=_csv(SPV, GROUP, registered_child))
    errors = {row.line: " ".join(row.errors) for row in preview.invalid_rows}
    assert "上级客户「示例控股集团有限公司」既不是已登记客户，也不在本文件此前的行中" in errors[2]
    assert [row.line for row in preview.valid_rows] == [3, 4]


def test_a_row_under_an_invalid_row_is_not_imported_either(tenant_a, products):
    bad_group = list(GROUP)
    bad_group[4] = "91110108MA01ABCD1F"
    preview = import_preview(tenant=tenant_a, content=_csv(bad_group, SPV))
    assert "上级客户（第 2 行）有错误" in " ".join(preview.rows[1].errors)


def test_a_row_that_would_be_vip_in_a_vip_group_needs_a_manager(tenant_a, admin_a, products):
    tiering.tier_rule_create(tenant=tenant_a, actor=None, name="战略", kind="strategic")
    tiering.tier_rule_create(tenant=tenant_a, actor=None, name="集团", kind="vip_group_member")
    spv = list(SPV)
    spv[-1] = ""
    preview = import_preview(tenant=tenant_a, content=_csv(GROUP, spv))
    assert preview.rows[0].is_valid
    assert "服务策略要求指定客户经理" in " ".join(preview.rows[1].errors)


def test_import_all_valid_rows_creates_exactly_those_with_their_group_and_tiers(tenant_a, admin_a, products):
    tiering.tier_rule_create(tenant=tenant_a, actor=None, name="战略", kind="strategic")
    tiering.tier_rule_create(tenant=tenant_a, actor=None, name="集团", kind="vip_group_member")
    content = _csv(GROUP, BAD_CODE, SPV, PERSON)
    preview = import_preview(tenant=tenant_a, content=content)
    result = import_commit(
        tenant=tenant_a, actor=admin_a.user, content=content, expected_lines=preview.valid_lines, filename="客户.csv"
    )
    assert (result.created, result.skipped) == (3, 1)
    customers = {c.name: c for c in Customer.objects.for_tenant(tenant_a)}
    assert set(customers) == {"示例控股集团有限公司", "示例置业（成都）有限公司", "张伟"}
    group, spv = customers["示例控股集团有限公司"], customers["示例置业（成都）有限公司"]
    assert spv.parent == group and group.relationship_manager == admin_a
    assert (group.tier, spv.tier, customers["张伟"].tier) == (Tier.VIP, Tier.VIP, Tier.STANDARD)
    assert group.credit_limit == Decimal("8000000000") and spv.loan_balance == Decimal("320000000")
    assert customers["张伟"].id_number_masked == "110105********002X"
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.import")
    assert event.changes["created"] == 3 and event.changes["skipped_lines"] == [3]


def test_a_failure_on_any_row_imports_nothing(tenant_a, admin_a, products, monkeypatch):
    from customers.services import imports

    real_create = imports.customer_create
    calls = []

    def failing_create(**kwargs):
        calls.append(kwargs["data"].name)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "customer_create", failing_create)
    content = _csv(GROUP, SPV, PERSON)
    with pytest.raises(RuntimeError):
        import_commit(tenant=tenant_a, actor=admin_a.user, content=content, expected_lines=[2, 3, 4])
    assert not Customer.objects.for_tenant(tenant_a).exists()


def test_data_changed_since_the_preview_imports_nothing(tenant_a, admin_a, products):
    content = _csv(GROUP, PERSON)
    preview = import_preview(tenant=tenant_a, content=content)
    CustomerFactory(tenant=tenant_a, credit_code="91110108MA01ABCD1E")  # registered meanwhile
    with pytest.raises(ImportRefused):
        import_commit(tenant=tenant_a, actor=admin_a.user, content=content, expected_lines=preview.valid_lines)
    assert Customer.objects.for_tenant(tenant_a).count() == 1


def test_a_file_without_the_required_columns_is_refused_as_a_whole(tenant_a):
    with pytest.raises(ImportRefused) as error:
        import_preview(tenant=tenant_a, content="名字,代码\n张三,1\n")
    assert "缺少必需的列：客户类型、名称" in error.value.messages[0]


# ---------------------------------------------------------------- the pages


def _upload(client, content: bytes, name="customers.csv"):
    return client.post(reverse("customers:customer-import"), {"file": SimpleUploadedFile(name, content)})


def _pending(client, content: bytes) -> str:
    """Upload `content`; the URL of its preview (a token bound to this tenant and user)."""
    response = _upload(client, content)
    assert response.status_code == 302
    return response["Location"]


def _confirm(url: str) -> str:
    return url + "confirm/"


def test_the_preview_page_shows_each_bad_row_and_import_nothing_leaves_the_database_unchanged(
    client_a, tenant_a, products
):
    url = _pending(client_a, _csv(GROUP, BAD_CODE).encode("utf-8"))
    assert url.startswith(reverse("customers:customer-import"))
    page = client_a.get(url)
    body = page.content.decode()
    assert "第 3 行" in body and "统一社会信用代码校验位不正确" in body
    assert "导入全部有效行（1 行）" in body
    audit_before = AuditEvent.objects.for_tenant(tenant_a).count()
    response = client_a.post(_confirm(url), {"action": "discard", "digest": page.context["preview"].digest})
    assert response.status_code == 302
    assert not Customer.objects.for_tenant(tenant_a).exists()
    assert AuditEvent.objects.for_tenant(tenant_a).count() == audit_before
    assert client_a.get(url).status_code == 404  # nothing pending any more


def test_import_valid_rows_from_a_gbk_file_through_the_pages(client_a, tenant_a, products):
    url = _pending(client_a, _csv(GROUP, BAD_CODE, PERSON).encode("gbk"))
    digest = client_a.get(url).context["preview"].digest
    response = client_a.post(_confirm(url), {"action": "import", "digest": digest})
    assert response.status_code == 302
    assert set(Customer.objects.for_tenant(tenant_a).values_list("name", flat=True)) == {"示例控股集团有限公司", "张伟"}


def test_the_confirm_step_uses_the_stored_upload_not_a_new_one(client_a, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    digest = client_a.get(url).context["preview"].digest
    client_a.post(
        _confirm(url),
        {"action": "import", "digest": digest, "file": SimpleUploadedFile("x.csv", _csv(GROUP).encode())},
    )
    assert list(Customer.objects.for_tenant(tenant_a).values_list("name", flat=True)) == ["张伟"]


def test_a_confirm_with_a_stale_digest_or_without_a_preview_imports_nothing(client_a, tenant_a, products):
    url = _pending(client_a, _csv(PERSON).encode())
    client_a.get(url)
    client_a.post(_confirm(url), {"action": "import", "digest": "0" * 64})
    assert not Customer.objects.for_tenant(tenant_a).exists()
    url = _pending(client_a, _csv(PERSON).encode())  # uploaded but never previewed
    response = client_a.post(_confirm(url), {"action": "import", "digest": "x"})
    assert response.status_code == 302
    assert not Customer.objects.for_tenant(tenant_a).exists()


def test_an_upload_that_cannot_be_read_gets_a_chinese_error_on_the_upload_page(client_a, tenant_a):
    response = _upload(client_a, "名字\n张三\n".encode())
    assert response.status_code == 200
    assert "缺少必需的列" in response.content.decode()


def test_the_template_downloads_as_utf8_with_bom_and_its_rows_validate(client_a, tenant_a):
    for name in ("项目融资", "银团贷款", "流动资金贷款"):
        ProductFactory(tenant=tenant_a, name=name)
    response = client_a.get(reverse("customers:customer-import-template"))
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    preview = import_preview(tenant=tenant_a, content=decode_upload(raw))
    assert [row.errors for row in preview.rows] == [[], [], []]


def test_a_viewer_cannot_import(client_for, viewer_a):
    assert client_for(viewer_a).get(reverse("customers:customer-import")).status_code == 403


def test_a_pending_import_belongs_to_its_tenant(client_for, tenant_a, tenant_b, admin_a, products):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=admin_a.user, role="admin")
    ProductFactory(tenant=tenant_b, name="项目融资")
    client = client_for(admin_a)
    session = client.session
    session["tenant_id"] = tenant_a.pk
    session.save()
    url = _pending(client, _csv(PERSON).encode())
    client.post(reverse("tenancy:tenant-switch"), {"tenant": tenant_b.pk})
    assert client.get(url).status_code == 404
    assert client.post(_confirm(url), {"action": "import"}).status_code == 404
