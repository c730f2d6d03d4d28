"""Booking to the ledger. `post()` writes one balanced transaction in the caller's transaction (it never
commits: the business operation that books it does). An unbalanced set of legs is a programming error and
raises Unbalanced before anything is written; the database refuses one as well (finplat.ledger.models).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from finplat.audit.service import actor_label
from finplat.extensions import db
from finplat.ledger.models import LedgerAccount, LedgerPosting, LedgerTransaction
from finplat.money import FEN

# The accounts the lending domain books to, per bank: code -> (kind, name).
ACCOUNTS = {
    "loan_principal": ("asset", "贷款本金"),
    "funding": ("asset", "银行资金账户"),
    "interest_receivable": ("asset", "应收利息"),
    "interest_income": ("income", "利息收入"),
    "penalty_receivable": ("asset", "应收罚息及复利"),
    "penalty_income": ("income", "罚息及复利收入"),
    "guarantee_fee_receivable": ("asset", "应收担保费"),  # a guarantee agency's
    "guarantee_fee_income": ("income", "担保费收入"),
}


class Unbalanced(ValueError):
    """Legs that do not sum to zero, or fewer than two, or an amount not in whole fen."""


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: Decimal  # debit > 0, credit < 0
    loan_id: int | None = None


# A risk compensation fund's own accounts, kept by its administrator: one set per fund, coded `fund<id>_<part>`.
FUND_ACCOUNTS = {
    "cash": ("asset", "基金专户存款"),
    "capital": ("equity", "基金本金（财政拨款及其他注入）"),
    "interest": ("income", "基金利息收入"),
    "payouts": ("expense", "代偿支出"),
    "recoveries": ("income", "代偿追偿收回"),
}


def fund_account(administrator_id: int, fund_id: int, part: str) -> LedgerAccount:
    """The fund's account `part` (one of FUND_ACCOUNTS), under its administrator, opened on first use."""
    kind, name = FUND_ACCOUNTS[part]
    return _open(administrator_id, f"fund{fund_id}_{part}", kind, f"{name}（基金 {fund_id}）")


def find_fund_account(administrator_id: int, fund_id: int, part: str) -> LedgerAccount | None:
    """The fund's account `part` if it has been opened (for reads, which open nothing)."""
    return db.session.execute(select(LedgerAccount).where(LedgerAccount.institution_id == administrator_id,
                                                          LedgerAccount.code == f"fund{fund_id}_{part}")
                              ).scalar_one_or_none()


def account(institution_id: int, code: str) -> LedgerAccount:
    """The institution's account `code` (one of ACCOUNTS), opened on first use."""
    return _open(institution_id, code, *ACCOUNTS[code])


def _open(institution_id: int, code: str, kind: str, name: str) -> LedgerAccount:
    """The account, opened on first use; concurrent first uses open it once (INSERT ... ON CONFLICT DO
    NOTHING)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(LedgerAccount).values(institution_id=institution_id, code=code, kind=kind, name=name)
                       .on_conflict_do_nothing(index_elements=["institution_id", "code"]))
    return db.session.execute(select(LedgerAccount).where(LedgerAccount.institution_id == institution_id,
                                                          LedgerAccount.code == code)).scalar_one()


def post(actor, kind: str, business_date: date, amount: Decimal, legs: list[Leg], *, loan_id: int | None = None,
         memo: str | None = None, reverses_id: int | None = None) -> LedgerTransaction:
    if len(legs) < 2:
        raise Unbalanced("a transaction needs at least two legs")
    for leg in legs:
        if leg.amount == 0 or leg.amount != leg.amount.quantize(FEN):
            raise Unbalanced(f"leg amount {leg.amount} is zero or not in whole fen")
    if sum((leg.amount for leg in legs), Decimal(0)) != 0:
        raise Unbalanced(f"legs sum to {sum(leg.amount for leg in legs)}, not 0")
    txn = LedgerTransaction(kind=kind, amount=amount, business_date=business_date, loan_id=loan_id, memo=memo,
                            reverses_id=reverses_id, actor=actor_label(actor)[1])
    txn.postings = [LedgerPosting(account_id=leg.account.id, loan_id=leg.loan_id, amount=leg.amount) for leg in legs]
    db.session.add(txn)
    db.session.flush()
    return txn


def balance(account_id: int, loan_id: int | None = None) -> Decimal:
    """The account's balance (debits - credits), or its balance for one loan."""
    stmt = select(func.coalesce(func.sum(LedgerPosting.amount), 0)).where(LedgerPosting.account_id == account_id)
    if loan_id is not None:
        stmt = stmt.where(LedgerPosting.loan_id == loan_id)
    return Decimal(db.session.execute(stmt).scalar_one()).quantize(FEN)


def loan_transactions(loan_id: int):
    """A SELECT of the loan's business events, oldest first."""
    return select(LedgerTransaction).where(LedgerTransaction.loan_id == loan_id).order_by(LedgerTransaction.id)
