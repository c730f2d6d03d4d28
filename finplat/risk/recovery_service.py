"""Recoveries on a defaulted loan (DESIGN.md §3.5, API.md `POST /loans/{id}/recoveries`): money from disposing
of the collateral, from the borrower or from a guarantor, recorded by the loan's bank.

A recovery is money the loan's bank has received for the loan, so it is applied to the loan as a repayment
is (penalty, overdue interest, overdue principal, ...; beyond what is due, principal with the term shortened,
or the instalment lowered for a bullet loan), booked as a `recovery`. Then its loan's claim shares it:
- a claim filed or approved, not yet paid: the recovery lowers the claim's net loss (its `recoveries` so far)
  and the split is recomputed, so that the fund pays only the loss that is left;
- a claim paid: the recovery flows back to the parties by the claim's shares, up to the net loss not yet
  recovered (beyond it nothing was lost). The parts are taken cumulatively, split(all shared so far) -
  split(shared before), so that once the whole net loss is recovered each party has got back exactly the
  share it bore; the fund's part goes into the fund (Dr cash, Cr recoveries).
Locks: the loan's row, then the fund's and the claim's (as a claim's payment takes them), so that a recovery
and a payment of the same claim queue rather than both read the claim as it was.
"""
from decimal import Decimal

from sqlalchemy import func, select

from finplat import audit, cob
from finplat.errors import field_error
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.loans import servicing_service
from finplat.loans.application_service import get_loan, locked_loan, require_status
from finplat.loans.origination_service import check_bank_role
from finplat.loans.prepayment import BULLET_METHODS
from finplat.risk import sharing
from finplat.risk.models import Claim, Fund, Recovery, RiskProgram

ZERO = Decimal("0.00")


def record(actor, loan_id: int, data: dict) -> Recovery:
    loan = locked_loan(actor, loan_id)
    check_bank_role(actor, loan)
    require_status(loan, "active")
    today = cob.open_date()
    if data["received_on"] > today:
        raise field_error("received_on", f"is after the open business date, {today}")
    if loan.disbursed_on and data["received_on"] < loan.disbursed_on:
        raise field_error("received_on", f"is before the loan was disbursed, {loan.disbursed_on}")
    claim, fund = _claim_of(loan.id)
    amount = data["amount"]
    choice = "lower_instalment" if loan.repayment_method in BULLET_METHODS else "shorter_term"
    applied = servicing_service.repay(actor, loan.id, {"amount": amount, "prepayment": choice}, commit=False,
                                      kind="recovery")
    shared, split, fund_txn, effect = ZERO, {}, None, None
    if claim is not None and claim.status in ("filed", "approved"):
        effect = "lowered_net_loss"
        shared = min(amount, claim.net_loss)
        claim.recoveries += shared
        claim.net_loss -= shared
        claim.split = _texts(sharing.split(claim.net_loss, db.session.get(RiskProgram, claim.program_id).shares))
    elif claim is not None:  # paid: back by the claim's shares
        effect = "shared_back"
        before = shared_so_far(claim.id)
        shared = min(amount, claim.net_loss - before)
        if shared > 0:
            shares = db.session.get(RiskProgram, claim.program_id).shares
            now, then = sharing.split(before + shared, shares), sharing.split(before, shares)
            split = {party: now[party] - then[party] for party in sharing.PARTIES}
            fund_txn = _into_fund(actor, fund, claim, split["fund"], today)
    recovery = Recovery(loan_id=loan.id, claim_id=claim.id if claim else None, amount=amount, source=data["source"],
                        received_on=data["received_on"], booked_on=today, claim_effect=effect, shared=shared, split=_texts(split),
                        transaction_id=applied["transaction_id"], fund_transaction_id=fund_txn.id if fund_txn else None,
                        recorded_by=actor.id)
    db.session.add(recovery)
    db.session.flush()
    audit.record(actor, "loan.recovery", "loan", loan.id, after={
        "recovery": recovery.id, "amount": str(amount), "source": recovery.source, "claim": recovery.claim_id,
        "shared": str(shared), "split": recovery.split, "claim_net_loss": str(claim.net_loss) if claim else None,
        "applied": {key: str(applied[key]) for key in ("penalty", "interest", "principal", "principal_outstanding",
                                                         "status")},
        "liens_released": applied["liens_released"]})
    db.session.commit()
    return recovery


def _claim_of(loan_id: int) -> tuple[Claim | None, Fund | None]:
    """The loan's claim filed, approved or paid (at most one), with its fund's row and its own locked."""
    claim_id = db.session.execute(select(Claim.id, Claim.fund_id).where(
        Claim.loan_id == loan_id, Claim.status.in_(("filed", "approved", "paid")))).first()
    if claim_id is None:
        return None, None
    fund = db.session.execute(select(Fund).where(Fund.id == claim_id.fund_id).with_for_update()).scalar_one()
    claim = db.session.execute(select(Claim).where(Claim.id == claim_id.id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
    return claim, fund


def shared_so_far(claim_id: int) -> Decimal:
    """What recoveries after the claim's payment have shared back so far."""
    total = db.session.execute(select(func.coalesce(func.sum(Recovery.shared), 0)).where(
        Recovery.claim_id == claim_id, Recovery.claim_effect == "shared_back")).scalar_one()
    return Decimal(str(total)).quantize(Decimal("0.01"))  # str(): SQLite sums NUMERIC as binary floats


def _into_fund(actor, fund: Fund, claim: Claim, amount: Decimal, today):
    if amount <= 0:
        return None
    return ledger.post(actor, "fund_recovery", today, amount, [
        ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, "cash"), amount, claim.loan_id),
        ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, "recoveries"), -amount, claim.loan_id)],
        loan_id=claim.loan_id, memo=f"追偿 claim {claim.id}")


def _texts(amounts: dict) -> dict:
    return {party: str(amount) for party, amount in amounts.items()}


def by_claim(claim_ids: list[int]) -> dict:
    """{claim id: {rows, before, after, fund}} for the claims page: each claim's recoveries, what lowered its
    net loss before payment, what was shared back after it, and the fund's part of that (the caller has
    scoped the claims)."""
    found = {}
    if not claim_ids:
        return found
    for row in db.session.execute(select(Recovery).where(Recovery.claim_id.in_(claim_ids)).order_by(Recovery.id)
                                  ).scalars():
        shown = found.setdefault(row.claim_id, {"rows": [], "before": ZERO, "after": ZERO, "fund": ZERO})
        shown["rows"].append(row)
        if row.claim_effect == "lowered_net_loss":
            shown["before"] += row.shared
        else:
            shown["after"] += row.shared
            shown["fund"] += Decimal(row.split.get("fund", "0"))
    return found


def recoveries(actor, loan_id: int):
    """A SELECT of the loan's recoveries, oldest first, for those who may see the loan."""
    get_loan(actor, loan_id)
    return select(Recovery).where(Recovery.loan_id == loan_id).order_by(Recovery.id)
