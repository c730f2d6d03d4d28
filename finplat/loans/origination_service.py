"""From approval to money (DESIGN.md §3.4, API.md "Loans"): contracts with their liens, then disbursement.

`sign_contracts` turns an approved loan into a contracted one in one transaction: underwriting runs again on
the open business date, each collateral item gets its lien (certified value x the product's LTV cap, rounded
down to the fen, is the most the item may secure; the loan is spread over the items in proportion to the
room each leaves), and the loan contract, one security contract per item and the schedule annex are signed.
A lien refused for want of room (409) or a contract that cannot be signed rolls everything back: no lien
without its contracts, no contract without its liens.

`disburse` moves the money once: the loan must be contracted, its collateral still under its liens and not
frozen, and a product that requires a guarantee needs an active one. The schedule runs from the disbursement
date (the value date); when that is a later business date than the contracts', a new schedule annex is
signed for the dates in force, as a drawdown receipt would state them. The principal is booked to the
ledger (loan principal receivable against the bank's funding account) and the schedule written, in the
transaction of the status change. The API calls it under an Idempotency-Key (finplat.idempotency), which
commits; the loan's row lock makes a second disbursement impossible whatever the key.
"""
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select

from finplat import audit, cob
from finplat.auth.models import Institution
from finplat.auth.permissions import visible
from finplat.contracts import service as contracts
from finplat.contracts.context import build_context
from finplat.contracts.models import Contract
from finplat.errors import Conflict, Forbidden, NotFound
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.loans import contract_data, schedule, underwriting
from finplat.loans.application_service import locked_loan, require_status, underwriting_facts
from finplat.loans.models import Loan, LoanClassification, LoanInstalment
from finplat.money import FEN, to_fen
from finplat.registry import lien_service
from finplat.registry.models import Lien, Party, Right, Shareholding
from finplat.risk import fund_service
from finplat.risk.models import Guarantee
from finplat.valuation import service as valuations

BANK_ROLES = ("loan_officer", "bank_manager")
SECURES_TYPE = "loan"


def check_bank_role(actor, loan: Loan, roles=BANK_ROLES):
    """Forbidden unless `actor` holds one of `roles` at the lending bank (admins pass)."""
    if actor.is_admin:
        return
    if actor.role not in roles or actor.institution_id != loan.bank_id:
        raise Forbidden(f"a {' or '.join(roles)} of the lending bank does this", code="not_the_bank")


def allocate(amount: Decimal, rooms: list[Decimal]) -> list[Decimal]:
    """`amount` spread over collateral items in proportion to their rooms (each to the fen, rounded down);
    the fen left over go first to an item that got none, then to the items in order while their room lasts.
    Every item secures some of the loan and none more than its room; ValueError when that cannot be."""
    total = sum(rooms, Decimal(0))
    if amount > total or any(room <= 0 for room in rooms) or amount < FEN * len(rooms):
        raise ValueError(f"{amount} cannot be spread over rooms of {', '.join(map(str, rooms))}")
    shares = [(amount * room / total).quantize(FEN, rounding=ROUND_DOWN) for room in rooms]
    left = amount - sum(shares, Decimal(0))
    for n in sorted(range(len(rooms)), key=lambda n: shares[n] > 0):  # the empty ones first, then in order
        extra = min(left, rooms[n] - shares[n])
        shares[n] += extra
        left -= extra
    return shares


# --- contracts and liens

