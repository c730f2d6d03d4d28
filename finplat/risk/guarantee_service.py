"""Guarantees (DESIGN.md §3.5, API.md "Risk"): the bank asks a guarantee agency to guarantee a loan under a
risk-sharing program; the agency accepts (within its cap) or rejects. The cap: the agency's guaranteed balance,
the sum over its active guarantees of the loan's exposure (principal outstanding once disbursed, the amount
before) x the coverage, may not pass its net assets x its guarantee multiple. Acceptances lock the agency's row,
so two of them cannot both fit under the last of the cap.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, select

from finplat import audit
from finplat.auth.models import Institution
from finplat.auth.permissions import get_visible, scope_rule, visible
from finplat.columns import utcnow
from finplat.errors import Conflict, Forbidden, field_error
from finplat.extensions import db
from finplat.loans.application_service import locked_loan, require_status
from finplat.loans.models import Loan
from finplat.loans.origination_service import check_bank_role
from finplat.risk import fund_service
from finplat.risk.models import Guarantee, RiskProgram

FEN = Decimal("0.01")
GUARANTEED_STATUSES = ("approved", "contracted", "active")  # a loan that may be guaranteed
CLOSED_LOANS = ("paid_off", "written_off")


@scope_rule(Guarantee)
def _guarantees(stmt, actor):
    """A bank sees the guarantees of its loans; an agency, its own; no one else any."""
    if actor.role in ("loan_officer", "bank_manager"):
        return stmt.join(Loan, Loan.id == Guarantee.loan_id).where(Loan.bank_id == actor.institution_id)
    if actor.role == "guarantor":
        return stmt.where(Guarantee.agency_id == actor.institution_id)
    return stmt.where(False)


def exposure():
    """A guaranteed loan's exposure in SQL: principal outstanding once disbursed, the amount before."""
    return case((Loan.status == "active", Loan.principal_outstanding), else_=Loan.amount)


def loan_exposure(loan: Loan) -> Decimal:
    """exposure() of one loan at hand."""
    return loan.principal_outstanding if loan.status == "active" else loan.amount


def guaranteed_balance(agency_id: int) -> Decimal:
    """The agency's guaranteed balance: exposure x coverage over its active guarantees of open loans, each
    rounded half-up to the fen."""
    rows = db.session.execute(select(exposure(), Guarantee.coverage).join(Loan, Loan.id == Guarantee.loan_id).where(
        Guarantee.agency_id == agency_id, Guarantee.status == "active", Loan.status.not_in(CLOSED_LOANS))).all()
    return sum(((amount * coverage).quantize(FEN, rounding=ROUND_HALF_UP) for amount, coverage in rows),
               Decimal("0.00"))


def request_guarantee(actor, data: dict) -> Guarantee:
    """POST /guarantees by the loan's bank, for an approved, contracted or active loan -> requested."""
    loan = locked_loan(actor, data["loan_id"])
    check_bank_role(actor, loan)
    require_status(loan, *GUARANTEED_STATUSES)
    agency = db.session.get(Institution, data["agency_id"])
    if agency is None or agency.kind != "guarantee_agency":
        raise field_error("agency_id", "no such guarantee agency")
    program = db.session.get(RiskProgram, data["program_id"])
    if program is None:
        raise field_error("program_id", "no such risk-sharing program")
    if program.guarantor_share <= 0:
        raise field_error("program_id", "the program gives a guarantor no share of a loss")
    live = db.session.execute(select(Guarantee.id).where(Guarantee.loan_id == loan.id,
                                                         Guarantee.status.in_(("requested", "active", "called")))
                            ).first()
    if live:
        raise Conflict(f"loan {loan.id} has guarantee {live[0]} requested, active or called", code="guarantee_exists")
    guarantee = Guarantee(loan_id=loan.id, agency_id=agency.id, program_id=program.id, fee_rate=data["fee_rate"],
                          coverage=program.coverage, status="requested", requested_by=actor.id)
    db.session.add(guarantee)
    db.session.flush()
    audit.record(actor, "guarantee.request", "guarantee", guarantee.id, after=_snapshot(guarantee))
    db.session.commit()
    return guarantee


