"""Repayment schedules (DESIGN.md §3.4) as pure functions: no Flask, no database.

schedule(principal, annual_rate, term_months, method, start_date) lays out every instalment of a loan disbursed
on start_date: its due date, principal, interest, payment (principal + interest) and the balance left after it.

Due dates. The k-th monthly due date is start + k calendar months, always counted from the start date (never
chained from the previous due date), on the month's last day when the month lacks the start's day: a loan of
31 January falls due on 28 February (29 in a leap year), 31 March, 30 April. Quarterly due dates are start +
3k months, and the last one is maturity (start + term months), a shorter period when the term is not a
multiple of three. A lump sum falls due once, at maturity.

Interest. The monthly methods (equal instalment, equal principal, monthly interest) charge balance x annual /
12 a period, whatever its number of days; the quarterly and lump-sum methods charge balance x annual / 360 x
the actual days of the period.

Rounding. Figures are exact rationals until they become money: the derived monthly and daily rates and
(1 + i)^n are never rounded, and each amount is rounded once from its exact value, half-up to the fen (so no
exact half fen is lost to an inexact quotient, and no caller's decimal context changes a figure). Each
instalment's interest and principal are rounded; equal instalment rounds M = P i (1+i)^n / ((1+i)^n - 1) and
takes interest = round(balance x i), principal = M - interest; equal principal rounds P / n. The last
instalment takes the whole remaining balance as its principal, so that principal sums to the loan exactly
(its payment may then differ from M), and no earlier principal exceeds the balance (a tiny loan's rounded-up
share would), so no balance is ever negative.

Inputs: a principal in yuan (Decimal or int) above 0, to the fen, within NUMERIC(18,2); an annual rate
(Decimal or int, 0.049 is 4.9 %) from 0 to below 1, with at most 8 decimals as rates are recorded; a term of 1
to 600 months; a method of METHODS; a start date whose maturity the calendar holds. Bad inputs raise
InvalidInputs (a ValueError), which names every bad input at once ({input: [message]}).
"""
import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

METHODS = ("equal_instalment", "equal_principal", "monthly_interest_bullet", "quarterly_interest_bullet",
           "lump_sum")
MONTHLY_METHODS = METHODS[:3]
MAX_TERM_MONTHS = 600
MAX_PRINCIPAL = Decimal("9999999999999999.99")  # amounts are recorded as NUMERIC(18,2)
RATE_PLACES = 8  # rates are recorded as NUMERIC(12,8)
MONTHS_A_YEAR = 12
DAYS_A_YEAR = 360  # the day count of the quarterly and lump-sum methods: actual days / 360
QUARTER = 3


@dataclass(frozen=True)
class Instalment:
    number: int  # 1, 2, ...
    due_date: date
    principal: Decimal  # fen
    interest: Decimal  # fen
    payment: Decimal  # principal + interest
    balance: Decimal  # principal outstanding after this instalment


@dataclass(frozen=True)
class Schedule:
    instalments: tuple  # of Instalment, in due-date order
    total_interest: Decimal
    total_payment: Decimal  # the principal + total_interest


class InvalidInputs(ValueError):
    """Every bad input at once: errors is {input name: [message, ...]}."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


# --- input checks: each returns a message, or None when the input is fine

def _places(value) -> int:
    """The decimal places `value` (int or finite Decimal) needs: 1.50 needs 1, 1E+3 none. Exact and cheap
    whatever the exponent (no conversion to an integer or a fraction)."""
    _, digits, exponent = Decimal(value).as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    return max(0, -(exponent + len(digits) - len(significant))) if significant else 0


def _number_error(value):
    if value is None:
        return "required"
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not Decimal(value).is_finite():
        return "must be a decimal number"  # floats too: never near money
    return None


def _principal_error(principal):
    error = _number_error(principal)
    if error:
        return error
    if principal <= 0:
        return "must be greater than 0"
    if principal > MAX_PRINCIPAL:
        return f"must be at most {MAX_PRINCIPAL}"
    return None if _places(principal) <= 2 else "at most 2 decimal places"


def _rate_error(annual_rate):
    error = _number_error(annual_rate)
    if error:
        return error
    if annual_rate < 0:
        return "must not be negative"
    if annual_rate >= 1:
        return "must be less than 1"
    return None if _places(annual_rate) <= RATE_PLACES else f"at most {RATE_PLACES} decimal places"


def _term_error(term_months):
    if term_months is None:
        return "required"
    if isinstance(term_months, bool) or not isinstance(term_months, (int, Decimal)) or \
            not Decimal(term_months).is_finite() or _places(term_months):
        return "must be a whole number"
    return None if 1 <= term_months <= MAX_TERM_MONTHS else f"must be between 1 and {MAX_TERM_MONTHS}"


def _method_error(method):
    if method is None:
        return "required"
    return None if isinstance(method, str) and method in METHODS else f"unknown method; one of: {', '.join(METHODS)}"


def _date_error(start_date):
    if start_date is None:
        return "required"
    return None if isinstance(start_date, date) and not isinstance(start_date, datetime) else "must be a date"


def _dates_errors(start, term_months) -> dict:
    """The start date's and the term's messages; maturity past the calendar's end is the term's error."""
    messages = {"start_date": _date_error(start), "term_months": _term_error(term_months)}
    if not any(messages.values()) and \
            (start.year * MONTHS_A_YEAR + start.month - 1 + int(term_months)) // MONTHS_A_YEAR > date.max.year:
        messages["term_months"] = f"maturity would fall after {date.max.isoformat()}"
    return messages


def _raise_if(messages: dict) -> None:
    errors = {name: [message] for name, message in messages.items() if message}
    if errors:
        raise InvalidInputs(errors)


# --- dates

def _add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, or the last day of a month that lacks it."""
    index = start.month - 1 + months
    year, month = start.year + index // MONTHS_A_YEAR, index % MONTHS_A_YEAR + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def maturity(start: date, term_months: int) -> date:
    """start + term_months calendar months (the month's last day when it lacks the start's day)."""
    _raise_if(_dates_errors(start, term_months))
    return _add_months(start, int(term_months))


