"""Underwriting names every failed check (API.md), each shown failing alone from a passing application, and
all of them together."""
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from finplat.loans.underwriting import CHECKS, Application, CollateralFacts, failed_checks, room

LAND = CollateralFacts(kind="land_management", certified_value=Decimal("424532.17"), had_valuation=True,
                       ltv_cap=Decimal("0.70"), term_end=date(2047, 12, 31))
GOOD = Application(amount=Decimal("297172.51"), maturity=date(2029, 11, 23), collateral=(LAND,))


def fails(application):
    return failed_checks(application)


def test_a_good_application_fails_nothing():
    # room: 424,532.17 x 0.70 = 297,172.519, rounded down to 297,172.51 -> a loan of 297,172.51 fits, one
    # fen more does not
    assert room(LAND) == Decimal("297172.51")
    assert fails(GOOD) == []
    assert fails(replace(GOOD, amount=Decimal("297172.52"))) == ["ltv_exceeded"]


@pytest.mark.parametrize("change, check", [
    ({"certified_value": None, "had_valuation": False}, "valuation_missing"),
    ({"certified_value": None, "had_valuation": True}, "valuation_expired"),
    ({"live_secured": Decimal("100000.00")}, "ltv_exceeded"),  # 297,172.52 - 100,000 of room left
    ({"term_end": date(2030, 11, 22)}, "term_beyond_right"),  # maturity 2029-11-23 > 2029-11-22
    ({"status": "frozen"}, "collateral_encumbered"),
    ({"status": "withdrawn"}, "collateral_encumbered"),
    ({"missing_consents": ("collective_filing",)}, "consent_missing"),
])
def test_each_check_fails_alone(change, check):
    assert fails(replace(GOOD, collateral=(replace(LAND, **change),))) == [check]


def test_term_end_exactly_a_year_after_maturity_passes():
    assert fails(replace(GOOD, collateral=(replace(LAND, term_end=date(2030, 11, 23)),))) == []


def test_forest_needs_fire_insurance_over_the_loan_term():
    forest = replace(LAND, kind="forest", ltv_cap=Decimal("0.50"), certified_value=Decimal("600000.00"),
                     fire_insurance_until=date(2029, 11, 23))
    assert fails(replace(GOOD, collateral=(forest,))) == []
    short = replace(forest, fire_insurance_until=date(2029, 11, 22))
    assert fails(replace(GOOD, collateral=(short,))) == ["fire_insurance_missing"]
    assert fails(replace(GOOD, collateral=(replace(forest, fire_insurance_until=None),))) == ["fire_insurance_missing"]


def test_shares_beyond_the_unpledged_holding_are_encumbered():
    shares = CollateralFacts(kind="collective_shares", certified_value=Decimal("500000.00"), had_valuation=True,
                             ltv_cap=Decimal("0.50"), shares=100, shares_free=100)
    application = replace(GOOD, amount=Decimal("250000.00"), collateral=(shares,))
    assert fails(application) == []
    assert fails(replace(application, collateral=(replace(shares, shares_free=99),))) == ["collateral_encumbered"]


def test_the_borrower_in_default():
    assert fails(replace(GOOD, borrower_in_default=True)) == ["borrower_in_default"]


def test_several_items_pool_their_room():
    house = CollateralFacts(kind="house", certified_value=Decimal("270275.28"), had_valuation=True,
                            ltv_cap=Decimal("0.60"), missing_consents=())
    # 297,172.51 + 270,275.28 x 0.60 = 162,165.168 (162,165.16) -> 459,337.67 of room: each item's limit is
    # rounded down before they are pooled, as each lien secures whole fen
    both = replace(GOOD, amount=Decimal("459337.67"), collateral=(LAND, house))
    assert fails(both) == []
    assert fails(replace(both, amount=Decimal("459337.68"))) == ["ltv_exceeded"]


def test_an_item_secured_to_its_limit_is_encumbered_even_when_others_have_room():
    house = CollateralFacts(kind="house", certified_value=Decimal("600000.00"), had_valuation=True,
                            ltv_cap=Decimal("0.60"))
    full = replace(LAND, live_secured=Decimal("297172.51"))
    assert fails(replace(GOOD, amount=Decimal("100000.00"), collateral=(full, house))) == ["collateral_encumbered"]


def test_every_failure_at_once_in_a_fixed_order():
    frozen_forest = CollateralFacts(kind="forest", status="frozen", certified_value=None, had_valuation=True,
                                    term_end=date(2029, 1, 1), missing_consents=("x",))
    unvalued = replace(LAND, certified_value=None, had_valuation=False)
    everything = Application(amount=Decimal("1.00"), maturity=date(2029, 11, 23),
                             collateral=(frozen_forest, unvalued, replace(LAND, live_secured=Decimal("297172.52"))),
                             borrower_in_default=True)
    assert fails(everything) == [c for c in CHECKS if c != "ltv_exceeded"]  # unvalued items leave LTV unjudged
    assert fails(replace(everything, collateral=(replace(LAND, live_secured=Decimal("297172.52")),))) == \
        ["ltv_exceeded", "collateral_encumbered", "borrower_in_default"]
