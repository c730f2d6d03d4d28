"""Risk compensation funds (DESIGN.md §3.5, API.md "Risk"): set up and fed by their fund manager, on the
double-entry ledger (finplat.ledger.service.fund_account: cash, capital, interest, payouts, recoveries).

A fund covers the active loans of borrowers in its region under its program: a loan whose active guarantee
is under that program, or, without a guarantee, whose product is in it. A region code covers the divisions
under it (370100, Jinan, covers 370103; 370000 the province). Covered balance = the sum over covered loans of
principal outstanding x the program's fund share, each rounded half-up to the fen; leverage = covered balance
/ the fund's balance (cap 10: new coverage is refused beyond it; the top-up alert passes 8).
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, func, not_, or_, select

from finplat import audit, cob
from finplat.auth.models import Institution
from finplat.auth.permissions import get_visible, scope_rule, visible
from finplat.errors import Conflict, Forbidden, field_error
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.ledger.models import LedgerPosting, LedgerTransaction
from finplat.loans.models import Loan, Product
from finplat.registry.models import Party
from finplat.risk.models import Claim, Fund, FundContribution, Guarantee, RiskProgram

FEN = Decimal("0.01")
LEVERAGE_CAP = Decimal("10")
TOP_UP_AT = Decimal("8")
CAPITAL_PART = {"budget": "capital", "other": "capital", "interest": "interest"}


@scope_rule(Fund)
def _funds(stmt, actor):
    """A fund manager sees the funds of the administration they work for."""
    if actor.role == "fund_manager":
        return stmt.where(Fund.administrator_id == actor.institution_id)
    return stmt.where(False)


def region_prefix(code: str) -> str:
    """The prefix of the division codes under `code`: 370103 itself, 3701 for 370100, 37 for 370000."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def create_fund(actor, data: dict) -> Fund:
    """POST /funds by a fund manager: its administration keeps the fund."""
    if actor.role != "fund_manager":
        raise Forbidden("a fund manager sets up a fund", code="not_a_fund_manager")
    program = db.session.get(RiskProgram, data["program_id"])
    if program is None:
        raise field_error("program_id", "no such risk-sharing program")
    if program.fund_share <= 0:
        raise field_error("program_id", "the program gives a fund no share of a loss")
    fund = Fund(name=data["name"], region_code=data["region_code"], program_id=program.id,
                administrator_id=actor.institution_id)
    db.session.add(fund)
    db.session.flush()
    audit.record(actor, "fund.create", "fund", fund.id, after={"name": fund.name, "region_code": fund.region_code,
                                                                "program_id": program.id})
    db.session.commit()
    return fund


def get_fund(actor, fund_id: int) -> Fund:
    return get_visible(Fund, fund_id, actor)


def funds(actor):
    return visible(Fund, actor).order_by(Fund.id)


def contribute(actor, fund_id: int, data: dict) -> FundContribution:
    """POST /funds/{id}/contributions: Dr cash, Cr capital (budget, other) or interest; booked on the open
    business date, received on `received_on` (not after it)."""
    fund = get_fund(actor, fund_id)
    today = cob.open_date()
    if data["received_on"] > today:
        raise field_error("received_on", f"is after the open business date, {today}")
    amount, part = data["amount"], CAPITAL_PART[data["source"]]
    txn = ledger.post(actor, "fund_contribution", today, amount, [
        ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, "cash"), amount),
        ledger.Leg(ledger.fund_account(fund.administrator_id, fund.id, part), -amount)],
        memo=f"{data['source']} received {data['received_on'].isoformat()}")
    record = FundContribution(fund_id=fund.id, amount=amount, source=data["source"], received_on=data["received_on"],
                              transaction_id=txn.id, recorded_by=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "fund.contribution", "fund", fund.id, after={
        "amount": str(amount), "source": data["source"], "received_on": data["received_on"], "transaction": txn.id})
    db.session.commit()
    return record


