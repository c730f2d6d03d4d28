"""The valuation methods (DESIGN.md §3.3): worked examples by hand, the low/high range, hypothesis properties
and the errors that name every bad input."""
from decimal import ROUND_DOWN, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finplat.valuation.methods import (METHODS, SERVICE_LIFE, InvalidInputs, Result, compute, cost,
                                       income_capitalisation, land_price_coefficient, market_comparison,
                                       share_nav)

D = Decimal


def errors_of(function, *args, **kwargs) -> dict:
    with pytest.raises(InvalidInputs) as caught:
        function(*args, **kwargs)
    return caught.value.errors


# --- income capitalisation

def test_income_capitalisation_journey_figure():
    # 40,000 / 0.06 x (1 - 1.06^-20): 1.06^20 = 3.20713547..., 1/1.06^20 = 0.31180473...,
    # 1 - that = 0.68819527...; 40,000 / 0.06 = 666,666.67 x 0.68819527... = 458,796.85
    result = income_capitalisation(D("40000.00"), D("0.06"), 20)
    assert result.value == D("458796.85")
    assert result.details["perpetuity_value"].quantize(D("0.0001")) == D("666666.6667")
    assert result.details["term_factor"].quantize(D("0.00000001")) == D("0.68819527")
    assert result.details["annuity_factor"].quantize(D("0.00000001")) == D("11.46992122")
    assert result.details["sensitivities"] == "annual_net_income +/-10%, rate +/-0.01"


def test_income_capitalisation_range():
    # low: 36,000 at 7 %: 1.07^20 = 3.86968446..., 1 - 1/that = 0.74158100..., / 0.07 = 10.59401425...
    #      x 36,000 = 381,384.51
    # high: 44,000 at 5 %: 1.05^20 = 2.65329771..., 1 - 1/that = 0.62311052..., / 0.05 = 12.46221034...
    #      x 44,000 = 548,337.26
    result = income_capitalisation(D("40000.00"), D("0.06"), 20)
    assert (result.low, result.value, result.high) == (D("381384.51"), D("458796.85"), D("548337.26"))


def test_income_capitalisation_fractional_years():
    # 1.06^21.1 = e^(21.1 x ln 1.06) = e^(21.1 x 0.05826891) = 3.41943031..., 1 - 1/that = 0.70755362...;
    # 666,666.67 x 0.70755362... = 471,702.42
    assert income_capitalisation(D("40000.00"), D("0.06"), D("21.10")).value == D("471702.42")


def test_a_rate_one_point_or_less_leaves_the_lower_rate_out():
    # at 1 %, 0 % would divide by zero: only 1 % and 2 % are tried. 1.01^20 = 1.22019004...,
    # 1 - 1/that = 0.18045553..., / 0.01 = 18.04555297 x 40,000 = 721,822.12; high at 44,000 and 1 %:
    # 794,004.33; low at 36,000 and 2 %: 1.02^20 = 1.48594740..., 1 - 1/that = 0.32702867..., / 0.02
    # = 16.35143334... x 36,000 = 588,651.60
    result = income_capitalisation(D("40000.00"), D("0.01"), 20)
    assert (result.low, result.value, result.high) == (D("588651.60"), D("721822.12"), D("794004.33"))
    assert result.details["sensitivities"] == "annual_net_income +/-10%, rate +0.01"


def test_the_callers_decimal_context_changes_nothing():
    with localcontext(prec=5, rounding=ROUND_DOWN):
        result = income_capitalisation(D("40000.00"), D("0.06"), 20)
    assert result.value == D("458796.85")


# --- benchmark land-price coefficient correction

def test_land_price_coefficient_worked_example():
    # 800 per m2, corrections +5 % and -3 % (sum 0.02), 6 %, 30 of 50 years, 1,000 m2:
    # 1.06^30 = 5.74349117..., 1 - 1/that = 0.82588987...; 1.06^50 = 18.42015427..., 1 - 1/that = 0.94571164...
    # K = 0.82588987 / 0.94571164 = 0.87329989...; unit price 800 x 1.02 x 0.87329989 = 712.61270980...
    # x 1,000 m2 = 712,612.71
    result = land_price_coefficient(D("800.00"), D("1000.00"), [D("0.05"), D("-0.03")], D("0.06"), D("30"), 50)
    assert result.value == D("712612.71")
    assert result.details["correction_sum"] == D("0.02")
    assert result.details["term_correction"].quantize(D("0.00000001")) == D("0.87329989")
    assert result.details["corrected_unit_price"].quantize(D("0.0001")) == D("712.6127")


