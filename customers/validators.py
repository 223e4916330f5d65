"""Chinese identifiers: 统一社会信用代码 (GB 32100-2015), 居民身份证号 (GB 11643), mobile numbers."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_code(value: str) -> str:
    """Upper-case, half-width, no spaces: what people paste is often full-width or spaced."""
    half = "".join(chr(ord(ch) - 0xFEE0) if "！" <= ch <= "～" else ch for ch in value)
    return re.sub(r"\s+", "", half).upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def looks_like_credit_code(code: str) -> bool:
    """18 characters whose last is the right check character (typed references, search boxes)."""
    try:
        return len(code) == 18 and credit_code_check_char(code[:17]) == code[17]
    except ValueError:  # a character outside the alphabet
        return False


def validate_credit_code(value: str) -> None:
    code = normalise_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(n)d 位。"), params={"n": len(code)}, code="length"
        )
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。"),
            params={"chars": "".join(bad)},
            code="alphabet",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对。"), code="checksum")


def id_number_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    number = normalise_code(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("居民身份证号应为 18 位：17 位数字加 1 位数字或 X。"), code="format")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("居民身份证号中的出生日期无效。"), code="birth_date") from None
    if not dt.date(1900, 1, 1) <= birth <= dt.date.today():
        raise ValidationError(_("居民身份证号中的出生日期无效。"), code="birth_date")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("居民身份证号校验位不正确，请核对。"), code="checksum")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.fullmatch(normalise_code(value)):
        raise ValidationError(_("手机号码应为 11 位，以 13–19 开头。"), code="mobile")
