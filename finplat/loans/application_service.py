"""Loan applications (DESIGN.md §3.4, API.md "Loans"): a loan officer files one for a borrower with its
collateral; submitting runs underwriting and names every failed check; a bank manager who is not the maker
approves or rejects it. Each change commits with its audit record.

The rate is priced when the application is filed (the LPR in force on the open business date plus the
product's spread) and kept for the loan's term. Underwriting judges the loan as if disbursed on the open
business date: its maturity is that date plus the term.
"""
from decimal import Decimal

from sqlalchemy import select

from finplat import audit, cob
from finplat.api_base import MAX_ID
from finplat.auth.permissions import get_visible, visible
from finplat.columns import utcnow
from finplat.errors import Conflict, Forbidden, NotFound, RuleViolation, field_error, invalid_fields
from finplat.extensions import db
from finplat.loans import product_service, schedule, underwriting
from finplat.loans.contract_data import SECURITY_KIND
from finplat.loans.models import Loan, LoanCollateral, Product
from finplat.registry import lien_service, right_service
from finplat.registry.models import Party, Right, Shareholding
from finplat.valuation import service as valuations
from finplat.valuation.models import Valuation

BANK_ROLES = ("loan_officer", "bank_manager")
SECURITY_CONTRACTS = tuple(SECURITY_KIND)  # collateral kinds with a security contract (none for water facilities)
IN_DEFAULT = ("written_off",)  # servicing adds the non-performing classifications


def _bank_of(actor) -> int:
    institution = getattr(actor, "institution", None)
    if institution is None or institution.kind != "bank":
        raise Forbidden("loans are filed by a bank's loan officers", code="not_a_bank")
    return institution.id


# --- filing

def _collateral_rows(data: dict, borrower: Party) -> tuple[list[LoanCollateral], list[str]]:
    """The application's collateral as rows, and their kinds; each item must exist, belong to the borrower
    and appear once."""
    rows, kinds, seen, errors = [], [], set(), {}
    for n, item in enumerate(data["collateral"]):
        if item.get("right_id"):
            right = db.session.get(Right, item["right_id"])
            key = ("right", item["right_id"])
            if right is None:
                errors[f"collateral.{n}.right_id"] = ["no such right"]
            elif right.holder_id != borrower.id:
                errors[f"collateral.{n}.right_id"] = ["the right is not held by the borrower"]
            else:
                rows.append(LoanCollateral(right_id=right.id))
                kinds.append(right.kind)
        else:
            holding = db.session.get(Shareholding, item["shareholding_id"])
            key = ("shareholding", item["shareholding_id"])
            if holding is None:
                errors[f"collateral.{n}.shareholding_id"] = ["no such shareholding"]
            elif holding.member_id != borrower.id:
                errors[f"collateral.{n}.shareholding_id"] = ["the shares are not held by the borrower"]
            else:
                rows.append(LoanCollateral(shareholding_id=holding.id, shares=item["shares"]))
                kinds.append("collective_shares")
        if key in seen:
            errors[f"collateral.{n}"] = ["listed twice"]
        seen.add(key)
    if errors:
        raise invalid_fields(errors)
    return rows, kinds


def create_application(actor, data: dict) -> Loan:
    """A draft application (API.md: POST /loans)."""
    bank_id = _bank_of(actor)
    product = db.session.get(Product, data["product_id"])
    if product is None:
        raise field_error("product_id", "no such product")
    borrower = db.session.get(Party, data["borrower_id"])
    if borrower is None:
        raise field_error("borrower_id", "no such party")
    rows, kinds = _collateral_rows(data, borrower)
    errors = product_service.loan_errors(product, data["amount"], data["term_months"], data["repayment_method"],
                                         kinds)
    uncontracted = sorted({kind for kind in kinds if kind not in SECURITY_CONTRACTS})
    if uncontracted and "collateral" not in errors:
        errors["collateral"] = [f"no security contract is written for {', '.join(uncontracted)} yet"]
    if errors:
        raise invalid_fields(errors)
    price = product_service.pricing(product, data["term_months"], cob.open_date())
    loan = Loan(bank_id=bank_id, product_id=product.id, borrower_id=borrower.id, amount=data["amount"],
                term_months=data["term_months"], repayment_method=data["repayment_method"], purpose=data["purpose"],
                status="draft", lpr_tenor=price.tenor, lpr_rate=price.lpr.rate, lpr_date=price.lpr.effective_date,
                spread_bps=price.spread_bps, annual_rate=price.annual_rate, penalty_factor=product.penalty_factor,
                maker_id=actor.id, collateral=rows)
    db.session.add(loan)
    db.session.flush()
    audit.record(actor, "loan.applied", "loan", loan.id, after=snapshot(loan))
    db.session.commit()
    return loan


# --- underwriting

