"""Risk tables (DESIGN.md §3.5): risk-sharing programs, guarantees, funds, claims and recoveries."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.columns import Amount, Rate, UTCDateTime, utcnow
from finplat.extensions import db
from finplat.risk.sharing import PARTIES


class RiskProgram(db.Model):
    """A risk-sharing program: each party's share of a net loss (finplat.risk.sharing), summing to 1."""
    __tablename__ = "risk_programs"
    __table_args__ = (
        CheckConstraint(" AND ".join(f"{p}_share >= 0 AND {p}_share <= 1" for p in PARTIES), name="share_range"),
        # the sum is 1; within a hair, since SQLite adds NUMERIC as binary floats (so within half a fen below)
        CheckConstraint(f"ABS({' + '.join(f'{p}_share' for p in PARTIES)} - 1) < 0.000000005", name="share_sum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # need not be unique (API.md)
    guarantor_share: Mapped[Decimal] = mapped_column(Rate)
    reguarantor_share: Mapped[Decimal] = mapped_column(Rate)
    bank_share: Mapped[Decimal] = mapped_column(Rate)
    fund_share: Mapped[Decimal] = mapped_column(Rate)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def shares(self) -> dict:
        return {party: getattr(self, f"{party}_share") for party in PARTIES}

    @property
    def coverage(self) -> Decimal:
        """What a guarantee under the program covers: 1 - the bank's share (DESIGN.md §3.5)."""
        return 1 - self.bank_share


GUARANTEE_STATUSES = ("requested", "active", "rejected", "released", "called")
LIVE = "status IN ('requested', 'active')"
DEFAULT_FEE_RATE = Decimal("0.008")  # agricultural guarantees: 0.8 % a year (DESIGN.md §3.5)


class Guarantee(db.Model):
    """A guarantee agency's guarantee of a loan under a risk-sharing program: requested by the bank, accepted
    (active) or rejected by the agency; it covers 1 - the program's bank share, for an annual fee accrued at
    close of business. A loan has at most one guarantee requested or active."""
    __tablename__ = "guarantees"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in GUARANTEE_STATUSES)})", name="status"),
        CheckConstraint("fee_rate >= 0 AND fee_rate < 1", name="fee_rate"),
        CheckConstraint("coverage > 0 AND coverage <= 1", name="coverage"),
        CheckConstraint("fee_accrued >= 0", name="fee_accrued"),
        Index("uq_guarantees_live_loan", "loan_id", unique=True, postgresql_where=text(LIVE),
              sqlite_where=text(LIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("risk_programs.id"))
    fee_rate: Mapped[Decimal] = mapped_column(Rate)
    coverage: Mapped[Decimal] = mapped_column(Rate)  # 1 - the program's bank share, when requested
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    fee_accrued: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    fee_through: Mapped[date | None] = mapped_column(Date)  # the last business date whose fee is accrued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program: Mapped[RiskProgram] = relationship()


CONTRIBUTION_SOURCES = ("budget", "interest", "other")


class Fund(db.Model):
    """A risk compensation fund (风险补偿基金): it pays its program's fund share of the net loss on loans of
    borrowers in its region under that program. Its money is on the ledger, in accounts of its administrator
    (finplat.ledger.service.fund_account)."""
    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # need not be unique (API.md)
    region_code: Mapped[str] = mapped_column(String(6))
    program_id: Mapped[int] = mapped_column(ForeignKey("risk_programs.id"))
    administrator_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program: Mapped[RiskProgram] = relationship()


class FundContribution(db.Model):
    """Money put into a fund: a budget allocation, interest earned on its deposit (recorded, never accrued)
    or another source; booked on the open business date, received on `received_on`."""
    __tablename__ = "fund_contributions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(f"source IN ({', '.join(repr(s) for s in CONTRIBUTION_SOURCES)})", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    source: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


CLAIM_STATUSES = ("filed", "approved", "rejected", "paid")
OPEN_CLAIM = "status IN ('filed', 'approved', 'paid')"


class Claim(db.Model):
    """A bank's claim on a fund for a loan classed substandard or worse (an advance, 先行代偿): the net loss at
    filing (principal outstanding + interest due - recoveries so far; penalty excluded) and each party's
    share of it by the program (finplat.risk.sharing). The fund manager approves or rejects it; payment
    posts the fund's share to the fund's ledger. A loan has at most one claim filed, approved or paid."""
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in CLAIM_STATUSES)})", name="status"),
        CheckConstraint("ABS(net_loss - principal - interest + recoveries) < 0.005 AND net_loss >= 0", name="net_loss"),
        Index("uq_claims_open_loan", "loan_id", unique=True, postgresql_where=text(OPEN_CLAIM),
              sqlite_where=text(OPEN_CLAIM)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("risk_programs.id"))
    status: Mapped[str] = mapped_column(String(16), default="filed")
    principal: Mapped[Decimal] = mapped_column(Amount)
    interest: Mapped[Decimal] = mapped_column(Amount)
    recoveries: Mapped[Decimal] = mapped_column(Amount)
    net_loss: Mapped[Decimal] = mapped_column(Amount)
    split: Mapped[dict] = mapped_column(JSON)  # party -> amount (a string with two places), summing to net_loss
    filed_on: Mapped[date] = mapped_column(Date)  # the business date
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payout_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