def _items(loan: Loan, facts: underwriting.Application) -> list[contract_data.Item]:
    """The loan's collateral as its security contracts describe it, with the most each may secure and the
    part of the loan it secures."""
    day = cob.open_date()
    try:
        secured = allocate(loan.amount, [underwriting.room(f) for f in facts.collateral])
    except ValueError:
        raise Conflict("the collateral no longer supports the loan: ltv_exceeded", fields={"checks": ["ltv_exceeded"]},
                       code="collateral_changed") from None
    items = []
    for row, fact, part in zip(loan.collateral, facts.collateral, secured):
        limit = underwriting.limit(fact)
        if row.right_id:
            right = db.session.get(Right, row.right_id)
            valuation = valuations.current_certified(right_id=right.id, day=day)
            items.append(_right_item(right, valuation, part, limit))
        else:
            holding = db.session.get(Shareholding, row.shareholding_id)
            valuation = valuations.current_certified(shareholding_id=holding.id, day=day)
            collective = db.session.get(Party, holding.collective_id)
            items.append(contract_data.Item(
                kind="collective_shares", certificate_no=f"{collective.name}股权 第{holding.id}号",
                holder=contract_data.party(holding.member), location=collective.name, area=Decimal(row.shares),
                area_unit="share", term_end=None, certified_value=to_fen(fact.certified_value),
                valuation_date=valuation.valuation_date, appraisal_agency=valuation.agency.name,
                appraisal_report_no=f"FinPlat 估值第{valuation.id}号", secured_amount=part, max_secured=limit,
                details=(("质押股份", f"{row.shares} 股（持有 {holding.shares} 股）"),), consents=()))
    return items


def _right_item(right: Right, valuation, part: Decimal, limit: Decimal) -> contract_data.Item:
    attrs = right.attributes or {}
    details = [contract_data.detail(key, attrs[key]) for key in contract_data.DETAIL_LABELS if attrs.get(key)]
    if right.term_start and right.term_end:
        details.append(("权利期限", f"{right.term_start.isoformat()} 至 {right.term_end.isoformat()}"))
    consents = tuple({"kind": c.kind, "party": c.member.name if c.member else db.session.get(Party, c.party_id).name,
                      "document_ref": c.document_ref, "signed_on": c.signed_on} for c in right.consents)
    insurance = None
    if right.kind == "forest":
        insurance = {"insurer": attrs.get("fire_insurer") or contract_data.ON_FILE,
                     "policy_no": attrs["fire_insurance_policy"], "insured_until": attrs["fire_insurance_until"]}
    return contract_data.Item(
        kind=right.kind, certificate_no=right.certificate_no, holder=contract_data.party(right.holder),
        location="".join(filter(None, [right.holder.village, f"（行政区划代码 {right.region_code}）"])),
        area=right.area, area_unit=right.area_unit, term_end=right.term_end, certified_value=valuation.value,
        valuation_date=valuation.valuation_date, appraisal_agency=valuation.agency.name,
        appraisal_report_no=f"FinPlat 估值第{valuation.id}号", secured_amount=part, max_secured=limit,
        details=tuple(details[:20]), consents=consents, insurance=insurance)


def _sign(kind: str, data: dict, bank) -> contracts.SignedDocument:
    return contracts.sign_document(kind, build_context(kind, data), bank)


def _documents(loan: Loan, items: list[contract_data.Item], day) -> list[contracts.SignedDocument]:
    """The loan contract, a security contract per item and the schedule annex, rendered, signed and stored."""
    bank, borrower = db.session.get(Institution, loan.bank_id), db.session.get(Party, loan.borrower_id)
    terms = contract_data.Terms(year=day.year, signed_on=day, start=day, maturity=schedule.maturity(day, loan.term_months),
                                place=borrower.village or bank.name)
    docs = [_sign("loan", contract_data.loan_contract(loan, bank, borrower, items, terms), bank)]
    for n, item in enumerate(items, start=1):
        kind, data = contract_data.security_contract(loan, bank, borrower, item, n, terms)
        docs.append(_sign(kind, data, bank))
    plan = schedule.schedule(loan.amount, loan.annual_rate, loan.term_months, loan.repayment_method, day)
    docs.append(_sign("schedule_annex", contract_data.schedule_annex(loan, bank, borrower, plan, 1, terms), bank))
    return docs


def _refuse_changed(failed: list[str], what: str):
    # approved, then overtaken by the collateral's state: a conflict with the current state, not a bad request
    raise Conflict(f"the collateral no longer supports {what}: {', '.join(failed)}", fields={"checks": failed},
                   code="collateral_changed")