def _decided(actor, guarantee_id: int) -> tuple[Guarantee, Institution]:
    """The requested guarantee, locked with its agency's row, for a decision by one of the agency's people."""
    guarantee = get_visible(Guarantee, guarantee_id, actor)
    if not actor.is_admin and (actor.role != "guarantor" or actor.institution_id != guarantee.agency_id):
        raise Forbidden("a guarantor of the agency decides its guarantees", code="not_the_agency")
    agency = db.session.execute(select(Institution).where(Institution.id == guarantee.agency_id)
                                .with_for_update()).scalar_one()
    guarantee = db.session.execute(select(Guarantee).where(Guarantee.id == guarantee.id).with_for_update()
                                   .execution_options(populate_existing=True)).scalar_one()
    if guarantee.status != "requested":
        raise Conflict(f"guarantee {guarantee.id} is {guarantee.status}", code="invalid_status")
    return guarantee, agency


def accept(actor, guarantee_id: int) -> Guarantee:
    """requested -> active, when the agency's guaranteed balance with this one stays within its cap, and no
    fund covering the loan would pass 10 x its balance (409 with the figures otherwise)."""
    guarantee, agency = _decided(actor, guarantee_id)
    loan = db.session.get(Loan, guarantee.loan_id)
    if loan.status not in GUARANTEED_STATUSES:
        raise Conflict(f"loan {loan.id} is {loan.status}", code="invalid_status")
    if agency.net_assets is None or agency.guarantee_multiple is None:
        raise Conflict(f"agency {agency.id} has no net assets and guarantee multiple on record: its cap is unknown",
                       code="cap_unknown")
    cap = (agency.net_assets * agency.guarantee_multiple).quantize(FEN, rounding=ROUND_HALF_UP)
    balance = guaranteed_balance(agency.id)
    this = (loan_exposure(loan) * guarantee.coverage).quantize(FEN, rounding=ROUND_HALF_UP)
    if balance + this > cap:
        raise Conflict(f"the agency's guaranteed balance {balance} and this guarantee's {this} pass its cap of "
                       f"{cap} (net assets x {agency.guarantee_multiple})",
                       fields={"guaranteed_balance": [str(balance)], "this_guarantee": [str(this)],
                               "cap": [str(cap)]}, code="guarantee_cap")
    fund_service.check_new_coverage(loan, guarantee.program_id, loan_exposure(loan))
    guarantee.status, guarantee.decided_by, guarantee.decided_at = "active", actor.id, utcnow()
    audit.record(actor, "guarantee.accept", "guarantee", guarantee.id,
                 after={**_snapshot(guarantee), "guaranteed_balance": str(balance + this), "cap": str(cap)})
    db.session.commit()
    return guarantee


def reject(actor, guarantee_id: int, reason: str) -> Guarantee:
    guarantee, _ = _decided(actor, guarantee_id)
    guarantee.status, guarantee.decided_by, guarantee.decided_at = "rejected", actor.id, utcnow()
    guarantee.decision_reason = reason
    audit.record(actor, "guarantee.reject", "guarantee", guarantee.id, after={**_snapshot(guarantee),
                                                                             "reason": reason})
    db.session.commit()
    return guarantee


def active_guarantee(loan_id: int) -> Guarantee | None:
    return db.session.execute(select(Guarantee).where(Guarantee.loan_id == loan_id,
                                                      Guarantee.status == "active")).scalar_one_or_none()


def guarantees(actor, loan_id=None, status=None):
    stmt = visible(Guarantee, actor).order_by(Guarantee.id.desc())
    if loan_id:
        stmt = stmt.where(Guarantee.loan_id == loan_id)
    if status:
        stmt = stmt.where(Guarantee.status == status)
    return stmt


def get_guarantee(actor, guarantee_id: int) -> Guarantee:
    return get_visible(Guarantee, guarantee_id, actor)


def agency_figures(agency: Institution) -> dict:
    """An agency's cap and how much of it is used."""
    cap = None if agency.net_assets is None or agency.guarantee_multiple is None else \
        (agency.net_assets * agency.guarantee_multiple).quantize(FEN, rounding=ROUND_HALF_UP)
    return {"guaranteed_balance": guaranteed_balance(agency.id), "cap": cap}


def _snapshot(g: Guarantee) -> dict:
    return {"loan_id": g.loan_id, "agency_id": g.agency_id, "program_id": g.program_id, "fee_rate": str(g.fee_rate),
            "coverage": str(g.coverage), "status": g.status}
