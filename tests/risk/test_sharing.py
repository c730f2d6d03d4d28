"""Shares of a loss, by hand: the 4321 program and a fund-only program, the residue to the guarantor (or the
bank when there is none), and refusals."""
from decimal import Decimal

import pytest

from finplat.risk import sharing

D = Decimal
FOUR_THREE_TWO_ONE = {"guarantor": D("0.40"), "reguarantor": D("0.30"), "bank": D("0.20"), "fund": D("0.10")}
FUND_ONLY = {"guarantor": D("0"), "reguarantor": D("0"), "bank": D("0.80"), "fund": D("0.20")}


def test_4321_on_a_round_loss():
    assert sharing.split(D("100000.00"), FOUR_THREE_TWO_ONE) == {
        "guarantor": D("40000.00"), "reguarantor": D("30000.00"), "bank": D("20000.00"), "fund": D("10000.00")}


def test_the_rounding_residue_goes_to_the_guarantor():
    # 12,345.67: re-guarantor 3,703.701 -> 3,703.70, bank 2,469.134 -> 2,469.13, fund 1,234.567 -> 1,234.57;
    # the guarantor takes 12,345.67 - 7,407.40 = 4,938.27 (its exact share is 4,938.268)
    assert sharing.split(D("12345.67"), FOUR_THREE_TWO_ONE) == {
        "guarantor": D("4938.27"), "reguarantor": D("3703.70"), "bank": D("2469.13"), "fund": D("1234.57")}
    # 0.05: 0.015 -> 0.02, 0.01 -> 0.01, 0.005 -> 0.01 (half-up); the guarantor 0.05 - 0.04 = 0.01
    assert sharing.split(D("0.05"), FOUR_THREE_TWO_ONE) == {
        "guarantor": D("0.01"), "reguarantor": D("0.02"), "bank": D("0.01"), "fund": D("0.01")}


def test_a_fund_only_program_leaves_the_residue_to_the_bank():
    # the fund pays 20 % of 12,345.67 = 2,469.134 -> 2,469.13; the bank bears the rest, 9,876.54
    assert sharing.split(D("12345.67"), FUND_ONLY) == {
        "guarantor": D("0"), "reguarantor": D("0"), "bank": D("9876.54"), "fund": D("2469.13")}
    assert sharing.residue_party(FUND_ONLY) == "bank"


def test_bad_shares_and_amounts():
    assert sharing.shares_error({**FOUR_THREE_TWO_ONE, "fund": D("0.11")}) == "the shares sum to 1.01, not 1"
    assert sharing.shares_error({"bank": D("1")}).startswith("give a share for each of")
    assert sharing.shares_error({**FUND_ONLY, "bank": D("1.20"), "fund": D("-0.20")}) == "each share is from 0 to 1"
    with pytest.raises(ValueError):
        sharing.split(D("-1.00"), FOUR_THREE_TWO_ONE)
    with pytest.raises(ValueError):
        sharing.split(D("1.005"), FOUR_THREE_TWO_ONE)


def test_no_party_is_ever_given_less_than_nothing():
    # 0.02 at 1 / 33 / 33 / 33 %: each 0.0066 rounds up to 0.01, which would leave the guarantor -0.01; the
    # party that rounded up first gives its extra fen back
    tiny = {"guarantor": D("0.01"), "reguarantor": D("0.33"), "bank": D("0.33"), "fund": D("0.33")}
    assert sharing.split(D("0.02"), tiny) == {"guarantor": D("0.00"), "reguarantor": D("0.00"), "bank": D("0.01"),
                                             "fund": D("0.01")}
    halves = {"guarantor": D("0"), "reguarantor": D("0.5"), "bank": D("0"), "fund": D("0.5")}
    got = sharing.split(D("0.01"), halves)  # 0.005 and 0.005 both round up: one of them gives it back
    assert got == {"guarantor": D("0.00"), "reguarantor": D("0.00"), "bank": D("0.00"), "fund": D("0.01")}
    assert all(sum(sharing.split(D(f"{fen}E-2"), s).values()) == D(f"{fen}E-2") and
               min(sharing.split(D(f"{fen}E-2"), s).values()) >= 0
               for fen in range(0, 500) for s in (tiny, halves, FOUR_THREE_TWO_ONE, FUND_ONLY))
