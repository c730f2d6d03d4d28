"""Claims on a risk compensation fund (DESIGN.md §3.5, API.md "Risk"): the bank files for a loan classed
substandard or worse that the fund covers; the claim fixes the net loss (principal outstanding + interest due
on the business date it is filed, penalty excluded, less recoveries so far) and each party's share of it
(finplat.risk.sharing); the fund manager approves or rejects it with a reason; payment posts the fund's share
out of the fund (Dr payouts, Cr cash) under a lock of the fund's row, so that concurrent payments can never
take the balance below zero.
"""
from decimal import Decimal

from sqlalchemy import select, update

from finplat import audit, cob
from finplat.auth.permissions import get_visible, scope_rule, visible
from finplat.columns import utcnow
from finplat.errors import Conflict, Forbidden, field_error
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.loans import servicing_service
from finplat.loans.application_service import locked_loan, require_status
from finplat.loans.models import CLASSIFICATIONS, Loan
from finplat.loans.origination_service import check_bank_role
from finplat.risk import fund_service, sharing
from finplat.risk.models import Claim, Fund, Guarantee

NON_PERFORMING = CLASSIFICATIONS[CLASSIFICATIONS.index("substandard"):]
ZERO = Decimal("0.00")


@scope_rule(Claim)
def _claims(stmt, actor):
    """The loan's bank and the fund's managers see a claim."""
    if actor.role in ("loan_officer", "bank_manager"):
        return stmt.join(Loan, Loan.id == Claim.loan_id).where(Loan.bank_id == actor.institution_id)
    if actor.role == "fund_manager":
        return stmt.join(Fund, Fund.id == Claim.fund_id).where(Fund.administrator_id == actor.institution_id)
    return stmt.where(False)


def file_claim(actor, data: dict) -> Claim:
    loan = locked_loan(actor, data["loan_id"])
    check_bank_role(actor, loan)
    require_status(loan, "active")
    if loan.classification not in NON_PERFORMING:
        raise Conflict(f"loan {loan.id} is {loan.classification}: a claim is for a loan classed substandard or "
                       f"worse", code="not_non_performing")
    fund = db.session.get(Fund, data["fund_id"])
    if fund is None:
        raise field_error("fund_id", "no such fund")
    open_claim = db.session.execute(select(Claim.id).where(
        Claim.loan_id == loan.id, Claim.status.in_(("filed", "approved", "paid")))).first()
    if open_claim:
        raise Conflict(f"loan {loan.id} has claim {open_claim[0]} already", code="claim_exists")
    if db.session.execute(fund_service.covered_loans(fund).where(Loan.id == loan.id)).first() is None:
        raise field_error("fund_id", f"the fund does not cover loan {loan.id} (its region or program)")
    today = cob.open_date()
    interest = sum((o.interest for o in servicing_service.owed(loan, today)), ZERO)
    # recoveries before the claim were applied to the loan (finplat.risk.recovery_service), so they are in its
    # principal and interest already; those after filing lower the net loss until the claim is paid
    recoveries = ZERO
    net_loss = loan.principal_outstanding + interest - recoveries
    split = sharing.split(net_loss, fund.program.shares)
    claim = Claim(loan_id=loan.id, fund_id=fund.id, program_id=fund.program_id, status="filed",
                  principal=loan.principal_outstanding, interest=interest, recoveries=recoveries, net_loss=net_loss,
                  split={party: str(amount) for party, amount in split.items()}, filed_on=today, filed_by=actor.id)
    db.session.add(claim)
    db.session.flush()
    audit.record(actor, "claim.file", "claim", claim.id, after={"loan_id": loan.id, "fund_id": fund.id,
                                                                "net_loss": str(net_loss), "split": claim.split})
    db.session.commit()
    return claim


def _for_fund_manager(actor, claim_id: int, *statuses) -> tuple[Claim, Fund]:
    """The claim, with its fund's row locked (decisions and payments of one fund queue on it)."""
    claim = get_visible(Claim, claim_id, actor)
    if not actor.is_admin and actor.role != "fund_manager":
        raise Forbidden("a manager of the fund decides its claims", code="not_the_fund")
    fund = db.session.execute(select(Fund).where(Fund.id == claim.fund_id).with_for_update()).scalar_one()
    claim = db.session.execute(select(Claim).where(Claim.id == claim.id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
    if claim.status not in statuses:
        raise Conflict(f"claim {claim.id} is {claim.status}", code="invalid_status")
    return claim, fund


def approve(actor, claim_id: int) -> Claim:
    claim, _ = _for_fund_manager(actor, claim_id, "filed")
    claim.status, claim.decided_by, claim.decided_at = "approved", actor.id, utcnow()
    audit.record(actor, "claim.approve", "claim", claim.id, after={"status": claim.status})
    db.session.commit()
    return claim


def reject(actor, claim_id: int, reason: str) -> Claim:
    claim, _ = _for_fund_manager(actor, claim_id, "filed")
    claim.status, claim.decided_by, claim.decided_at, claim.decision_reason = "rejected", actor.id, utcnow(), reason
    audit.record(actor, "claim.reject", "claim", claim.id, after={"status": claim.status, "reason": reason})
    db.session.commit()
    return claim


def pay(actor, claim_id: int) -> Claim:
    """approved -> paid: the fund's share out of the fund, refused (409 with the figures) beyond its balance."""
    claim, fund = _for_fund_manager(actor, claim_id, "approved")
    share = Decimal(claim.split["fund"])
    money = fund_service.balance(fund)
    if share > money:
        raise Conflict(f"the fund's balance {money} does not cover its share {share}", code="fund_insufficient",
                       fields={"balance": [str(money)], "fund_share": [str(share)]})
    today = cob.open_date()
    if share > 0:
        txn = ledger.post(actor, "fund_payout", today, share, [
            ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, "payouts"), share, claim.loan_id),
            ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, "cash"), -share, claim.loan_id)],
            loan_id=claim.loan_id, memo=f"代偿 claim {claim.id}")
        claim.payout_transaction_id = txn.id
    claim.status, claim.paid_on = "paid", today
    # the guarantor's share is now called on: the guarantee stops earning its fee and leaves the agency's cap
    called = db.session.execute(update(Guarantee).where(Guarantee.loan_id == claim.loan_id, Guarantee.status == "active")
                                .values(status="called").returning(Guarantee.id)).scalars().all()
    audit.record(actor, "claim.pay", "claim", claim.id, after={"fund_share": str(share),
                                                               "balance_after": str(money - share),
                                                               "guarantees_called": called})
    db.session.commit()
    return claim


def claims(actor, loan_id=None, fund_id=None, status=None):
    stmt = visible(Claim, actor).order_by(Claim.id.desc())
    for column, value in ((Claim.loan_id, loan_id), (Claim.fund_id, fund_id), (Claim.status, status)):
        if value:
            stmt = stmt.where(column == value)
    return stmt


def get_claim(actor, claim_id: int) -> Claim:
    return get_visible(Claim, claim_id, actor)