def test_land_price_range_follows_the_term_correction_up_with_the_rate():
    # K rises with the rate (m < n), so the low is at 5 % and the high at 7 %:
    # 5 %: K = (1 - 1/1.05^30) / (1 - 1/1.05^50) = 0.76862255 / 0.91279627 = 0.84205268...;
    #      720 x 1.02 x 0.84205268 x 1,000 = 618,403.49
    # 7 %: K = 0.86863288 / 0.96605224 = 0.89915726...; 880 x 1.02 x 0.89915726 x 1,000 = 807,083.55
    result = land_price_coefficient(D("800.00"), D("1000.00"), [D("0.05"), D("-0.03")], D("0.06"), D("30"), 50)
    assert (result.low, result.high) == (D("618403.49"), D("807083.55"))


def test_land_price_with_the_whole_term_left_needs_no_term_correction():
    # m = n: K = 1; 1,200 x (1 - 0.1) x 1 x 500 = 540,000.00; no corrections at all: 1,200 x 500 = 600,000.00
    assert land_price_coefficient(D("1200.00"), D("500.00"), [D("-0.1")], D("0.05"), D("40"), 40).value \
        == D("540000.00")
    assert land_price_coefficient(D("1200.00"), D("500.00"), [], D("0.05"), D("40"), 40).value == D("600000.00")


# --- cost approach

def test_cost_worked_example():
    # brick-concrete: N = 50, R = 2 %; 20 years: d = 0.98 x 20 / 50 = 0.392;
    # 1,500 x 120 m2 = 180,000 x (1 - 0.392) = 109,440 + homestead 50,000 = 159,440.00
    # range: 1,350 x 120 x 0.608 + 50,000 = 148,496.00; 1,650 x 120 x 0.608 + 50,000 = 170,384.00
    result = cost(D("1500.00"), D("120.00"), "brick_concrete", D("20"), D("50000.00"))
    assert (result.low, result.value, result.high) == (D("148496.00"), D("159440.00"), D("170384.00"))
    assert result.details["depreciation_rate"] == D("0.392")
    assert result.details["service_life_years"] == 50 and result.details["residual_rate"] == D("0.02")
    assert result.details["replacement_value"] == D("180000")
    assert result.details["building_value"] == D("109440")
    assert result.details["sensitivities"] == "replacement_cost_per_m2 +/-10%"


def test_a_building_past_its_service_life_keeps_its_residual_value():
    # brick-wood: N = 40, R = 4 %; 45 years: 0.96 x 45 / 40 = 1.08, capped at 1 - R = 0.96;
    # 1,500 x 120 = 180,000 x 0.04 = 7,200.00 (no homestead value)
    result = cost(D("1500.00"), D("120.00"), "brick_wood", D("45"), D("0"))
    assert result.value == D("7200.00")
    assert result.details["depreciation_rate"] == D("0.96")
    # reinforced concrete keeps nothing (R = 0): past 60 years only the land is left
    assert cost(D("2000.00"), D("100.00"), "reinforced_concrete", D("70"), D("30000.00")).value == D("30000.00")


def test_cost_with_a_fractional_age():
    # simple: N = 10, R = 0; 2.5 years: d = 0.25; 800 x 50 = 40,000 x 0.75 = 30,000.00
    assert cost(D("800.00"), D("50.00"), "simple", D("2.5"), D("0.00")).value == D("30000.00")


def test_service_life_table():
    assert SERVICE_LIFE["reinforced_concrete"] == (60, D("0"))
    assert SERVICE_LIFE["brick_concrete"] == (50, D("0.02"))
    assert SERVICE_LIFE["brick_wood"].years == 40 and SERVICE_LIFE["brick_wood"].residual == D("0.04")
    assert SERVICE_LIFE["simple"] == (10, D("0"))


# --- market comparison

COMPARABLES = [  # (price, area, factors: circumstances, date, regional, individual, term)
    (D("300000.00"), D("100.00"), [D("1"), D("1.05"), D("1"), D("0.98"), D("1")]),
    {"price": D("260000.00"), "area": D("80.00"), "factors": [D("1"), D("1.02"), D("1"), D("1"), D("1")]},
    (D("450000.00"), D("150.00"), [D("0.98"), D("1"), D("1.02"), D("1"), D("1")]),
]


