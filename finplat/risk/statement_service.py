"""Statements of a risk compensation fund over a period of business dates (DESIGN.md §3.5): the opening
balance of its cash account (at the close of the day before `start`), every movement booked from `start`
to `end` with what it was, the totals in and out by category and the closing balance.

A movement's category comes from the other side of its double entry, not from the transaction's kind: cash
against capital is a contribution (budget or other money), against interest the deposit's interest,
against payouts an advance on a claim, against recoveries money recovered on a claim paid. A reversal
therefore lands in the category of what it reverses, as an amount the other way.

Amounts are summed as whole fen in SQL (an integer sum), so that SQLite, which keeps NUMERIC values as
binary floats, gives the same exact figures as PostgreSQL; the running balance and the totals are plain
Decimal arithmetic in `tally`, so that opening + ins - outs == closing holds to the fen by construction.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, and_, cast, func, or_, select
from sqlalchemy.orm import aliased

from finplat import cob
from finplat.auth.models import Institution
from finplat.errors import field_error
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.ledger.models import LedgerAccount, LedgerPosting, LedgerTransaction
from finplat.risk import fund_service
from finplat.risk.models import Claim, FundContribution

ZERO = Decimal("0.00")
MAX_YEARS = 5
CATEGORIES = ("contributions", "interest", "payouts", "recoveries", "other")
# the fund account on the other side of a cash movement -> (category, kind of movement)
PART_OF = {"capital": ("contributions", "contribution"), "interest": ("interest", "contribution"),
           "payouts": ("payouts", "payout"), "recoveries": ("recoveries", "recovery")}


@dataclass(frozen=True)
class Movement:
    """One cash movement as `tally` needs it: its category and its signed amount (into the fund > 0)."""
    category: str
    amount: Decimal


def tally(opening: Decimal, movements: list[Movement]) -> tuple[list[Decimal], dict]:
    """The balance after each movement and the totals: in and out per category, in and out overall, and the
    closing balance (opening + in - out). Pure: no database, no rounding (the amounts are whole fen)."""
    balance, after = opening, []
    by_category = {category: {"in": ZERO, "out": ZERO} for category in CATEGORIES}
    for movement in movements:
        balance += movement.amount
        after.append(balance)
        side = "in" if movement.amount > 0 else "out"
        by_category[movement.category][side] += abs(movement.amount)
    total_in = sum((c["in"] for c in by_category.values()), ZERO)
    total_out = sum((c["out"] for c in by_category.values()), ZERO)
    return after, {"by_category": by_category, "in": total_in, "out": total_out,
                   "closing": opening + total_in - total_out}


def years_after(day: date, years: int) -> date:
    """The same calendar date `years` later (29 February falls on 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for, month to date of the open business date by default. A statement ends no later
    than the open date (nothing is booked after it) and spans at most five years; errors name the API's
    parameter, `from` or `to`."""
    today = cob.open_date()
    end = end or today
    start = start or end.replace(day=1)
    if start > today:
        raise field_error("from", f"is after the open business date, {today}")
    if end > today:
        raise field_error("to", f"is after the open business date, {today}")
    if end < start:
        raise field_error("to", f"is before from, {start}")
    if end > years_after(start, MAX_YEARS):
        raise field_error("to", f"a statement covers at most {MAX_YEARS} years: from {start} to "
                                f"{years_after(start, MAX_YEARS)} at the latest")
    return start, end


def _fen(column):
    """`column` (yuan, two decimals) as an integer number of fen, exact on both databases."""
    return cast(func.round(column * 100), BigInteger)


def _yuan(fen) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


def statement(actor, fund_id: int, start: date | None = None, end: date | None = None) -> dict:
    """The fund's statement from `start` to `end` (business dates, both included), for those who may see
    the fund (a 404 for anyone else)."""
    fund = fund_service.get_fund(actor, fund_id)
    start, end = period(start, end)
    cash = ledger.find_fund_account(fund.administrator_id, fund.id, "cash")
    opening = ZERO
    rows = []
    if cash is not None:
        opening = _yuan(db.session.execute(
            select(func.sum(_fen(LedgerPosting.amount))).join(LedgerTransaction)
            .where(LedgerPosting.account_id == cash.id, LedgerTransaction.business_date < start)).scalar_one())
        rows = db.session.execute(_movements(fund, cash.id, start, end)).all()
    prefix = f"fund{fund.id}_"
    kinds = [PART_OF.get((row.counter or "").removeprefix(prefix), ("other", "other")) for row in rows]
    after, totals = tally(opening, [Movement(category, _yuan(row.fen)) for row, (category, _) in zip(rows, kinds)])
    lines = []
    for row, (category, kind), balance in zip(rows, kinds, after):
        amount = _yuan(row.fen)
        lines.append({"transaction_id": row.id, "booked_on": row.booked_on, "kind": kind, "category": category,
                      "source": row.source if kind == "contribution" else None,
                      "claim_id": row.claim_id if kind in ("payout", "recovery") else None, "loan_id": row.loan_id,
                      "memo": row.memo, "amount_in": amount if amount > 0 else ZERO,
                      "amount_out": -amount if amount < 0 else ZERO, "balance": balance})
    administrator = db.session.get(Institution, fund.administrator_id)
    return {"fund": {"id": fund.id, "name": fund.name, "region_code": fund.region_code,
                     "program": fund.program.name, "administrator": administrator.name},
            "from": start, "to": end, "as_of": cob.open_date(), "opening_on": start - timedelta(days=1),
            "opening_balance": opening, "lines": lines,
            "totals": {**{category: totals["by_category"][category] for category in CATEGORIES},
                       "in": totals["in"], "out": totals["out"]},
            "closing_balance": totals["closing"]}


def _movements(fund, cash_id: int, start: date, end: date):
    """The cash postings booked from `start` to `end`, by business date and then as booked, each with the
    code of the account on the other side, the contribution's source and the claim it concerns."""
    other = aliased(LedgerPosting)
    counter = (select(func.min(LedgerAccount.code)).join(other, other.account_id == LedgerAccount.id)
               .where(other.transaction_id == LedgerPosting.transaction_id, other.account_id != cash_id)
               .correlate(LedgerPosting).scalar_subquery())
    # a payout names its claim; a recovery is on the loan whose claim on this fund was paid (one at most)
    claim = or_(Claim.payout_transaction_id == LedgerTransaction.id,
                and_(LedgerTransaction.kind == "fund_recovery", Claim.loan_id == LedgerTransaction.loan_id,
                     Claim.status == "paid"))
    return (select(LedgerTransaction.id, LedgerTransaction.business_date.label("booked_on"),
                   LedgerTransaction.loan_id, LedgerTransaction.memo, _fen(LedgerPosting.amount).label("fen"),
                   counter.label("counter"), FundContribution.source, Claim.id.label("claim_id"))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
            .outerjoin(FundContribution, FundContribution.transaction_id == LedgerTransaction.id)
            .outerjoin(Claim, and_(Claim.fund_id == fund.id, claim))
            .where(LedgerPosting.account_id == cash_id, LedgerTransaction.business_date >= start,
                   LedgerTransaction.business_date <= end)
            .order_by(LedgerTransaction.business_date, LedgerPosting.id))