def _due_dates(start: date, term: int, method: str) -> tuple:
    if method in MONTHLY_METHODS:
        months = range(1, term + 1)
    elif method == "quarterly_interest_bullet":
        months = [*range(QUARTER, term, QUARTER), term]  # every three months, then maturity
    else:  # lump_sum
        months = [term]
    return tuple(_add_months(start, k) for k in months)  # each from the start, never from the previous due date


def due_dates(start: date, term_months: int, method: str) -> tuple:
    """The due dates of `method`'s instalments for a loan disbursed on `start`: every month, every three
    months (then maturity), or maturity alone."""
    _raise_if({**_dates_errors(start, term_months), "method": _method_error(method)})
    return _due_dates(start, int(term_months), method)


# --- money: whole fen (int), exact rationals until rounded

def round_fen(amount: Fraction) -> int:
    """An exact amount of fen rounded half-up (away from zero) to a whole fen."""
    whole = math.floor(abs(amount) + Fraction(1, 2))
    return whole if amount >= 0 else -whole


def fen_to_yuan(fen: int) -> Decimal:
    return Decimal(f"{fen}E-2")  # exact, whatever the decimal context


def _equal_instalment(principal: int, rate: Fraction, dates: tuple) -> list:
    n = len(dates)
    monthly = rate / MONTHS_A_YEAR  # i, never rounded
    if monthly == 0:
        payment = round_fen(Fraction(principal, n))
    else:
        growth = (1 + monthly) ** n  # (1 + i)^n, exact
        payment = round_fen(principal * monthly * growth / (growth - 1))
    rows, balance = [], principal
    for number in range(1, n + 1):
        interest = round_fen(balance * monthly)
        # M > P i >= balance x i exactly, and rounding keeps the order: M - interest is never negative.
        part = balance if number == n else min(payment - interest, balance)
        balance -= part
        rows.append((part, interest))
    return rows


def _equal_principal(principal: int, rate: Fraction, dates: tuple) -> list:
    n = len(dates)
    share, monthly = round_fen(Fraction(principal, n)), rate / MONTHS_A_YEAR
    rows, balance = [], principal
    for number in range(1, n + 1):
        interest = round_fen(balance * monthly)
        part = balance if number == n else min(share, balance)
        balance -= part
        rows.append((part, interest))
    return rows


def _monthly_interest_bullet(principal: int, rate: Fraction, dates: tuple) -> list:
    interest = round_fen(principal * rate / MONTHS_A_YEAR)
    return [(0, interest)] * (len(dates) - 1) + [(principal, interest)]


def _by_actual_days(principal: int, rate: Fraction, dates: tuple, start: date) -> list:
    """Quarterly interest and lump sum: the balance (the whole principal until maturity) x annual / 360 x the
    actual days since the previous due date (the start date for the first)."""
    rows, previous = [], start
    for number, due in enumerate(dates, start=1):
        interest = round_fen(principal * rate * (due - previous).days / DAYS_A_YEAR)
        rows.append((principal if number == len(dates) else 0, interest))
        previous = due
    return rows


def schedule(principal, annual_rate, term_months, method, start_date) -> Schedule:
    """The repayment schedule of a loan of `principal` yuan (Decimal, to the fen) at `annual_rate` (Decimal,
    0.049 is 4.9 %) over `term_months` months, repaid by `method` (one of METHODS), disbursed on `start_date`."""
    _raise_if({"principal": _principal_error(principal), "annual_rate": _rate_error(annual_rate),
               **_dates_errors(start_date, term_months), "method": _method_error(method)})
    amount, rate = int(Fraction(principal) * 100), Fraction(annual_rate)
    dates = _due_dates(start_date, int(term_months), method)
    if method == "equal_instalment":
        rows = _equal_instalment(amount, rate, dates)
    elif method == "equal_principal":
        rows = _equal_principal(amount, rate, dates)
    elif method == "monthly_interest_bullet":
        rows = _monthly_interest_bullet(amount, rate, dates)
    else:  # quarterly_interest_bullet, lump_sum
        rows = _by_actual_days(amount, rate, dates, start_date)
    instalments, balance = [], amount
    for number, (due, (part, interest)) in enumerate(zip(dates, rows), start=1):
        balance -= part
        instalments.append(Instalment(number, due, fen_to_yuan(part), fen_to_yuan(interest), fen_to_yuan(part + interest),
                                      fen_to_yuan(balance)))
    total_interest = sum(interest for _, interest in rows)
    return Schedule(tuple(instalments), fen_to_yuan(total_interest), fen_to_yuan(amount + total_interest))
