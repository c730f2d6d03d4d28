"""The loan risk summary (LoanRiskSummary) that the portfolio queries read: rewritten whole at close of
business by the `risk.summary` step, after the loans' accrual and classification and the guarantee fees, in
two set-based statements (a DELETE and an INSERT ... SELECT), never a loop per loan.

Each loan with an exposure gets a row: an active loan (its principal outstanding), or one approved or
contracted under a live guarantee (its amount, API.md); the interest due on the closed date (each in-force
instalment's interest if due by then, else what has accrued, less what is paid; never below 0); what its
liens are worth (finplat.valuation.revaluation.collateral_values: indicative after the latest batch
revaluation, else certified); its active or called guarantee; and its program's shares (the guarantee's
program, else its product's; without one the bank bears all of a loss).
"""
from datetime import date

from sqlalchemy import Date, String, and_, case, cast, delete, func, insert, literal, or_, select

from finplat import cob
from finplat.extensions import db
from finplat.loans.models import Loan, LoanCollateral, LoanInstalment, Product
from finplat.loans.origination_service import SECURES_TYPE
from finplat.registry.models import Party, Right
from finplat.risk.models import Guarantee, LoanRiskSummary, RiskProgram
from finplat.valuation.revaluation import collateral_values

COLUMNS = ("loan_id", "as_of", "bank_id", "borrower_id", "product_id", "region_code", "collateral_kind",
           "loan_status", "classification", "dpd", "principal", "interest_due", "collateral_value", "ltv",
           "agency_id", "coverage", "program_id", "guarantor_share", "reguarantor_share", "bank_share",
           "fund_share")
HELD = ("active", "called")  # guarantees that stand behind a loan


def _interest_due(day: date):
    """(loan_id, interest_due) over the instalments in force of active loans, as of the close of `day`."""
    owed = case((LoanInstalment.due_date <= day, LoanInstalment.interest),
                else_=LoanInstalment.interest_accrued) - LoanInstalment.interest_paid
    return (select(LoanInstalment.loan_id, func.sum(case((owed > 0, owed), else_=0)).label("interest_due"))
            .join(Loan, and_(Loan.id == LoanInstalment.loan_id, Loan.schedule_version == LoanInstalment.version))
            .where(Loan.status == "active").group_by(LoanInstalment.loan_id).subquery())


def _first_collateral_kind():
    """The kind of the right the loan's first collateral is on; a pledge of shares is collective_shares."""
    first = (select(Right.kind).select_from(LoanCollateral).outerjoin(Right, Right.id == LoanCollateral.right_id)
             .where(LoanCollateral.loan_id == Loan.id).order_by(LoanCollateral.id).limit(1)
             .correlate(Loan).scalar_subquery())
    return func.coalesce(first, "collective_shares")


def rows(day: date):
    """The SELECT of every summary row as of the close of `day`, in COLUMNS order."""
    interest, values = _interest_due(day), collateral_values().subquery()
    guarantee = (select(Guarantee.loan_id, Guarantee.agency_id, Guarantee.coverage, Guarantee.program_id)
                 .where(Guarantee.status.in_(HELD)).subquery())
    program_id = func.coalesce(guarantee.c.program_id, Product.program_id)
    principal = case((Loan.status == "active", Loan.principal_outstanding), else_=Loan.amount)
    value = func.coalesce(values.c.collateral_value, 0)

    def share(party: str, without: int):
        return func.coalesce(getattr(RiskProgram, f"{party}_share"), without)

    return (select(Loan.id, literal(day, Date), Loan.bank_id, Loan.borrower_id, Loan.product_id,
                   Party.region_code, _first_collateral_kind(), Loan.status,
                   func.coalesce(Loan.classification, "normal"), Loan.dpd, principal,
                   func.coalesce(interest.c.interest_due, 0), value,
                   case((value > 0, principal / value), else_=None), guarantee.c.agency_id,
                   func.coalesce(guarantee.c.coverage, 0), program_id,
                   share("guarantor", 0), share("reguarantor", 0), share("bank", 1), share("fund", 0))
            .select_from(Loan).join(Party, Party.id == Loan.borrower_id).join(Product, Product.id == Loan.product_id)
            .outerjoin(guarantee, guarantee.c.loan_id == Loan.id)
            .outerjoin(RiskProgram, RiskProgram.id == program_id)
            .outerjoin(interest, interest.c.loan_id == Loan.id)
            .outerjoin(values, and_(values.c.secures_type == SECURES_TYPE,
                                    values.c.secures_id == cast(Loan.id, String)))
            .where(or_(Loan.status == "active",
                       and_(Loan.status.in_(("approved", "contracted")), guarantee.c.loan_id.is_not(None)))))


def refresh(day: date) -> dict:
    """Rewrite the summary as of the close of `day` (in the caller's transaction)."""
    db.session.execute(delete(LoanRiskSummary))
    written = db.session.execute(insert(LoanRiskSummary).from_select(list(COLUMNS), rows(day))).rowcount
    return {"loans": written}


@cob.cob_step("risk.summary", order=900)  # last: it reads what every other step has written
def refresh_at_close(day: date) -> dict:
    return refresh(day)


def as_of():
    """The business date the summary was last refreshed for, or None."""
    return db.session.execute(select(func.max(LoanRiskSummary.as_of))).scalar()