def test_market_comparison_with_three_comparables():
    # 300,000 / 100 = 3,000 x (1.05 x 0.98 = 1.029) = 3,087.00
    # 260,000 / 80 = 3,250 x 1.02 = 3,315.00
    # 450,000 / 150 = 3,000 x (0.98 x 1.02 = 0.9996) = 2,998.80
    # mean (3,087 + 3,315 + 2,998.80) / 3 = 9,400.80 / 3 = 3,133.60 x 120 m2 = 376,032.00; +/-10 % of every price
    # moves the mean as much: 338,428.80 and 413,635.20
    result = market_comparison(COMPARABLES, D("120.00"))
    assert (result.low, result.value, result.high) == (D("338428.80"), D("376032.00"), D("413635.20"))
    details = result.details
    assert [details[f"comparable_{i}_adjusted_unit_price"] for i in range(3)] == [D("3087"), D("3315"), D("2998.8")]
    assert details["comparable_1_unit_price"] == D("3250") and details["comparable_2_factor_product"] == D("0.9996")
    assert details["mean_unit_price"] == D("3133.6") and details["comparable_count"] == 3


def test_market_comparison_mean_is_not_rounded_before_the_area():
    # unit prices 1,000, 1,000 and 1,001: mean 1,000.333... x 3 = 3,001.00 (3,000.99 had the mean been rounded)
    comparables = [(D("1000.00"), D("1"), []), (D("1000.00"), D("1"), []), (D("1001.00"), D("1"), [])]
    assert market_comparison(comparables, D("3")).value == D("3001.00")


# --- collective shares

def test_share_nav_worked_example():
    # 5,000,000 / 10,000 shares = 500 a share x 250 = 125,000.00; +/-10 % of net assets: 112,500 / 137,500
    result = share_nav(D("5000000.00"), 10000, 250)
    assert (result.low, result.value, result.high) == (D("112500.00"), D("125000.00"), D("137500.00"))
    assert result.details["nav_per_share"] == D("500")


def test_share_nav_rounds_only_the_value():
    # 1,234,567.89 / 3,000 = 411.52263 x 7 = 2,880.65841 -> 2,880.66 (411.52 x 7 would give 2,880.64)
    assert share_nav(D("1234567.89"), 3000, 7).value == D("2880.66")
    # 1.00 / 8 = 0.125: half-up to the fen is 0.13 (half-even would give 0.12)
    assert share_nav(D("1.00"), 8, 1).value == D("0.13")
    nothing = share_nav(D("0.00"), 8, 1)  # net assets may be nil
    assert nothing.low == nothing.value == nothing.high == D("0.00")


# --- the dispatcher

def test_compute_dispatches_by_name():
    assert set(METHODS) == {"income_capitalisation", "land_price_coefficient", "cost", "market_comparison",
                            "share_nav"}
    inputs = {"annual_net_income": D("40000.00"), "rate": D("0.06"), "years": D("20")}
    assert compute("income_capitalisation", inputs).value == D("458796.85")
    assert compute("market_comparison", {"comparables": COMPARABLES, "area": D("120.00")}).value == D("376032.00")


def test_compute_names_missing_and_unknown_inputs_and_methods():
    assert errors_of(compute, "income_capitalisation", {"rate": D("0.06"), "term": 20}) == {
        "term": ["unknown input"], "annual_net_income": ["required"], "years": ["required"]}
    assert errors_of(compute, "share_nav", {"net_assets": D(1), "total_shares": 10, "shares": 1, "x": 1}) == {
        "x": ["unknown input"]}
    assert list(errors_of(compute, "dcf", {})) == ["method"]


# --- every bad input, named

@pytest.mark.parametrize("args, expected", [
    ((D("40000"), D("0"), D("20")), {"rate": ["must be greater than 0"]}),
    ((D("40000"), D("-0.01"), D("0")), {"rate": ["must be greater than 0"], "years": ["must be greater than 0"]}),
    ((D("0"), D("0.06"), D("20")), {"annual_net_income": ["must be greater than 0"]}),
    ((40000.0, D("0.06"), D("20")), {"annual_net_income": ["must be a decimal number"]}),
    ((D("NaN"), D("0.06"), None), {"annual_net_income": ["must be a decimal number"], "years": ["required"]}),
])
def test_income_capitalisation_errors(args, expected):
    assert errors_of(income_capitalisation, *args) == expected