def underwriting_facts(loan: Loan, day, own_liens: bool = True) -> underwriting.Application:
    """What underwriting judges `loan` on, as of `day`: each collateral item's state, value, room and
    consents, and whether the borrower is in default. With `own_liens=False` the loan's own liens do not
    count against its collateral (a contracted loan judged again before disbursement)."""
    caps = loan.product.ltv_caps
    excluding = None if own_liens else ("loan", loan.id)
    items = []
    for item in loan.collateral:
        if item.right_id:
            right = db.session.get(Right, item.right_id)
            current = valuations.current_certified(right_id=right.id, day=day)
            held = right.holder_id == loan.borrower_id  # a right transferred since filing is not available
            items.append(underwriting.CollateralFacts(
                kind=right.kind, status=right.status if held else "transferred",
                certified_value=current.value if current else None,
                had_valuation=_ever_certified(Valuation.right_id == right.id), ltv_cap=caps.get(right.kind, Decimal(0)),
                live_secured=lien_service.live_secured(right.id, excluding), term_end=right.term_end,
                missing_consents=tuple(right_service.missing_consents(right)),
                fire_insurance_until=_date(right.attributes.get("fire_insurance_until"))))
        else:
            holding = db.session.get(Shareholding, item.shareholding_id)
            current = valuations.current_certified(shareholding_id=holding.id, day=day)
            value = _shares_value(current, item.shares)
            covered = value is not None
            held = holding.member_id == loan.borrower_id
            items.append(underwriting.CollateralFacts(
                kind="collective_shares", certified_value=value,
                had_valuation=covered or (current is None and _ever_certified(Valuation.shareholding_id == holding.id)),
                ltv_cap=caps.get("collective_shares", Decimal(0)), shares=item.shares,
                shares_free=holding.shares - lien_service.live_pledged_shares(holding.id, excluding) if held else 0))
    in_default = db.session.execute(select(Loan.id).where(Loan.borrower_id == loan.borrower_id,
                                                          Loan.status.in_(IN_DEFAULT)).limit(1)).first() is not None
    return underwriting.Application(amount=loan.amount, maturity=schedule.maturity(day, loan.term_months),
                                    collateral=tuple(items), borrower_in_default=in_default)


def collateral_values(loan: Loan, day) -> list[Decimal | None]:
    """The certified value in force of each collateral item (of the pledged shares for a pledge), None
    where there is none: the few queries the LTV needs, not underwriting's whole set of facts."""
    values = []
    for item in loan.collateral:
        if item.right_id:
            current = valuations.current_certified(right_id=item.right_id, day=day)
            values.append(current.value if current else None)
        else:
            current = valuations.current_certified(shareholding_id=item.shareholding_id, day=day)
            values.append(_shares_value(current, item.shares))
    return values


def _shares_value(current: Valuation | None, shares: int) -> Decimal | None:
    """Pledged shares at the valuation's value per share (multiplied first: no division error), and only as
    many shares as were valued; None otherwise."""
    if current is None or not current.shares or shares > current.shares:
        return None
    return current.value * shares / current.shares


def _ever_certified(criterion) -> bool:
    return db.session.execute(select(Valuation.id).where(criterion, Valuation.status != "draft").limit(1)).first() \
        is not None


def _date(value):
    from datetime import date
    return date.fromisoformat(value) if value else None


def check(loan: Loan) -> list[str]:
    """The underwriting checks `loan` fails on the open business date."""
    return underwriting.failed_checks(underwriting_facts(loan, cob.open_date()))


def _refuse(failed: list[str]):
    raise RuleViolation(f"the application fails underwriting: {', '.join(failed)}", fields={"checks": failed},
                        code="underwriting_failed")


# --- the workflow

