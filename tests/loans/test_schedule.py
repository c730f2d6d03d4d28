"""Repayment schedules (DESIGN.md §3.4): published and hand-worked examples of every method, due dates at the
ends of months, interest by actual days, rounding half-up to the fen, the errors that name every bad input,
hypothesis properties, the API schemas and the preview route."""
import calendar
import json
from datetime import date
from decimal import Decimal, localcontext
from types import SimpleNamespace

import pytest
from flask import Flask, g
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from finplat import error_handlers
from finplat.extensions import FinPlatApi, db
from finplat.loans.schedule import (MAX_TERM_MONTHS, METHODS, InvalidInputs, Schedule, due_dates, maturity,
                                    schedule)
from finplat.loans.schedule_api import blp
from finplat.loans.schedule_schemas import ScheduleIn, ScheduleSchema

D = Decimal


def errors_of(function, *args, **kwargs) -> dict:
    with pytest.raises(InvalidInputs) as caught:
        function(*args, **kwargs)
    return caught.value.errors


def rows(result: Schedule) -> list:
    """(due date, principal, interest, payment, balance) of each instalment, as strings and dates."""
    return [(i.due_date, str(i.principal), str(i.interest), str(i.payment), str(i.balance))
            for i in result.instalments]


# --- the published case: 1,000,000.00 over 30 years (360 months) at 4.90 %

MILLION, RATE_490, START = D("1000000.00"), D("0.049"), date(2026, 12, 15)


def test_equal_instalment_published_figure():
    # i = 0.049 / 12 = 0.00408333...; (1 + i)^360 = 4.33623689; M = 1,000,000 x 0.00408333 x 4.33623689 / 3.33623689
    # = 5,307.2672 -> 5,307.27 (the figure every mortgage calculator publishes)
    result = schedule(MILLION, RATE_490, 360, "equal_instalment", START)
    first, second, last = result.instalments[0], result.instalments[1], result.instalments[-1]
    assert first.payment == D("5307.27")
    # interest 1,000,000 x 0.049 / 12 = 4,083.3333 -> 4,083.33; principal 5,307.27 - 4,083.33 = 1,223.94
    assert (first.due_date, first.interest, first.principal, first.balance) == (
        date(2027, 1, 15), D("4083.33"), D("1223.94"), D("998776.06"))
    # 998,776.06 x 0.049 / 12 = 4,078.3356 -> 4,078.34; principal 5,307.27 - 4,078.34 = 1,228.93
    assert (second.interest, second.principal, second.payment) == (D("4078.34"), D("1228.93"), D("5307.27"))
    assert all(i.payment == D("5307.27") for i in result.instalments[:-1])
    # the last takes what is left (5,283.62, + 21.57 interest): its payment 5,305.19 is not M
    assert (last.number, last.due_date, last.principal, last.interest, last.payment, last.balance) == (
        360, date(2056, 12, 15), D("5283.62"), D("21.57"), D("5305.19"), D("0.00"))
    assert result.total_interest == D("910615.12")
    assert result.total_payment == D("1910615.12") == MILLION + result.total_interest


def test_equal_principal_published_figures():
    # principal 1,000,000 / 360 = 2,777.777... -> 2,777.78; first interest 1,000,000 x 0.049 / 12 = 4,083.33:
    # 6,861.11; second 997,222.22 x 0.049 / 12 = 4,071.9907 -> 4,071.99: 6,849.77, 11.34 less (2,777.78 x i)
    result = schedule(MILLION, RATE_490, 360, "equal_principal", START)
    first, second, last = result.instalments[0], result.instalments[1], result.instalments[-1]
    assert (first.principal, first.interest, first.payment) == (D("2777.78"), D("4083.33"), D("6861.11"))
    assert (second.principal, second.interest, second.payment) == (D("2777.78"), D("4071.99"), D("6849.77"))
    assert first.payment - second.payment == D("11.34")
    # the last: 1,000,000 - 359 x 2,777.78 = 2,776.98, on which 2,776.98 x 0.049 / 12 = 11.3394 -> 11.34
    assert (last.principal, last.interest, last.payment, last.balance) == (
        D("2776.98"), D("11.34"), D("2788.32"), D("0.00"))
    # exact interest would be 361 x 1,000,000 x 0.049 / 24 = 737,041.67; rounding each month gives 737,041.08
    assert result.total_interest == D("737041.08")
    assert result.total_interest < schedule(MILLION, RATE_490, 360, "equal_instalment", START).total_interest


