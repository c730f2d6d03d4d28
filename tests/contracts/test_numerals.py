"""Amounts in Chinese capitals: the PBOC's examples (《正确填写票据和结算凭证的基本规定》), the edge cases, the
rule chosen where the rules give a choice, refusals, and a round trip over any amount."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finplat.contracts.numerals import MAX_AMOUNT, rmb_capital


@pytest.mark.parametrize("amount, capitals", [
    # the edge cases
    ("0.05", "人民币伍分"),
    ("10.00", "人民币壹拾元整"),
    ("100000.10", "人民币壹拾万元零壹角整"),
    ("1000000000.00", "人民币壹拾亿元整"),
    ("0.00", "人民币零元整"),
    ("1.01", "人民币壹元零壹分"),
    ("10.10", "人民币壹拾元零壹角整"),
    ("1000.00", "人民币壹仟元整"),
    ("1001.00", "人民币壹仟零壹元整"),
    ("10010.00", "人民币壹万零壹拾元整"),
    ("100000000.00", "人民币壹亿元整"),
    ("123456789.12", "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    # the PBOC's own examples (where they allow two forms, the one with every 零)
    ("1409.50", "人民币壹仟肆佰零玖元伍角整"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "人民币壹拾万零柒仟元零伍角叁分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "人民币叁佰贰拾伍元零肆分"),
    # contract amounts
    ("500000.00", "人民币伍拾万元整"),
    ("256000.00", "人民币贰拾伍万陆仟元整"),
    ("204800.00", "人民币贰拾万零肆仟捌佰元整"),
    # sections and their zeros
    ("0.50", "人民币伍角整"),
    ("0.55", "人民币伍角伍分"),
    ("110000.00", "人民币壹拾壹万元整"),
    ("100000001.00", "人民币壹亿零壹元整"),
    ("1010000000.00", "人民币壹拾亿零壹仟万元整"),
    ("1000010000.00", "人民币壹拾亿零壹万元整"),
    ("1000000000000.00", "人民币壹万亿元整"),
    ("1000100000000.00", "人民币壹万零壹亿元整"),
    ("9999999999999999.99", "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_capitals(amount, capitals):
    assert rmb_capital(Decimal(amount)) == capitals


def test_whole_yuan_in_any_form():
    assert rmb_capital(Decimal("500000")) == rmb_capital(Decimal("500000.00")) == rmb_capital(500000)
    assert rmb_capital(Decimal("1.000")) == "人民币壹元整"  # a trailing zero below the fen is no fraction of it
    assert rmb_capital(Decimal("-0.00")) == "人民币零元整"


@pytest.mark.parametrize("amount", [Decimal("-0.01"), Decimal("-256000.00"), -1])
def test_negative_amounts_are_refused(amount):
    with pytest.raises(ValueError, match="negative"):
        rmb_capital(amount)


@pytest.mark.parametrize("amount", ["1.005", "0.001", "256000.001", "1E-30"])
def test_more_than_two_decimals_are_refused(amount):
    with pytest.raises(ValueError, match="two decimal places"):
        rmb_capital(Decimal(amount))


@pytest.mark.parametrize("amount", ["10000000000000000.00", "1E+20"])
def test_too_large_is_refused(amount):
    with pytest.raises(ValueError, match="up to"):
        rmb_capital(Decimal(amount))


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_numbers_are_refused(amount):
    with pytest.raises(ValueError):
        rmb_capital(amount)


@pytest.mark.parametrize("amount", [0.05, "0.05", True, None])
def test_floats_and_other_types_are_refused(amount):
    with pytest.raises(TypeError):
        rmb_capital(amount)


DIGIT_VALUES = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
PLACE_VALUES = {"拾": 10, "佰": 100, "仟": 1000}


def parse(capitals: str) -> Decimal:
    """Read capitals back into a number (a reader independent of the writer's recursion)."""
    assert capitals.startswith("人民币")
    text = capitals.removeprefix("人民币").removesuffix("整")
    total = section = digit = 0
    yuan = 0
    fen = 0
    for ch in text:
        if ch in DIGIT_VALUES:
            digit = DIGIT_VALUES[ch]
        elif ch in PLACE_VALUES:
            section += digit * PLACE_VALUES[ch]
            digit = 0
        elif ch == "万":
            section = (section + digit) * 10**4
            digit = 0
        elif ch == "亿":
            total = (total + section + digit) * 10**8
            section = digit = 0
        elif ch == "元":
            yuan = total + section + digit
            total = section = digit = 0
        elif ch == "角":
            fen += digit * 10
            digit = 0
        elif ch == "分":
            fen += digit
            digit = 0
        else:
            raise AssertionError(f"unexpected {ch!r} in {capitals}")
    return Decimal(yuan) + Decimal(fen) / 100


fen_amounts = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100)).map(lambda n: Decimal(n) / 100)


@given(fen_amounts)
def test_round_trip_and_form(amount):
    text = rmb_capital(amount)
    assert parse(text) == amount
    assert "零零" not in text
    for mark in ("零万", "零亿", "零元", "零角", "零分", "零整", "亿万"):
        assert mark not in text or text == "人民币零元整", (mark, text)
    assert text.endswith("分") or text.endswith("整")
    assert text.endswith("分") == (amount * 100 % 10 != 0)
    assert ("元" in text) == (amount >= 1 or amount == 0)


@given(fen_amounts.filter(lambda a: a >= 1 and a * 100 % 100 != 0))
def test_a_gap_between_yuan_and_the_fraction_is_marked(amount):
    text = rmb_capital(amount)
    units, jiao = int(amount) % 10, int(amount * 10) % 10
    if units == 0 or jiao == 0:
        assert "元零" in text
    else:
        assert "元零" not in text
