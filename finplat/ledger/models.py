"""Ledger tables. A transaction is one business event (a disbursement, a repayment, a fund payout); its
postings move amounts between accounts and always sum to zero: debits are positive, credits negative.

The database holds the invariant too: on PostgreSQL a deferred constraint trigger (migration 0009, after
django-hordak) refuses, at commit, any transaction whose postings do not sum to zero or that has fewer than
two, and the tables refuse UPDATE and DELETE: a mistake is mended by a reversing transaction, never by an
edit.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.columns import Amount, UTCDateTime, utcnow
from finplat.extensions import db

ACCOUNT_KINDS = ("asset", "liability", "equity", "income", "expense")


class LedgerAccount(db.Model):
    """An account of one institution, named by a code (`loan_principal`, `funding`, ...)."""
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("institution_id", "code"),
                      CheckConstraint("kind IN ('asset', 'liability', 'equity', 'income', 'expense')", name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))


class LedgerTransaction(db.Model):
    """One business event, booked on a business date; `amount` is the event's amount as clients see it."""
    __tablename__ = "ledger_transactions"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Amount)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    memo: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    postings: Mapped[list["LedgerPosting"]] = relationship(order_by="LedgerPosting.id", back_populates="transaction")


class LedgerPosting(db.Model):
    """One leg: `amount` debited (positive) or credited (negative) to an account, for a loan when it is one's."""
    __tablename__ = "ledger_postings"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount"),
                      Index("ix_ledger_postings_account_loan", "account_id", "loan_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    amount: Mapped[Decimal] = mapped_column(Amount)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()
