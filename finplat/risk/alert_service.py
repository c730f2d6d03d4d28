"""Risk alerts (API.md "Risk": GET /risk/alerts), each over what the caller may see: for a guarantor the loans
its agency guarantees and its cap, for a bank manager the bank's active loans, for a fund manager the loans
its funds cover and the funds themselves.

- ltv_breach: the latest batch revaluation found the loan's LTV past its product's cap (valuation's LtvAlert);
- right_expiring: a collateral right's term ends before the loan's maturity;
- fund_top_up: a fund's covered balance passed 8 x its balance;
- guarantee_cap_near: an agency's guaranteed balance reached 90 % of its cap.
"""
from decimal import Decimal

from sqlalchemy import func, select

from finplat.auth.models import Institution
from finplat.errors import Forbidden
from finplat.extensions import db
from finplat.loans.models import Loan, LoanCollateral
from finplat.registry.models import Right
from finplat.risk import fund_service, guarantee_service
from finplat.risk.models import Fund, Guarantee
from finplat.valuation.models import LtvAlert

NEAR_CAP = Decimal("0.90")


def _loan_ids(actor) -> list[int]:
    if actor.role == "guarantor":
        stmt = select(Guarantee.loan_id).join(Loan, Loan.id == Guarantee.loan_id).where(
            Guarantee.agency_id == actor.institution_id, Guarantee.status.in_(("active", "called")),
            Loan.status == "active")
    elif actor.role == "bank_manager":
        stmt = select(Loan.id).where(Loan.bank_id == actor.institution_id, Loan.status == "active")
    elif actor.role == "fund_manager":
        ids = set()
        for fund in db.session.execute(select(Fund).where(Fund.administrator_id == actor.institution_id)).scalars():
            ids.update(row[0] for row in db.session.execute(fund_service.covered_loans(fund)))
        return sorted(ids)
    else:
        raise Forbidden("alerts are for guarantors, bank managers and fund managers", code="not_allowed")
    return list(db.session.execute(stmt.order_by(Loan.id)).scalars())


def alerts(actor) -> list[dict]:
    ids = _loan_ids(actor)
    items = []
    latest = (select(LtvAlert.secures_id, func.max(LtvAlert.business_date).label("day"))
              .where(LtvAlert.secures_type == "loan", LtvAlert.secures_id.in_([str(i) for i in ids]))
              .group_by(LtvAlert.secures_id).subquery())
    for alert in db.session.execute(select(LtvAlert).join(latest, (latest.c.secures_id == LtvAlert.secures_id) & (
            latest.c.day == LtvAlert.business_date)).where(LtvAlert.secures_type == "loan")
            .order_by(LtvAlert.id)).scalars():
        items.append({"kind": "ltv_breach", "loan_id": int(alert.secures_id), "ltv": alert.ltv, "cap": alert.cap,
                      "business_date": alert.business_date})
    for loan_id, right_id, term_end, maturity in db.session.execute(
            select(Loan.id, Right.id, Right.term_end, Loan.maturity_date)
            .join(LoanCollateral, LoanCollateral.loan_id == Loan.id).join(Right, Right.id == LoanCollateral.right_id)
            .where(Loan.id.in_(ids), Right.term_end.is_not(None), Right.term_end < Loan.maturity_date)
            .order_by(Loan.id, Right.id)):
        items.append({"kind": "right_expiring", "loan_id": loan_id, "right_id": right_id, "term_end": term_end,
                      "maturity_date": maturity})
    if actor.role == "fund_manager":
        for fund in db.session.execute(select(Fund).where(Fund.administrator_id == actor.institution_id)
                                       .order_by(Fund.id)).scalars():
            figures = fund_service.figures(fund)
            if figures["top_up_alert"]:
                items.append({"kind": "fund_top_up", "fund_id": fund.id, "balance": figures["balance"],
                              "covered_balance": figures["covered_balance"], "leverage": figures["leverage"]})
    if actor.role == "guarantor":
        figures = guarantee_service.agency_figures(db.session.get(Institution, actor.institution_id))
        if figures["cap"] and figures["guaranteed_balance"] >= figures["cap"] * NEAR_CAP:
            items.append({"kind": "guarantee_cap_near", "agency_id": actor.institution_id, **figures})
    return items