def locked_loan(actor, loan_id: int) -> Loan:
    loan = None
    if 1 <= loan_id <= MAX_ID:
        loan = db.session.execute(visible(Loan, actor).where(Loan.id == loan_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    if loan is None:
        raise NotFound(f"no loan {loan_id}")
    return loan


def require_status(loan: Loan, *allowed):
    if loan.status not in allowed:
        raise Conflict(f"loan {loan.id} is {loan.status}", code="invalid_status")


def submit(actor, loan_id: int) -> Loan:
    """draft -> submitted when underwriting passes; otherwise 422 naming every failed check."""
    loan = locked_loan(actor, loan_id)
    require_status(loan, "draft")
    failed = check(loan)
    if failed:
        _refuse(failed)
    loan.status, loan.submitted_at = "submitted", utcnow()
    loan.planned_maturity = schedule.maturity(cob.open_date(), loan.term_months)
    audit.record(actor, "loan.submitted", "loan", loan.id, before={"status": "draft"}, after={"status": "submitted"})
    db.session.commit()
    return loan


def check_checker(actor, loan: Loan):
    """Forbidden unless `actor` may decide `loan`: a bank manager of the lending bank who is not its maker."""
    if actor.role != "bank_manager" or actor.institution_id != loan.bank_id:
        raise Forbidden("a bank manager of the lending bank decides", code="not_the_checker")
    if actor.id == loan.maker_id:
        raise Forbidden("the maker of an application may not decide it", code="maker_checker")


def _decide(actor, loan_id: int, status: str, reason: str | None) -> Loan:
    loan = locked_loan(actor, loan_id)
    check_checker(actor, loan)
    require_status(loan, "submitted")
    if status == "approved":
        # the collateral may have changed since submission; hold its rights still until the decision commits
        right_ids = sorted(c.right_id for c in loan.collateral if c.right_id)
        db.session.execute(select(Right.id).where(Right.id.in_(right_ids)).order_by(Right.id)
                           .with_for_update(read=True)).all()
        failed = check(loan)
        if failed:
            _refuse(failed)
    loan.status, loan.approver_id, loan.decided_at, loan.decision_reason = status, actor.id, utcnow(), reason
    audit.record(actor, f"loan.{status}", "loan", loan.id, before={"status": "submitted"},
                 after={"status": status, "reason": reason, "ltv": describe(loan)["ltv"]})
    db.session.commit()
    return loan


def approve(actor, loan_id: int) -> Loan:
    return _decide(actor, loan_id, "approved", None)


def reject(actor, loan_id: int, reason: str) -> Loan:
    return _decide(actor, loan_id, "rejected", reason)


# --- reading

def get_loan(actor, loan_id: int) -> Loan:
    return get_visible(Loan, loan_id, actor)


def search(actor, status=None, borrower_id=None):
    stmt = visible(Loan, actor).order_by(Loan.id.desc())
    if status:
        stmt = stmt.where(Loan.status == status)
    if borrower_id:
        stmt = stmt.where(Loan.borrower_id == borrower_id)
    return stmt


def describe(loan: Loan) -> dict:
    """A loan as GET /loans/{id} shows it. Before disbursement nothing is outstanding or due; ltv is the
    amount (principal outstanding once disbursed) over the certified value of the collateral in force (None
    without one); dpd and classification are those of the last close of business."""
    values = collateral_values(loan, cob.open_date())
    exposure = loan.principal_outstanding if loan.disbursed_on else loan.amount
    ltv = exposure / sum(values) if values and all(v is not None for v in values) and sum(values) else None
    ltv = ltv.quantize(Decimal("0.00000001")) if ltv is not None else None  # as a rate is stored
    from finplat.loans.servicing_service import figures  # servicing builds on this module
    due = figures(loan)
    return {**snapshot(loan), "id": loan.id, "status": loan.status, "principal_outstanding": loan.principal_outstanding,
            "interest_due": due["interest_due"], "penalty_due": due["penalty_due"], "dpd": loan.dpd,
            "classification": loan.classification, "next_due_date": due["next_due_date"],
            "next_due_amount": due["next_due_amount"], "overdue_amount": due["overdue_amount"],
            "closed_on": loan.closed_on, "ltv": ltv, "maker_id": loan.maker_id, "approver_id": loan.approver_id, "decided_at": loan.decided_at,
            "decision_reason": loan.decision_reason, "contracted_on": loan.contracted_on,
            "disbursed_on": loan.disbursed_on, "maturity_date": loan.maturity_date or loan.planned_maturity,
            "created_at": loan.created_at}


def snapshot(loan: Loan) -> dict:
    return {"bank_id": loan.bank_id, "product_id": loan.product_id, "borrower_id": loan.borrower_id,
            "amount": loan.amount, "term_months": loan.term_months, "repayment_method": loan.repayment_method,
            "purpose": loan.purpose, "annual_rate": loan.annual_rate, "lpr_tenor": loan.lpr_tenor,
            "lpr_rate": loan.lpr_rate, "lpr_date": loan.lpr_date, "spread_bps": loan.spread_bps,
            "penalty_factor": loan.penalty_factor,
            "collateral": [{"right_id": c.right_id, "shareholding_id": c.shareholding_id, "shares": c.shares}
                           for c in loan.collateral]}


def quote(product_id: int, amount: Decimal, term_months: int, repayment_method: str):
    """(pricing, schedule) of a loan on these terms priced and disbursed on the open business date: the
    application form's calculator; nothing is recorded. A 422 names each term the product does not allow."""
    product = db.session.get(Product, product_id) if 1 <= product_id <= MAX_ID else None
    if product is None:
        raise field_error("product_id", "no such product")
    errors = product_service.loan_errors(product, amount, term_months, repayment_method)
    if errors:
        raise invalid_fields(errors)
    day = cob.open_date()
    price = product_service.pricing(product, term_months, day)
    return price, schedule.schedule(amount, price.annual_rate, term_months, repayment_method, day)