def test_land_price_errors():
    good = dict(base_price=D("800"), area=D("1000"), factor_corrections=[D("0.05")], rate=D("0.06"),
                remaining_years=D("30"), max_years=50)
    assert errors_of(land_price_coefficient, **{**good, "remaining_years": D("50.01")}) == {
        "remaining_years": ["must not exceed max_years"]}
    assert errors_of(land_price_coefficient, **{**good, "remaining_years": D("0"), "max_years": 0}) == {
        "remaining_years": ["must be greater than 0"], "max_years": ["must be greater than 0"]}
    assert errors_of(land_price_coefficient, **{**good, "max_years": D("40.5")}) == {
        "max_years": ["must be a whole number"]}
    assert errors_of(land_price_coefficient, **{**good, "factor_corrections": [D("-0.6"), D("-0.4")]}) == {
        "factor_corrections": ["must sum to more than -1"]}
    assert errors_of(land_price_coefficient, **{**good, "factor_corrections": [D("0.1"), "x"]}) == {
        "factor_corrections.1": ["must be a decimal number"]}
    # every bad input at once, the cross-field rule included
    assert set(errors_of(land_price_coefficient, D("-1"), D("0"), None, D("0"), D("60"), 50)) == {
        "base_price", "area", "factor_corrections", "rate", "remaining_years"}


def test_cost_errors():
    assert errors_of(cost, D("0"), D("-1"), "wood", D("-1"), D("-0.01")) == {
        "replacement_cost_per_m2": ["must be greater than 0"], "floor_area": ["must be greater than 0"],
        "structure": ["unknown structure; one of: reinforced_concrete, brick_concrete, brick_wood, simple"],
        "age_years": ["must not be negative"], "land_value": ["must not be negative"]}
    assert errors_of(cost, D("1"), D("1"), None, D("0"), D("0")) == {"structure": ["required"]}


def test_market_comparison_errors():
    assert errors_of(market_comparison, COMPARABLES[:2], D("120")) == {"comparables": ["at least three comparables"]}
    bad = [COMPARABLES[0], {"price": D("0"), "area": D("-5"), "factors": [D("1"), D("0")]}, "x",
           (D("1"), D("1"), None)]
    assert errors_of(market_comparison, bad, D("0")) == {
        "comparables.1.price": ["must be greater than 0"], "comparables.1.area": ["must be greater than 0"],
        "comparables.1.factors.1": ["must be greater than 0"],
        "comparables.2": ["must have a price, an area and factors"],
        "comparables.3.factors": ["required"], "area": ["must be greater than 0"]}
    assert errors_of(market_comparison, None, D("1")) == {"comparables": ["required"]}


def test_share_nav_errors():
    assert errors_of(share_nav, D("1000"), 100, 101) == {"shares": ["must not exceed total_shares"]}
    assert errors_of(share_nav, D("-1"), 0, 0) == {"net_assets": ["must not be negative"],
                                                   "total_shares": ["must be greater than 0"],
                                                   "shares": ["must be greater than 0"]}
    assert errors_of(share_nav, D("1000"), 100, D("1.5")) == {"shares": ["must be a whole number"]}


def test_a_value_too_large_to_record_is_the_price_inputs_error():
    # the high end counts: 10^16 - 0.01 at 1 % for ever is 10^18, past NUMERIC(18,2)
    assert errors_of(income_capitalisation, D("9999999999999999.99"), D("0.01"), D("999")) == {
        "annual_net_income": ["gives a value too large to record"]}
    huge = [(D("9999999999999999.99"), D("0.01"), [])] * 3
    assert list(errors_of(market_comparison, huge, D("999999999999.99"))) == ["comparables"]
    # the largest value a record holds is still a value: 9,999,999,999,999,999.99 / 1.1 as net assets
    assert share_nav(D("9090909090909090.90"), 1, 1).high == D("9999999999999999.99")


# --- properties

money = st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2)
rates = st.decimals(min_value=D("0.0001"), max_value=D("0.5"), places=4)
years = st.decimals(min_value=D("0.1"), max_value=D("70"), places=2)
areas = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
factors = st.decimals(min_value=D("0.5"), max_value=D("1.5"), places=4)
comparables = st.lists(st.tuples(money, areas, st.lists(factors, max_size=5)), min_size=3, max_size=8)


