"""The risk domain's close-of-business step (DESIGN.md §3.5), set-based like the loans' steps.

- risk.guarantee_fees (after the loans' steps): each active guarantee of an active loan accrues its annual fee
  on the guaranteed balance, principal outstanding x coverage x fee rate / 360 a day, rounded half-up to the
  fen; booked per agency (Dr guarantee_fee_receivable, Cr guarantee_fee_income of the agency). Guarded by
  `fee_through`, so a date closed again accrues nothing.
"""
from datetime import date

from sqlalchemy import and_, func, literal, or_, select, update

from finplat import cob
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.loans.models import Loan
from finplat.money import to_fen
from finplat.risk.models import Guarantee

DAYS_A_YEAR = 360

guarantees, loans = Guarantee.__table__, Loan.__table__


@cob.cob_step("risk.guarantee_fees", order=220)
def accrue_fees(day: date) -> dict:
    daily = func.round(loans.c.principal_outstanding * guarantees.c.coverage * guarantees.c.fee_rate / DAYS_A_YEAR, 2)
    due = and_(guarantees.c.loan_id == loans.c.id, guarantees.c.status == "active", loans.c.status == "active",
               or_(guarantees.c.fee_through.is_(None), guarantees.c.fee_through < literal(day)))
    amounts = db.session.execute(select(guarantees.c.agency_id, func.sum(daily)).where(due)
                                 .group_by(guarantees.c.agency_id)).all()
    touched = db.session.execute(update(guarantees).where(due).values(
        fee_accrued=func.round(guarantees.c.fee_accrued + daily, 2), fee_through=day)).rowcount
    total = 0
    for agency_id, amount in amounts:
        amount = to_fen(str(amount or 0))  # str(): SQLite sums NUMERIC as binary floats
        if amount > 0:
            ledger.post("cob", "guarantee_fee_accrual", day, amount, [
                ledger.Leg(ledger.account(agency_id, "guarantee_fee_receivable"), amount),
                ledger.Leg(ledger.account(agency_id, "guarantee_fee_income"), -amount)])
            total += amount
    return {"guarantees": touched, "fee_accrued": to_fen(total)}
