"""A partial prepayment's new schedule (DESIGN.md §3.4), as pure functions: no Flask, no database.

A prepayment on the open date `today` first pays everything due now, then the current period's interest on the
balance before it for the period's days through today (settled_interest), and the rest is principal. The loan
then runs from today on the remaining balance over its remaining due dates (the calendar never moves), as the
borrower chooses: `shorter_term` keeps the instalment (equal instalment) or the principal part (equal
principal) and ends sooner; `lower_instalment` keeps the maturity and lays the balance over every remaining
due date by the loan's method. A bullet method repays its principal at maturity whatever is prepaid, so it
offers only `lower_instalment` (lower interest, the same dates).

The first new period runs from today to the next due date and carries the days of the current period after
today: a monthly method charges balance x annual / 12 x the share of the period's days left, the quarterly
and lump-sum methods balance x annual / 360 x the days left, the schedule's own day counts; so each day of
the period is charged once, on the balance of that day. Later periods are whole, as in
finplat.loans.schedule, and the last due date takes the whole remaining balance.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from finplat.loans.schedule import DAYS_A_YEAR, MONTHLY_METHODS, MONTHS_A_YEAR, fen_to_yuan, round_fen

CHOICES = ("shorter_term", "lower_instalment")
BULLET_METHODS = ("monthly_interest_bullet", "quarterly_interest_bullet", "lump_sum")


@dataclass(frozen=True)
class Row:
    period_start: date
    due_date: date
    principal: Decimal
    interest: Decimal
    balance: Decimal  # principal outstanding after this instalment

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


def settled_interest(interest: Decimal, period_start: date, due_date: date, today: date) -> Decimal:
    """The part of a period's scheduled interest that falls on its days after period_start through today,
    rounded half-up as the close of business accrues it."""
    days, whole = (today - period_start).days, (due_date - period_start).days
    return fen_to_yuan(round_fen(Fraction(interest) * 100 * days / whole))


def choice_error(choice: str | None, method: str) -> str | None:
    """Why `choice` is not offered for a loan repaid by `method`, or None."""
    if choice not in CHOICES:
        return f"choose {' or '.join(CHOICES)}"
    if choice == "shorter_term" and method in BULLET_METHODS:
        return f"a {method} loan repays its principal at maturity: only lower_instalment is offered"
    return None


def _annuity(balance: int, monthly: Fraction, count: int) -> int:
    if monthly == 0:
        return round_fen(Fraction(balance, count))
    growth = (1 + monthly) ** count
    return round_fen(balance * monthly * growth / (growth - 1))


def regenerate(balance: Decimal, annual_rate: Decimal, method: str, today: date, period_start: date,
               due_dates: tuple, choice: str, keep: Decimal | None = None) -> list[Row]:
    """The instalments from `today` of a loan with `balance` left after the prepayment, whose current
    calendar period (due date to due date, whatever an earlier prepayment cut) began on `period_start`, over
    its remaining `due_dates` (all after today). For `shorter_term`, `keep` is the instalment to keep (equal
    instalment) or its principal part (equal principal). A lower instalment needs at least a fen of balance
    for each instalment left."""
    error = choice_error(choice, method)
    if error:
        raise ValueError(error)
    if not due_dates or due_dates[0] <= today or period_start > today or balance <= 0:
        raise ValueError("a prepayment leaves a balance over due dates after today")
    left, rate, count = int(Fraction(balance) * 100), Fraction(annual_rate), len(due_dates)
    monthly = rate / MONTHS_A_YEAR
    shorter = choice == "shorter_term"
    if not shorter and left < count:
        raise ValueError(f"the {balance} left is less than a fen for each of the {count} instalments left: "
                         f"pay the loan off instead")
    if method == "equal_instalment":
        level = int(Fraction(keep) * 100) if shorter else _annuity(left, monthly, count)
    elif method == "equal_principal":
        level = int(Fraction(keep) * 100) if shorter else round_fen(Fraction(left, count))
    rows, start, whole_start = [], today, period_start
    for number, due in enumerate(due_dates, start=1):
        if method in MONTHLY_METHODS:
            interest = round_fen(left * monthly * Fraction((due - start).days, (due - whole_start).days))
        else:
            interest = round_fen(left * rate * (due - start).days / DAYS_A_YEAR)
        if number == count:
            part = left
        elif method == "equal_instalment":
            if level <= interest:
                raise ValueError(f"an instalment of {fen_to_yuan(level)} does not cover the interest")
            part = min(level - interest, left)
        elif method == "equal_principal":
            part = min(level, left)
        else:  # bullets: principal at maturity
            part = 0
        left -= part
        rows.append(Row(start, due, fen_to_yuan(part), fen_to_yuan(interest), fen_to_yuan(left)))
        if left == 0:
            break
        start = whole_start = due
    return rows