def in_fen(result: Result) -> bool:
    return all(isinstance(x, Decimal) and x.as_tuple().exponent == -2 for x in (result.value, result.low, result.high))


@given(money, st.lists(rates, min_size=2, max_size=2).map(sorted), years)
def test_income_value_falls_as_the_rate_rises(income, rate_pair, n):
    low_rate, high_rate = rate_pair
    assert income_capitalisation(income, low_rate, n).value >= income_capitalisation(income, high_rate, n).value


@given(st.lists(money, min_size=2, max_size=2).map(sorted), rates, years)
def test_income_value_rises_with_income(income_pair, rate, n):
    smaller, larger = (income_capitalisation(income, rate, n) for income in income_pair)
    assert smaller.value <= larger.value


@given(money, rates, st.lists(years, min_size=2, max_size=2).map(sorted))
def test_income_value_rises_with_the_term(income, rate, year_pair):
    shorter, longer = (income_capitalisation(income, rate, n) for n in year_pair)
    assert shorter.value <= longer.value


@given(money, areas, rates, st.lists(years, min_size=2, max_size=2).map(sorted), st.integers(70, 100))
def test_land_price_rises_with_the_remaining_years(price, area, rate, year_pair, max_years):
    shorter = land_price_coefficient(price, area, [], rate, year_pair[0], max_years)
    longer = land_price_coefficient(price, area, [], rate, year_pair[1], max_years)
    assert shorter.value <= longer.value


@given(money, rates, years)
def test_income_range(income, rate, n):
    result = income_capitalisation(income, rate, n)
    assert in_fen(result) and result.low <= result.value <= result.high


@given(money, areas, st.lists(st.decimals(min_value=D("-0.15"), max_value=D("0.15"), places=4), max_size=6),
       rates, years, st.integers(70, 100))
def test_land_price_range(price, area, corrections, rate, remaining, max_years):
    result = land_price_coefficient(price, area, corrections, rate, remaining, max_years)
    assert in_fen(result) and result.low <= result.value <= result.high


@given(money, areas, st.sampled_from(sorted(SERVICE_LIFE)), st.decimals(min_value=0, max_value=100, places=2),
       st.decimals(min_value=0, max_value=D("10000000"), places=2))
def test_cost_range(unit_cost, area, structure, age, land):
    result = cost(unit_cost, area, structure, age, land)
    assert in_fen(result) and land <= result.low <= result.value <= result.high


@given(comparables, areas)
def test_market_comparison_range(rows, area):
    result = market_comparison(rows, area)
    assert in_fen(result) and result.low <= result.value <= result.high


@given(st.decimals(min_value=0, max_value=D("100000000"), places=2), st.integers(1, 1_000_000), st.data())
def test_share_nav_range(net_assets, total, data):
    result = share_nav(net_assets, total, data.draw(st.integers(1, total)))
    assert in_fen(result) and result.low <= result.value <= result.high


def test_an_exact_half_fen_rounds_up_after_depreciation():
    # reinforced concrete, 10 of 60 years: 1,567.80 x 188.31 x 50/60 = 295,232.418 x 50/60 = 246,027.015 -> .02
    # (with 1 - 10/60 taken first, 0.8333... loses the half fen at any finite precision)
    assert cost(Decimal("1567.80"), Decimal("188.31"), "reinforced_concrete", Decimal(10), Decimal("0")).value == \
        Decimal("246027.02")


def test_the_range_takes_its_ends_at_the_expected_corners():
    # low: income -10 % at rate +1 point; high: income +10 % at rate -1 point
    got = income_capitalisation(Decimal("40000.00"), Decimal("0.06"), Decimal(20))
    assert got.low == income_capitalisation(Decimal("36000.00"), Decimal("0.07"), Decimal(20)).value
    assert got.high == income_capitalisation(Decimal("44000.00"), Decimal("0.05"), Decimal(20)).value
    # cost has no rate: the ends are the replacement cost -/+ 10 %
    got = cost(Decimal("1500.00"), Decimal("120.00"), "brick_concrete", Decimal(20), Decimal("50000.00"))
    assert (got.low, got.high) == (
        cost(Decimal("1350.00"), Decimal("120.00"), "brick_concrete", Decimal(20), Decimal("50000.00")).value,
        cost(Decimal("1650.00"), Decimal("120.00"), "brick_concrete", Decimal(20), Decimal("50000.00")).value)
