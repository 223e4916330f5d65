"""Real-format identifiers: valid check characters pass, one changed character fails, in Chinese."""

import pytest
from django.core.exceptions import ValidationError

from customers.services.validation import CustomerData, CustomerValidator, split_names
from customers.validators import validate_credit_code, validate_id_number, validate_mobile

VALID_CREDIT_CODE = "91350100M000100Y43"
VALID_ID_NUMBER = "11010519491231002X"


def test_a_real_format_credit_code_with_its_check_character_is_valid():
    validate_credit_code(VALID_CREDIT_CODE)
    validate_credit_code("９１３５０１００ｍ０００１００ｙ４３")  # full-width, lower case: as people paste it


@pytest.mark.parametrize("changed", ["91350100M000100Y44", "91350100M000100Y53", "81350100M000100Y43"])
def test_a_credit_code_with_one_character_changed_fails_its_check(changed):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(changed)
    assert "校验位不正确" in error.value.messages[0]


def test_a_credit_code_with_a_letter_outside_the_alphabet_is_named():
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100I43")
    assert "I" in error.value.messages[0] and "不允许的字符" in error.value.messages[0]


def test_a_real_format_id_number_is_valid_and_one_changed_digit_is_not():
    validate_id_number(VALID_ID_NUMBER)
    validate_id_number(VALID_ID_NUMBER.lower())
    for changed in ("110105194912310021", "11010519491231003X", "21010519491231002X"):
        with pytest.raises(ValidationError) as error:
            validate_id_number(changed)
        assert "身份证号" in error.value.messages[0]


def test_an_id_number_with_an_impossible_birth_date_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105194913310024")
    assert "出生日期无效" in error.value.messages[0]


def test_mobile_numbers_are_checked():
    validate_mobile("13800138000")
    for bad in ("12800138000", "1380013800", "138001380001"):
        with pytest.raises(ValidationError):
            validate_mobile(bad)


def test_aliases_split_on_chinese_and_ascii_semicolons_and_keep_commas_inside_names():
    assert split_names("华润置地；华润地产;  华润（集团），有限公司 ", aliases=True) == [
        "华润置地",
        "华润地产",
        "华润（集团），有限公司",
    ]
    assert split_names("国企，上市公司、绿色信贷,国企") == ["国企", "上市公司", "绿色信贷"]


def _errors(tenant, **fields):
    with pytest.raises(ValidationError) as error:
        CustomerValidator(tenant).clean(CustomerData(**fields))
    return error.value.message_dict


def test_an_enterprise_needs_a_valid_credit_code_and_no_id_number(tenant_a):
    errors = _errors(tenant_a, kind="enterprise", name="某公司", credit_code="", id_number=VALID_ID_NUMBER)
    assert errors["credit_code"] == ["企业客户必须填写统一社会信用代码。"]
    assert errors["id_number"] == ["企业客户无需填写身份证号。"]
    errors = _errors(tenant_a, kind="enterprise", name="某公司", credit_code="91350100M000100Y44")
    assert errors["credit_code"] == ["统一社会信用代码校验位不正确，请核对。"]


def test_an_individual_needs_a_valid_id_number_and_a_valid_mobile_if_any(tenant_a):
    errors = _errors(tenant_a, kind="individual", name="张三", id_number="", mobile="123")
    assert errors["id_number"] == ["个人客户必须填写居民身份证号。"]
    assert errors["mobile"] == ["手机号码应为 11 位，以 13–19 开头。"]


def test_a_missing_name_and_kind_and_negative_amounts_get_chinese_errors(tenant_a):
    from decimal import Decimal

    errors = _errors(tenant_a, kind="", name=" ", credit_limit=Decimal("-1"))
    assert errors["kind"] == ["请选择客户类型（企业或个人）。"]
    assert errors["name"] == ["请填写客户名称。"]
    assert errors["credit_limit"] == ["金额不能为负数。"]


def test_the_validator_normalises_codes_and_names(tenant_a):
    data = CustomerValidator(tenant_a).clean(
        CustomerData(kind="enterprise", name="  某公司 ", credit_code="91350100m000100y43 ", aliases=[" A ", "A", ""])
    )
    assert data.name == "某公司"
    assert data.credit_code == VALID_CREDIT_CODE
    assert data.aliases == ["A"]