def sign_contracts(actor, loan_id: int) -> list[Contract]:
    """approved -> contracted: liens registered and contracts signed together (API.md POST
    /loans/{id}/contracts). 409 naming the failed checks when underwriting no longer passes (no room left,
    an expired valuation, a frozen right ...), or when a lien is refused under the row lock.

    The PDFs are rendered and signed under the loan's row lock only (it keeps a second request for the same
    loan out); the collateral's rows are locked afterwards, all in one order, and the audit records, whose
    lock is the platform's, come last: nothing waits on a right or on the audit log while PDFs render."""
    try:
        loan = locked_loan(actor, loan_id)
        check_bank_role(actor, loan)
        require_status(loan, "approved")
        day = cob.open_date()
        facts = underwriting_facts(loan, day)
        failed = underwriting.failed_checks(facts)
        if failed:
            _refuse_changed(failed, "the loan")
        items = _items(loan, facts)
        docs = _documents(loan, items, day)
        lien_service.create_liens(actor, [
            {"kind": "pledge" if row.shareholding_id else "mortgage", "right_id": row.right_id,
             "shareholding_id": row.shareholding_id, "shares": row.shares, "secured_amount": item.secured_amount,
             "max_secured": item.max_secured, "secures_type": SECURES_TYPE, "secures_id": loan.id,
             "holder_id": loan.bank_id} for row, item in zip(loan.collateral, items)], commit=False)
        signed = [contracts.record(actor, doc, loan_id=loan.id, commit=False) for doc in docs]
        loan.status, loan.contracted_on, loan.contracted_by = "contracted", day, actor.id
        audit.record(actor, "loan.contracted", "loan", loan.id, before={"status": "approved"},
                     after={"status": "contracted", "contracts": [{"id": c.id, "kind": c.kind, "sha256": c.sha256}
                                                                  for c in signed],
                            "liens": [{"right_id": r.right_id, "shareholding_id": r.shareholding_id,
                                       "secured_amount": i.secured_amount, "max_secured": i.max_secured}
                                      for r, i in zip(loan.collateral, items)]})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return signed


def contracts_of(loan: Loan, actor=None) -> list[Contract]:
    """The loan's contracts, oldest first; with `actor`, those the actor may see."""
    stmt = visible(Contract, actor) if actor is not None else select(Contract)
    return db.session.execute(stmt.where(Contract.loan_id == loan.id).order_by(Contract.id)).scalars().all()


# --- disbursement

def _ready(loan: Loan, day):
    """Refuse (409) what a careful bank would not pay out against: the product's guarantee missing, the
    loan's liens gone, or underwriting failing on the disbursement date with the loan's own liens set aside
    (a later date moves maturity towards the rights' term ends and past insurance; a valuation may expire)."""
    guaranteed = db.session.execute(select(Guarantee.id).where(Guarantee.loan_id == loan.id,
                                                               Guarantee.status == "active")).first()
    if loan.product.guarantee_required and guaranteed is None:
        raise Conflict("the product requires an active guarantee of the loan", code="guarantee_missing")
    if guaranteed is None and loan.product.program_id:  # disbursing brings it under its product's program
        fund_service.check_new_coverage(loan, loan.product.program_id, loan.amount)
    live = db.session.execute(select(func.count()).select_from(Lien).where(
        Lien.secures_type == SECURES_TYPE, Lien.secures_id == str(loan.id), Lien.status == "live")).scalar_one()
    if live != len(loan.collateral):
        raise Conflict("the loan's collateral is no longer all under its liens", code="collateral_released")
    failed = underwriting.failed_checks(underwriting_facts(loan, day, own_liens=False))
    if failed:
        _refuse_changed(failed, "disbursement")


