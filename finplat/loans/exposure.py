"""What the batch revaluation measures for lending (finplat.valuation.revaluation): each active loan's
principal outstanding against its liens' collateral, with the tightest LTV cap its product sets for the kinds
of that collateral (a loan on land at 0.70 and a house at 0.60 is held to 0.60: the alert comes early rather
than late)."""
from sqlalchemy import String, cast, func, literal, select

from finplat.loans.models import Loan, LoanCollateral, ProductCollateral
from finplat.loans.origination_service import SECURES_TYPE
from finplat.registry.models import Right
from finplat.valuation import revaluation


@revaluation.exposure_source
def active_loans(day):
    kind = func.coalesce(Right.kind, "collective_shares")
    cap = (select(func.min(ProductCollateral.ltv_cap))
           .select_from(LoanCollateral)
           .outerjoin(Right, Right.id == LoanCollateral.right_id)
           .join(ProductCollateral, (ProductCollateral.product_id == Loan.product_id) & (ProductCollateral.kind == kind))
           .where(LoanCollateral.loan_id == Loan.id)
           .correlate(Loan).scalar_subquery())
    return select(literal(SECURES_TYPE).label("secures_type"), cast(Loan.id, String).label("secures_id"),
                  Loan.principal_outstanding.label("exposure"), cap.label("cap")).where(Loan.status == "active")