# --- 120,000.00 over 12 months at 6 %: i = 0.005 a month, 120,000 x 0.06 / 360 = 20.00 a day

LOAN, RATE_6, SPRING = D("120000.00"), D("0.06"), date(2026, 3, 15)


def test_equal_instalment_120k():
    # 1.005^12 = 1.06167781; M = 120,000 x 0.005 x 1.06167781 / 0.06167781 = 637.00669 / 0.06167781 = 10,327.9716
    # -> 10,327.97. Each interest is the balance x 0.005: 110,272.03 x 0.005 = 551.36015 -> 551.36,
    # 100,495.42 -> 502.4771 -> 502.48, 90,669.93 -> 453.34965 -> 453.35, ..., 10,276.61 -> 51.38305 -> 51.38;
    # the last principal is the balance left, 10,276.61, so the last payment is 10,327.99
    result = schedule(LOAN, RATE_6, 12, "equal_instalment", SPRING)
    assert rows(result) == [
        (date(2026, 4, 15), "9727.97", "600.00", "10327.97", "110272.03"),
        (date(2026, 5, 15), "9776.61", "551.36", "10327.97", "100495.42"),
        (date(2026, 6, 15), "9825.49", "502.48", "10327.97", "90669.93"),
        (date(2026, 7, 15), "9874.62", "453.35", "10327.97", "80795.31"),
        (date(2026, 8, 15), "9923.99", "403.98", "10327.97", "70871.32"),
        (date(2026, 9, 15), "9973.61", "354.36", "10327.97", "60897.71"),
        (date(2026, 10, 15), "10023.48", "304.49", "10327.97", "50874.23"),
        (date(2026, 11, 15), "10073.60", "254.37", "10327.97", "40800.63"),
        (date(2026, 12, 15), "10123.97", "204.00", "10327.97", "30676.66"),
        (date(2027, 1, 15), "10174.59", "153.38", "10327.97", "20502.07"),
        (date(2027, 2, 15), "10225.46", "102.51", "10327.97", "10276.61"),
        (date(2027, 3, 15), "10276.61", "51.38", "10327.99", "0.00"),
    ]
    # 11 x 10,327.97 + 10,327.99 = 123,935.66
    assert (result.total_interest, result.total_payment) == (D("3935.66"), D("123935.66"))


def test_equal_principal_120k():
    # 10,000.00 a month; interest 0.005 x 120,000, 110,000, ..., 10,000 = 600, 550, ..., 50; total 0.005 x
    # 780,000 = 3,900.00
    result = schedule(LOAN, RATE_6, 12, "equal_principal", SPRING)
    assert [i.principal for i in result.instalments] == [D("10000.00")] * 12
    assert [i.interest for i in result.instalments] == [D(600 - 50 * k) for k in range(12)]
    assert [i.payment for i in result.instalments][:3] == [D("10600.00"), D("10550.00"), D("10500.00")]
    assert [i.balance for i in result.instalments][-2:] == [D("10000.00"), D("0.00")]
    assert (result.total_interest, result.total_payment) == (D("3900.00"), D("123900.00"))


def test_monthly_interest_bullet_120k():
    # 120,000 x 0.005 = 600.00 every month, the principal with the twelfth: 12 x 600 = 7,200.00
    result = schedule(LOAN, RATE_6, 12, "monthly_interest_bullet", SPRING)
    assert rows(result)[0] == (date(2026, 4, 15), "0.00", "600.00", "600.00", "120000.00")
    assert rows(result)[10] == (date(2027, 2, 15), "0.00", "600.00", "600.00", "120000.00")
    assert rows(result)[11] == (date(2027, 3, 15), "120000.00", "600.00", "120600.00", "0.00")
    assert (result.total_interest, result.total_payment) == (D("7200.00"), D("127200.00"))