RECOVERY_SOURCES = ("disposal", "borrower", "guarantor", "other")


class Recovery(db.Model):
    """Money recovered on a defaulted loan (disposal of its collateral, the borrower, a guarantor): applied to
    the loan like a repayment, and shared by the loan's claim. Before the claim is paid it lowers the claim's
    net loss; after, `shared` (never more than the net loss not yet recovered) flows back to the parties by
    the claim's shares (`split`), the fund's part into the fund (`fund_transaction_id`)."""
    __tablename__ = "recoveries"
    __table_args__ = (
        CheckConstraint("amount > 0 AND shared >= 0 AND shared <= amount", name="amounts"),
        CheckConstraint(f"source IN ({', '.join(repr(s) for s in RECOVERY_SOURCES)})", name="source"),
        CheckConstraint("claim_effect IN ('lowered_net_loss', 'shared_back')", name="claim_effect"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    source: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    booked_on: Mapped[date] = mapped_column(Date)  # the business date
    # lowered_net_loss (the claim was not yet paid) or shared_back (it was); NULL with no claim
    claim_effect: Mapped[str | None] = mapped_column(String(16))
    shared: Mapped[Decimal] = mapped_column(Amount)  # the part the claim took: off its net loss, or shared back
    split: Mapped[dict] = mapped_column(JSON)  # party -> amount string, summing to `shared` ({} if none)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))  # on the loan
    fund_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoanRiskSummary(db.Model):
    """A loan's risk figures as of the last closed business date, one row per loan with an exposure (active,
    or approved or contracted under a live guarantee), rewritten whole by the `risk.summary` close-of-business
    step (finplat.risk.summary_service). The portfolio queries read this, not the loans, so that an agency's
    dashboard over a million loans is a few aggregates over indexed rows."""
    __tablename__ = "loan_risk_summaries"
    __table_args__ = (
        Index("ix_loan_risk_summaries_agency", "agency_id", "classification"),
        Index("ix_loan_risk_summaries_bank", "bank_id", "classification"),
        Index("ix_loan_risk_summaries_program", "program_id", "region_code"),
    )

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)  # the business date closed
    bank_id: Mapped[int] = mapped_column()
    borrower_id: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column()
    region_code: Mapped[str] = mapped_column(String(6))  # the borrower's
    collateral_kind: Mapped[str] = mapped_column(String(32))  # of the first collateral; collective_shares if pledged
    loan_status: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int] = mapped_column()
    principal: Mapped[Decimal] = mapped_column(Amount)  # EAD: principal outstanding, or the amount if not disbursed
    interest_due: Mapped[Decimal] = mapped_column(Amount)  # scheduled interest due or accrued, unpaid
    collateral_value: Mapped[Decimal] = mapped_column(Amount)  # indicative, else certified; 0 if none
    ltv: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))  # principal / collateral value; NULL if worth 0
    agency_id: Mapped[int | None] = mapped_column()  # of the active or called guarantee, if any
    coverage: Mapped[Decimal] = mapped_column(Rate)  # the guarantee's; 0 without one
    program_id: Mapped[int | None] = mapped_column()  # the guarantee's, else the product's
    # the program's shares; without a program the bank bears it all
    guarantor_share: Mapped[Decimal] = mapped_column(Rate)
    reguarantor_share: Mapped[Decimal] = mapped_column(Rate)
    bank_share: Mapped[Decimal] = mapped_column(Rate)
    fund_share: Mapped[Decimal] = mapped_column(Rate)
