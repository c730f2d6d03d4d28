"""An equal-instalment (等额本息) schedule for the SAMPLE contracts only (`finplat contracts sample`, tests).
Real loans take their schedule from the loans domain's schedule module; nothing else should import this.

M = P r / (1 - (1 + r)^-n) with r = annual rate / 12, rounded half-up to the fen. Each period's interest is
the balance x r, rounded half-up to the fen, and its principal M minus that interest; the last instalment
takes the remaining balance as its principal, so that principal sums to P exactly. Due dates fall every
calendar month from the start date, on its last day in a month that lacks the day. Pure: no Flask.
"""
import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

FEN = Decimal("0.01")


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, or the last day of a month that lacks it."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def equal_instalment(principal: Decimal, annual_rate: Decimal, months: int, start: date) -> list[dict]:
    """Rows {number, due_date, principal, interest, payment, balance} (Decimals and dates)."""
    if principal <= 0 or months < 1 or annual_rate < 0:
        raise ValueError("a positive principal, a rate of 0 or more and at least one month")
    with localcontext() as ctx:
        ctx.prec = 50  # the derived monthly rate and the annuity factor at full precision; only money is rounded
        r = annual_rate / 12
        exact = principal / months if r == 0 else principal * r / (1 - (1 + r) ** -months)
        payment = exact.quantize(FEN, rounding=ROUND_HALF_UP)
        rows, balance = [], principal
        for number in range(1, months + 1):
            interest = (balance * r).quantize(FEN, rounding=ROUND_HALF_UP)
            part = balance if number == months else min(payment - interest, balance)
            balance -= part
            rows.append({"number": number, "due_date": add_months(start, number), "principal": part,
                         "interest": interest, "payment": part + interest, "balance": balance})
    return rows