def test_quarterly_interest_bullet_120k():
    # 20.00 a day: 15 Mar -> 15 Jun 92 days 1,840.00; -> 15 Sep 92 days 1,840.00; -> 15 Dec 91 days 1,820.00;
    # -> 15 Mar 2027 90 days 1,800.00; 365 days in all, 7,300.00
    result = schedule(LOAN, RATE_6, 12, "quarterly_interest_bullet", SPRING)
    assert rows(result) == [
        (date(2026, 6, 15), "0.00", "1840.00", "1840.00", "120000.00"),
        (date(2026, 9, 15), "0.00", "1840.00", "1840.00", "120000.00"),
        (date(2026, 12, 15), "0.00", "1820.00", "1820.00", "120000.00"),
        (date(2027, 3, 15), "120000.00", "1800.00", "121800.00", "0.00"),
    ]
    assert (result.total_interest, result.total_payment) == (D("7300.00"), D("127300.00"))


def test_lump_sum_120k():
    # 15 Mar 2026 -> 15 Mar 2027: 365 days x 20.00 = 7,300.00 (not 12 x 600.00: a year is 365/360 of the basis)
    result = schedule(LOAN, RATE_6, 12, "lump_sum", SPRING)
    assert rows(result) == [(date(2027, 3, 15), "120000.00", "7300.00", "127300.00", "0.00")]
    assert (result.total_interest, result.total_payment) == (D("7300.00"), D("127300.00"))


# --- due dates