def disburse(actor, loan_id: int, commit: bool = True) -> Loan:
    """contracted -> active on the open business date (API.md POST /loans/{id}/disburse). The ledger's
    accounts are opened before any audit record is written (the audit lock comes last)."""
    loan = locked_loan(actor, loan_id)
    check_bank_role(actor, loan, roles=("bank_manager",))
    require_status(loan, "contracted")
    # the rights held still (as approval holds them) until the money has moved: no freeze slips in between
    right_ids = sorted(c.right_id for c in loan.collateral if c.right_id)
    db.session.execute(select(Right.id).where(Right.id.in_(right_ids)).order_by(Right.id).with_for_update(read=True))
    day = cob.open_date()
    _ready(loan, day)
    plan = schedule.schedule(loan.amount, loan.annual_rate, loan.term_months, loan.repayment_method, day)
    maturity = plan.instalments[-1].due_date
    bank = db.session.get(Institution, loan.bank_id)
    doc = None
    if day != loan.contracted_on:
        borrower = db.session.get(Party, loan.borrower_id)
        version = 1 + sum(1 for c in contracts_of(loan) if c.kind == "schedule_annex")
        terms = contract_data.Terms(year=loan.contracted_on.year, signed_on=day, start=day, maturity=maturity,
                                    place=borrower.village or bank.name)
        doc = _sign("schedule_annex", contract_data.schedule_annex(loan, bank, borrower, plan, version, terms), bank)
    principal, funding = ledger.account(loan.bank_id, "loan_principal"), ledger.account(loan.bank_id, "funding")
    starts = [day] + [row.due_date for row in plan.instalments[:-1]]
    db.session.add_all([LoanInstalment(loan_id=loan.id, version=1, number=row.number, period_start=start,
                                       due_date=row.due_date, principal=row.principal, interest=row.interest,
                                       payment=row.payment, balance=row.balance)
                        for start, row in zip(starts, plan.instalments)])
    db.session.add(LoanClassification(loan_id=loan.id, business_date=day, classification="normal", dpd=0,
                                      reason="disbursement"))
    txn = ledger.post(actor, "disbursement", day, loan.amount, [
        ledger.Leg(principal, loan.amount, loan.id), ledger.Leg(funding, -loan.amount, loan.id)], loan_id=loan.id,
        memo=f"放款 {contract_data.loan_number(loan, loan.contracted_on.year)}")
    annex = contracts.record(actor, doc, loan_id=loan.id, commit=False) if doc else None
    loan.status, loan.disbursed_on, loan.disbursed_by = "active", day, actor.id
    loan.maturity_date, loan.principal_outstanding, loan.schedule_version = maturity, loan.amount, 1
    loan.oldest_unpaid_due = min((row.due_date for row in plan.instalments if row.principal or row.interest),
                                 default=None)  # as servicing_service.oldest_unpaid counts: what owes something
    loan.classification, loan.dpd = "normal", 0
    audit.record(actor, "loan.disbursed", "loan", loan.id, before={"status": "contracted"},
                 after={"status": "active", "amount": loan.amount, "disbursed_on": day, "maturity_date": maturity,
                        "ledger_transaction": txn.id, "new_annex": annex.id if annex else None})
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return loan


def instalments(loan: Loan, version: int | None = None) -> list[LoanInstalment]:
    """The schedule in force (or of `version`); before disbursement, none."""
    return db.session.execute(select(LoanInstalment).where(
        LoanInstalment.loan_id == loan.id, LoanInstalment.version == (version or loan.schedule_version))
        .order_by(LoanInstalment.number)).scalars().all()


def schedule_of(loan: Loan, version: int | None = None) -> dict:
    """API.md's schedule of a loan: the instalments in force (or of an earlier `version`) and their totals;
    before disbursement, as if disbursed on the open business date (`projected`)."""
    if loan.schedule_version:
        versions = db.session.execute(select(LoanInstalment.version).where(LoanInstalment.loan_id == loan.id)
                                      .distinct().order_by(LoanInstalment.version)).scalars().all()
        if version is not None and version not in versions:
            raise NotFound(f"loan {loan.id} has no schedule version {version}")
        rows = instalments(loan, version)
        interest = sum((row.interest for row in rows), Decimal("0.00"))
        return {"instalments": rows, "total_interest": interest, "total_payment": loan.amount + interest,
                "version": version or loan.schedule_version, "in_force": loan.schedule_version,
                "versions": versions, "projected": False}
    if version is not None:
        raise NotFound(f"loan {loan.id} has no schedule yet")
    plan = schedule.schedule(loan.amount, loan.annual_rate, loan.term_months, loan.repayment_method, cob.open_date())
    return {"instalments": plan.instalments, "total_interest": plan.total_interest,
            "total_payment": plan.total_payment, "version": 0, "in_force": 0, "versions": [], "projected": True}


def transactions_of(loan: Loan):
    return ledger.loan_transactions(loan.id)