def balance(fund: Fund) -> Decimal:
    cash = ledger.find_fund_account(fund.administrator_id, fund.id, "cash")  # a read opens no account
    return ledger.balance(cash.id) if cash else Decimal("0.00")


def covered_loans(fund: Fund):
    """A SELECT of (loan id, principal outstanding) of the loans the fund covers; a loan whose claim the fund
    has paid is no longer among them (its share is paid: what comes back is a recovery, not an exposure)."""
    guaranteed = exists().where(Guarantee.loan_id == Loan.id, Guarantee.status.in_(("active", "called")))
    under_guarantee = exists().where(Guarantee.loan_id == Loan.id, Guarantee.status.in_(("active", "called")),
                                     Guarantee.program_id == fund.program_id)
    paid = exists().where(Claim.loan_id == Loan.id, Claim.fund_id == fund.id, Claim.status == "paid")
    return (select(Loan.id, Loan.principal_outstanding)
            .join(Party, Party.id == Loan.borrower_id).join(Product, Product.id == Loan.product_id)
            .where(Loan.status == "active", Party.region_code.startswith(region_prefix(fund.region_code)),
                   or_(under_guarantee, and_(not_(guaranteed), Product.program_id == fund.program_id)), not_(paid)))


def covered_balance(fund: Fund) -> Decimal:
    share = fund.program.fund_share
    return sum(((principal * share).quantize(FEN, rounding=ROUND_HALF_UP)
                for _, principal in db.session.execute(covered_loans(fund))), Decimal("0.00"))


def check_new_coverage(loan: Loan, program_id: int, exposure: Decimal):
    """Refuse (409 with the figures) coverage of `exposure` of `loan` under `program_id` that would take a
    fund covering it past 10 x its balance. The funds' rows are locked, so that two new coverages cannot both
    fit under the last of a cap."""
    region = db.session.execute(select(Party.region_code).where(Party.id == loan.borrower_id)).scalar_one()
    for fund in db.session.execute(select(Fund).where(Fund.program_id == program_id).order_by(Fund.id)
                                   .with_for_update()).scalars():
        if not region.startswith(region_prefix(fund.region_code)):
            continue
        covered = covered_balance(fund)
        new = (exposure * fund.program.fund_share).quantize(FEN, rounding=ROUND_HALF_UP)
        money = balance(fund)
        if covered + new > LEVERAGE_CAP * money:
            raise Conflict(f"fund {fund.id} would cover {covered + new}, more than 10 x its balance of {money}",
                           fields={"fund_id": [str(fund.id)], "covered_balance": [str(covered)],
                                   "this_coverage": [str(new)], "balance": [str(money)]}, code="fund_leverage")


def figures(fund: Fund) -> dict:
    """GET /funds/{id}: the fund with its balance, covered balance and leverage."""
    money, covered = balance(fund), covered_balance(fund)
    leverage = (covered / money).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if money > 0 else None
    administrator = db.session.get(Institution, fund.administrator_id)
    return {"id": fund.id, "name": fund.name, "region_code": fund.region_code, "program_id": fund.program_id,
            "administrator": administrator.name, "fund_share": fund.program.fund_share, "balance": money,
            "covered_balance": covered, "leverage": leverage, "leverage_cap": LEVERAGE_CAP,
            "top_up_alert": covered > TOP_UP_AT * money}  # compared exactly, not on the rounded leverage


def ledger_of(fund: Fund):
    """A SELECT of the fund's cash movements, oldest first, with the balance after each."""
    cash = ledger.find_fund_account(fund.administrator_id, fund.id, "cash")
    after = func.sum(LedgerPosting.amount).over(order_by=LedgerPosting.id)
    return (select(LedgerTransaction.id, LedgerTransaction.kind, LedgerPosting.amount,
                   LedgerTransaction.business_date.label("booked_on"), LedgerTransaction.memo,
                   after.label("balance"))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
            .where(LedgerPosting.account_id == (cash.id if cash else None)).order_by(LedgerPosting.id))