def test_due_dates_at_the_end_of_the_month_count_from_the_start():
    # 31 Jan: 28 Feb, then 31 Mar (not 28 Mar, as chaining from 28 Feb would give), 30 Apr, 31 May, ...
    assert due_dates(date(2026, 1, 31), 12, "equal_principal") == (
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30),
        date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30),
        date(2026, 12, 31), date(2027, 1, 31))
    # a leap year: 29 Feb 2028
    assert due_dates(date(2028, 1, 31), 3, "equal_instalment") == (
        date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30))
    assert due_dates(date(2027, 11, 30), 3, "monthly_interest_bullet")[-1] == date(2028, 2, 29)
    # quarterly from 31 Aug: 30 Nov, 28 Feb, then 31 May (chaining would give 28 May)
    assert due_dates(date(2026, 8, 31), 9, "quarterly_interest_bullet") == (
        date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 31))
    # a schedule uses them
    assert [i.due_date for i in schedule(LOAN, RATE_6, 3, "equal_instalment", date(2026, 1, 31)).instalments] == [
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_due_dates_of_each_method():
    start = date(2026, 1, 15)
    assert len(due_dates(start, 12, "monthly_interest_bullet")) == 12
    assert due_dates(start, 7, "quarterly_interest_bullet") == (date(2026, 4, 15), date(2026, 7, 15),
                                                                 date(2026, 8, 15))
    assert due_dates(start, 2, "quarterly_interest_bullet") == (date(2026, 3, 15),)  # a term under a quarter
    assert due_dates(start, 6, "quarterly_interest_bullet") == (date(2026, 4, 15), date(2026, 7, 15))
    assert due_dates(start, 18, "lump_sum") == (date(2027, 7, 15),)


def test_maturity():
    assert maturity(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert maturity(date(2026, 1, 31), 25) == date(2028, 2, 29)
    assert maturity(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert maturity(date(2026, 12, 15), 360) == date(2056, 12, 15)
    assert maturity(date(2026, 5, 31), 600) == date(2076, 5, 31)


# --- interest by actual days

def test_quarterly_with_a_seven_month_term():
    # 100,000.00 at 4.35 %: 100,000 x 0.0435 / 360 = 12.08333 a day. From 31 Jan 2026 the periods are 3, 3 and 1
    # months: -> 30 Apr 89 days, 1,075.4167 -> 1,075.42; -> 31 Jul 92 days, 1,111.6667 -> 1,111.67; -> 31 Aug
    # (maturity) 31 days, 374.5833 -> 374.58; principal with the last
    result = schedule(D("100000.00"), D("0.0435"), 7, "quarterly_interest_bullet", date(2026, 1, 31))
    assert rows(result) == [
        (date(2026, 4, 30), "0.00", "1075.42", "1075.42", "100000.00"),
        (date(2026, 7, 31), "0.00", "1111.67", "1111.67", "100000.00"),
        (date(2026, 8, 31), "100000.00", "374.58", "100374.58", "0.00"),
    ]
    assert result.total_interest == D("2561.67")


def test_lump_sum_by_actual_days():
    # 100,000.00 at 4.35 % from 31 Jan to 31 Aug 2026: 212 days x 12.08333 = 2,561.6667 -> 2,561.67
    result = schedule(D("100000.00"), D("0.0435"), 7, "lump_sum", date(2026, 1, 31))
    assert rows(result) == [(date(2026, 8, 31), "100000.00", "2561.67", "102561.67", "0.00")]
    # 50,000.00 at 3.6 % is 5.00 a day; six months from 30 Nov: 181 days to 30 May 2027, 182 over 29 Feb 2028
    assert schedule(D("50000.00"), D("0.036"), 6, "lump_sum", date(2026, 11, 30)).total_interest == D("905.00")
    assert schedule(D("50000.00"), D("0.036"), 6, "lump_sum", date(2027, 11, 30)).total_interest == D("910.00")


def test_monthly_methods_charge_a_twelfth_whatever_the_days():
    # February (28 days) and March (31 days) both charge 120,000 x 0.06 / 12 = 600.00
    result = schedule(LOAN, RATE_6, 2, "monthly_interest_bullet", date(2026, 1, 31))
    assert [i.interest for i in result.instalments] == [D("600.00"), D("600.00")]


# --- rounding

def test_an_exact_half_fen_rounds_up_through_an_unending_rate():
    # 6.00 x 0.01 / 12 = 0.005 exactly, though 0.01 / 12 = 0.000833... never ends: 0.01 (half-even: 0.00)
    assert schedule(D("6.00"), D("0.01"), 2, "monthly_interest_bullet", START).instalments[0].interest == D("0.01")
    # 150.00 x 0.01 x 30 / 360 = 0.125 (April has 30 days), 0.01 / 360 never ends: 0.13 (half-even: 0.12)
    assert schedule(D("150.00"), D("0.01"), 1, "lump_sum", date(2026, 4, 1)).total_interest == D("0.13")
    # one month of equal instalment: M = 6.00 x 1.000833... = 6.005 -> 6.01
    assert schedule(D("6.00"), D("0.01"), 1, "equal_instalment", START).instalments[0].payment == D("6.01")


def test_the_callers_decimal_context_changes_nothing():
    expected = schedule(MILLION, RATE_490, 360, "equal_instalment", START)
    with localcontext() as ctx:
        ctx.prec = 4
        assert schedule(MILLION, RATE_490, 360, "equal_instalment", START) == expected


def test_zero_rate():
    # 1,000.00 / 3 = 333.333 -> 333.33 twice, the last 333.34; no interest
    for method in ("equal_instalment", "equal_principal"):
        result = schedule(D("1000.00"), D("0"), 3, method, START)
        assert [i.payment for i in result.instalments] == [D("333.33"), D("333.33"), D("333.34")]
        assert result.total_interest == D("0.00") and result.total_payment == D("1000.00")
    for method in ("monthly_interest_bullet", "quarterly_interest_bullet", "lump_sum"):
        result = schedule(D("1000.00"), 0, 3, method, START)
        assert rows(result)[-1] == (date(2027, 3, 15), "1000.00", "0.00", "1000.00", "0.00")
        assert result.total_payment == D("1000.00")


def test_a_tiny_loan_never_overpays_its_principal():
    # 0.03 over 5 months: 0.006 a month rounds to 0.01, which would repay 0.04 by the fourth month;
    # each principal stops at the balance instead
    for method in ("equal_instalment", "equal_principal"):
        result = schedule(D("0.03"), 0, 5, method, START)
        assert [str(i.principal) for i in result.instalments] == ["0.01", "0.01", "0.01", "0.00", "0.00"]
        assert [str(i.balance) for i in result.instalments] == ["0.02", "0.01", "0.00", "0.00", "0.00"]


# --- every bad input, named

@pytest.mark.parametrize("args, expected", [
    ((D("0"), RATE_6, 12, "lump_sum", START), {"principal": ["must be greater than 0"]}),
    ((D("-5.00"), RATE_6, 12, "lump_sum", START), {"principal": ["must be greater than 0"]}),
    ((D("100.001"), RATE_6, 12, "lump_sum", START), {"principal": ["at most 2 decimal places"]}),
    ((100.0, RATE_6, 12, "lump_sum", START), {"principal": ["must be a decimal number"]}),
    ((D("NaN"), D("1"), 12, "lump_sum", START), {"principal": ["must be a decimal number"],
                                                  "annual_rate": ["must be less than 1"]}),
    ((LOAN, D("-0.01"), 0, "lump_sum", START), {"annual_rate": ["must not be negative"],
                                                "term_months": ["must be between 1 and 600"]}),
    ((LOAN, RATE_6, 601, "lump_sum", START), {"term_months": ["must be between 1 and 600"]}),
    ((D("10000000000000000.00"), D("0.000000001"), D("12.5"), "lump_sum", START), {
        "principal": ["must be at most 9999999999999999.99"], "annual_rate": ["at most 8 decimal places"],
        "term_months": ["must be a whole number"]}),
    # absurd exponents are refused at once, never expanded into enormous integers
    ((D("1E+999999999"), D("1E-999999999"), D("1E+999999999"), "lump_sum", START), {
        "principal": ["must be at most 9999999999999999.99"], "annual_rate": ["at most 8 decimal places"],
        "term_months": ["must be between 1 and 600"]}),
    ((LOAN, RATE_6, 12.0, "lump_sum", START), {"term_months": ["must be a whole number"]}),
    ((LOAN, RATE_6, True, "lump_sum", START), {"term_months": ["must be a whole number"]}),
    ((LOAN, RATE_6, 12, "annuity", "2026-12-15"), {
        "method": ["unknown method; one of: " + ", ".join(METHODS)], "start_date": ["must be a date"]}),
    ((None, None, None, None, None), {name: ["required"] for name in (
        "principal", "annual_rate", "term_months", "method", "start_date")}),
    ((LOAN, RATE_6, 12, "lump_sum", date(9999, 6, 1)), {"term_months": ["maturity would fall after 9999-12-31"]}),
])
def test_errors_name_every_bad_input(args, expected):
    errors = errors_of(schedule, *args)
    assert errors == expected
    assert isinstance(InvalidInputs(errors), ValueError)


def test_whole_decimals_are_terms_and_the_end_of_the_calendar_is_reached():
    assert len(schedule(LOAN, RATE_6, D("12"), "equal_principal", START).instalments) == 12
    # trailing zeros are no places: 120,000.000 at 6.000000000 % is the 120,000.00 loan at 6 %
    assert schedule(D("120000.000"), D("0.06000000000"), D("1.0"), "lump_sum", SPRING) == \
        schedule(LOAN, RATE_6, 1, "lump_sum", SPRING)
    # the largest loan: 9,999,999,999,999,999.99 x 0.99999999 x 31 days / 360 = 861,111,102,499,999.9991
    biggest = schedule(D("9999999999999999.99"), D("0.99999999"), 1, "lump_sum", SPRING)
    assert (biggest.total_interest, biggest.total_payment) == (D("861111102500000.00"), D("10861111102499999.99"))
    assert maturity(date(9999, 6, 30), 6) == date(9999, 12, 30)
    assert errors_of(due_dates, date(2026, 1, 1), 0, "swap") == {
        "term_months": ["must be between 1 and 600"], "method": ["unknown method; one of: " + ", ".join(METHODS)]}
    assert errors_of(maturity, None, 12) == {"start_date": ["required"]}


# --- properties

amounts = st.decimals(min_value=D("0.01"), max_value=D("100000000.00"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.36"), places=8)
terms = st.integers(1, MAX_TERM_MONTHS)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
methods = st.sampled_from(METHODS)
COUNT = {"equal_instalment": lambda n: n, "equal_principal": lambda n: n, "monthly_interest_bullet": lambda n: n,
         "quarterly_interest_bullet": lambda n: -(-n // 3), "lump_sum": lambda n: 1}


@given(amounts, rates, terms, methods, starts)
def test_every_schedule_adds_up(principal, rate, term, method, start):
    result = schedule(principal, rate, term, method, start)
    instalments = result.instalments
    assert len(instalments) == COUNT[method](term)
    assert [i.number for i in instalments] == list(range(1, len(instalments) + 1))
    assert sum(i.principal for i in instalments) == principal  # exactly
    balance = principal
    for i in instalments:
        balance -= i.principal
        assert i.balance == balance >= 0 and i.principal >= 0 and i.interest >= 0
        assert i.payment == i.principal + i.interest
        assert all(x.as_tuple().exponent == -2 for x in (i.principal, i.interest, i.payment, i.balance))
    assert instalments[-1].balance == 0
    assert result.total_interest == sum(i.interest for i in instalments)
    assert result.total_payment == principal + result.total_interest
    assert all(x.as_tuple().exponent == -2 for x in (result.total_interest, result.total_payment))


@given(terms, methods, starts)
def test_due_dates_run_from_the_start_to_maturity(term, method, start):
    dates = due_dates(start, term, method)
    assert len(dates) == COUNT[method](term)
    assert list(dates) == sorted(set(dates)) and dates[0] > start and dates[-1] == maturity(start, term)
    step = 1 if method in ("equal_instalment", "equal_principal", "monthly_interest_bullet") else 3
    months = [*range(step, term, step), term] if method != "lump_sum" else [term]
    for k, due in zip(months, dates):  # k months from the start, on its day or the last of a shorter month
        assert (due.year - start.year) * 12 + due.month - start.month == k
        assert due.day == min(start.day, calendar.monthrange(due.year, due.month)[1])


@given(amounts, rates.filter(lambda r: r > 0), terms, starts)
def test_equal_instalment_pays_m_until_the_last(principal, rate, term, start):
    instalments = schedule(principal, rate, term, "equal_instalment", start).instalments
    m = instalments[0].payment
    # every payment is M but the last, which takes the residue; a loan too small to absorb M's rounding stops
    # repaying early (its balance is nil) rather than overpay
    assert all(i.payment == m or i.balance == 0 for i in instalments[:-1])


@given(amounts, rates.filter(lambda r: r > 0), st.integers(2, MAX_TERM_MONTHS), starts)
def test_equal_principal_costs_less_interest_than_equal_instalments(principal, rate, term, start):
    """Equal principal repays faster, so it pays less interest on the same terms. Each instalment's interest is
    rounded to the fen (at most half a fen off, 2 x term half-fen in all), which can hide a difference
    smaller than that; beyond it the order is strict."""
    principal_first = schedule(principal, rate, term, "equal_principal", start).total_interest
    instalments = schedule(principal, rate, term, "equal_instalment", start).total_interest
    assert principal_first <= instalments + term * D("0.01")
    if principal >= 100_000 and rate >= D("0.01") and term >= 12:
        assert principal_first < instalments


# --- the API edge

def load(text: str) -> dict:
    return ScheduleIn().load(json.loads(text, parse_float=Decimal))  # as the API's parser reads a body


def test_the_request_schema_reads_strings_and_json_numbers():
    expected = {"principal": D("1000000.00"), "annual_rate": D("0.049"), "term_months": 360,
                "method": "equal_instalment", "start_date": START}
    assert load('{"principal": "1000000.00", "annual_rate": "0.049", "term_months": 360,'
                ' "method": "equal_instalment", "start_date": "2026-12-15"}') == expected
    assert load('{"principal": 1000000, "annual_rate": 0.049, "term_months": 360,'
                ' "method": "equal_instalment", "start_date": "2026-12-15"}') == expected


def test_the_request_schema_refuses_bad_types():
    with pytest.raises(ValidationError) as caught:
        ScheduleIn().load({"principal": "1.001", "annual_rate": "1.5", "term_months": "12", "method": "annuity",
                           "start_date": "15/12/2026", "extra": 1})
    assert set(caught.value.messages) == {"principal", "annual_rate", "term_months", "method", "start_date", "extra"}


def test_the_response_schema_sends_amounts_as_strings():
    body = ScheduleSchema().dump(schedule(D("1000.00"), D("0.06"), 2, "equal_principal", date(2026, 1, 31)))
    # 500.00 a month; interest 1,000 x 0.005 = 5.00, then 500 x 0.005 = 2.50
    assert body == {
        "instalments": [
            {"number": 1, "due_date": "2026-02-28", "principal": "500.00", "interest": "5.00", "payment": "505.00",
             "balance": "500.00"},
            {"number": 2, "due_date": "2026-03-31", "principal": "500.00", "interest": "2.50", "payment": "502.50",
             "balance": "0.00"}],
        "total_interest": "7.50", "total_payment": "1007.50"}


@pytest.fixture(scope="module")
def preview_app():
    """The blueprint on an app of its own (the platform's app registers it under /api/v1), with the platform's
    error handlers; the caller is whoever the test puts in `app.caller`."""
    app = Flask(__name__)
    app.config.update(API_TITLE="FinPlat", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
                      SQLALCHEMY_DATABASE_URI="sqlite://")  # the error handlers roll the session back
    db.init_app(app)
    FinPlatApi(app).register_blueprint(blp, url_prefix="/api/v1")
    error_handlers.register(app)
    app.caller = None

    @app.before_request
    def _caller():
        g.actor = app.caller
    yield app
    with app.app_context():
        db.engine.dispose()


def post(app, role, body):
    app.caller = role and SimpleNamespace(role=role, is_admin=role == "admin")
    return app.test_client().post("/api/v1/loans/schedule-preview", json=body)


JOURNEY = {"principal": "1000000.00", "annual_rate": "0.049", "term_months": 360, "method": "equal_instalment",
           "start_date": "2026-12-15"}


def test_preview_route_gives_the_journey_figure(preview_app):
    resp = post(preview_app, "loan_officer", JOURNEY)
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert len(got["instalments"]) == 360
    assert got["instalments"][0] == {"number": 1, "due_date": "2027-01-15", "principal": "1223.94",
                                     "interest": "4083.33", "payment": "5307.27", "balance": "998776.06"}
    assert (got["total_interest"], got["total_payment"]) == ("910615.12", "1910615.12")


def test_preview_route_errors_and_roles(preview_app):
    resp = post(preview_app, "guarantor", {**JOURNEY, "principal": "0", "annual_rate": "1", "term_months": 601})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"principal": ["must be greater than 0"],
                                                  "annual_rate": ["must be less than 1"],
                                                  "term_months": ["must be between 1 and 600"]}
    resp = post(preview_app, "bank_manager", {**JOURNEY, "method": "annuity"})
    assert resp.status_code == 422 and "method" in resp.get_json()["error"]["fields"]
    # the role is checked before the body: a farmer gets 403 and an unknown caller 401, whatever was sent
    assert post(preview_app, "farmer", {}).status_code == 403
    assert post(preview_app, None, JOURNEY).status_code == 401
    assert post(preview_app, "admin", JOURNEY).status_code == 200
