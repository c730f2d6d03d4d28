"""Loan tables (DESIGN.md §3.4). Products and the LPR table here; loans, schedules and their servicing come
below or in modules of their own.

A product is platform-wide: written by an admin, offered to every bank. Its accepted collateral kinds, each
with its LTV cap, and its repayment methods are rows of their own (product_collateral_kinds,
product_repayment_methods), so that SQL (underwriting, revaluation, risk queries) can join on them and the
database refuses a kind or a method it does not know. A product is priced from the LPR: the 1-year LPR for a
loan of up to 5 years (60 months), the 5-year LPR above, plus the product's spread in basis points.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.columns import Amount, Rate, UTCDateTime, utcnow
from finplat.extensions import db
from finplat.loans.schedule import METHODS

TENORS = ("1y", "5y")
ONE_YEAR_TENOR_MAX_MONTHS = 60  # a loan of up to 5 years prices from the 1-year LPR, a longer one from the 5-year
COLLATERAL_KINDS = ("land_management", "house", "construction_land", "forest", "water_facility", "collective_shares")
DEFAULT_LTV_CAPS = {  # DESIGN.md §3.4
    "land_management": Decimal("0.70"), "house": Decimal("0.60"), "construction_land": Decimal("0.70"),
    "forest": Decimal("0.50"), "water_facility": Decimal("0.50"), "collective_shares": Decimal("0.50"),
}
REPAYMENT_METHODS = METHODS  # the schedule module's five methods
MAX_TERM_MONTHS = 360  # 30 years: no rural property loan runs longer
SPREAD_BPS_RANGE = (-100, 1000)  # LPR - 1 point to LPR + 10 points
PENALTY_FACTOR_RANGE = (Decimal("1.3"), Decimal("1.5"))  # penalty rate = contract rate x factor
assert set(DEFAULT_LTV_CAPS) == set(COLLATERAL_KINDS)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Product(db.Model):
    """A loan product: accepted collateral with an LTV cap each, amount and term ranges, pricing (LPR +
    spread), repayment methods, penalty factor, whether a guarantee is required and the risk-sharing program
    it belongs to (an id only: programs come with the risk domain). `lpr_tenor` is the tenor of the
    product's longest loans (1y when max_term_months <= 60, else 5y); each loan prices from the tenor of its
    own term (finplat.loans.lpr.tenor_for)."""
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("min_amount > 0 AND min_amount <= max_amount", name="amounts"),
        CheckConstraint(f"min_term_months >= 1 AND min_term_months <= max_term_months "
                        f"AND max_term_months <= {MAX_TERM_MONTHS}", name="terms"),
        CheckConstraint(_in("lpr_tenor", TENORS), name="lpr_tenor"),
        CheckConstraint(f"(lpr_tenor = '1y') = (max_term_months <= {ONE_YEAR_TENOR_MAX_MONTHS})",
                        name="tenor_of_term"),
        CheckConstraint(f"spread_bps BETWEEN {SPREAD_BPS_RANGE[0]} AND {SPREAD_BPS_RANGE[1]}", name="spread"),
        CheckConstraint(f"penalty_factor BETWEEN {PENALTY_FACTOR_RANGE[0]} AND {PENALTY_FACTOR_RANGE[1]}",
                        name="penalty_factor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    min_amount: Mapped[Decimal] = mapped_column(Amount)
    max_amount: Mapped[Decimal] = mapped_column(Amount)
    min_term_months: Mapped[int] = mapped_column()
    max_term_months: Mapped[int] = mapped_column()
    lpr_tenor: Mapped[str] = mapped_column(String(2))
    spread_bps: Mapped[int] = mapped_column()
    penalty_factor: Mapped[Decimal] = mapped_column(Rate)
    guarantee_required: Mapped[bool] = mapped_column(default=False)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("risk_programs.id"), index=True)  # risk sharing
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    collateral: Mapped[list["ProductCollateral"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin")
    methods: Mapped[list["ProductRepaymentMethod"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin")

    @property
    def collateral_kinds(self) -> list[str]:
        """In the order of COLLATERAL_KINDS."""
        kinds = {c.kind for c in self.collateral}
        return [k for k in COLLATERAL_KINDS if k in kinds]

    @property
    def ltv_caps(self) -> dict[str, Decimal]:
        caps = {c.kind: c.ltv_cap for c in self.collateral}
        return {k: caps[k] for k in COLLATERAL_KINDS if k in caps}

    @property
    def repayment_methods(self) -> list[str]:
        """In the order of REPAYMENT_METHODS."""
        chosen = {m.method for m in self.methods}
        return [m for m in REPAYMENT_METHODS if m in chosen]


class ProductCollateral(db.Model):
    """A collateral kind a product accepts, with its LTV cap: the most it lends per yuan of certified value."""
    __tablename__ = "product_collateral_kinds"
    __table_args__ = (
        CheckConstraint(_in("kind", COLLATERAL_KINDS), name="kind"),
        CheckConstraint("ltv_cap > 0 AND ltv_cap <= 1", name="ltv_cap"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ltv_cap: Mapped[Decimal] = mapped_column(Rate)

    product: Mapped[Product] = relationship(back_populates="collateral")


class ProductRepaymentMethod(db.Model):
    """A repayment method a product allows (finplat.loans.schedule computes each)."""
    __tablename__ = "product_repayment_methods"
    __table_args__ = (CheckConstraint(_in("method", REPAYMENT_METHODS), name="method"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(32), primary_key=True)

    product: Mapped[Product] = relationship(back_populates="methods")


class LprRate(db.Model):
    """A loan prime rate (贷款市场报价利率) as the National Interbank Funding Center announced it, by tenor
    (1y, or 5y: five years and above), in force from its announcement date until the next announcement of
    the same tenor that changes it. The rate is a decimal (0.0310 is 3.10 %). Published figures are never
    edited (finplat.loans.lpr)."""
    __tablename__ = "lpr_rates"
    __table_args__ = (
        UniqueConstraint("tenor", "effective_date"),
        CheckConstraint(_in("tenor", TENORS), name="tenor"),
        CheckConstraint("rate > 0 AND rate < 1", name="rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenor: Mapped[str] = mapped_column(String(2))
    rate: Mapped[Decimal] = mapped_column(Rate)
    effective_date: Mapped[date] = mapped_column(Date)  # the announcement date
    source: Mapped[str | None] = mapped_column(String(200))


# --- applications and loans

CLASSIFICATIONS = ("normal", "special_mention", "substandard", "doubtful", "loss")  # the five categories
LOAN_STATUSES = ("draft", "submitted", "approved", "rejected", "contracted", "active", "paid_off", "written_off")


class Loan(db.Model):
    """An application and, once disbursed, the loan: who lends to whom under which product, its priced rate
    (the LPR announcement it stands on plus the product's spread, fixed for the term), and who made, checked
    and decided it."""
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(_in("status", LOAN_STATUSES), name="status"),
        CheckConstraint(_in("repayment_method", REPAYMENT_METHODS), name="repayment_method"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("term_months > 0", name="term_months"),
        CheckConstraint("approver_id IS NULL OR approver_id <> maker_id", name="maker_checker"),
        CheckConstraint("principal_outstanding >= 0 AND principal_outstanding <= amount", name="outstanding"),
        CheckConstraint("(disbursed_on IS NULL) = (status IN ('draft', 'submitted', 'approved', 'rejected', "
                        "'contracted'))", name="disbursed"),
        CheckConstraint("penalty_paid >= 0 AND penalty_paid <= penalty_accrued", name="penalty"),
        CheckConstraint(f"classification IS NULL OR {_in('classification', CLASSIFICATIONS)}", name="classification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    term_months: Mapped[int] = mapped_column()
    repayment_method: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    lpr_tenor: Mapped[str] = mapped_column(String(2))
    lpr_rate: Mapped[Decimal] = mapped_column(Rate)
    lpr_date: Mapped[date] = mapped_column(Date)
    spread_bps: Mapped[int] = mapped_column()
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    penalty_factor: Mapped[Decimal] = mapped_column(Rate)
    maker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_maturity: Mapped[date | None] = mapped_column(Date)  # from the date it was submitted
    contracted_on: Mapped[date | None] = mapped_column(Date)  # the business date its contracts were signed
    contracted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disbursed_on: Mapped[date | None] = mapped_column(Date)  # the value date: the schedule runs from it
    disbursed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    maturity_date: Mapped[date | None] = mapped_column(Date)
    principal_outstanding: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    schedule_version: Mapped[int] = mapped_column(default=0)  # of the schedule in force; 0 before disbursement
    # servicing (finplat.loans.cob_steps): penalty and compound interest accrued and paid, through which date
    penalty_accrued: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    penalty_paid: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    penalty_through: Mapped[date | None] = mapped_column(Date)
    dpd: Mapped[int] = mapped_column(default=0)
    # the due date of the oldest instalment in force not fully paid (None when all are): kept by disbursement
    # and repayments, so that the close of business reads days past due off the loan, not its instalments
    oldest_unpaid_due: Mapped[date | None] = mapped_column(Date)
    classification: Mapped[str | None] = mapped_column(String(16), index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)  # paid off or written off
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    collateral: Mapped[list["LoanCollateral"]] = relationship(order_by="LoanCollateral.id", back_populates="loan")
    product: Mapped[Product] = relationship()


class LoanCollateral(db.Model):
    """One collateral item of a loan: a right, or shares of a shareholding."""
    __tablename__ = "loan_collateral"
    __table_args__ = (
        CheckConstraint("(right_id IS NULL) <> (shareholding_id IS NULL)", name="one_collateral"),
        CheckConstraint("(shareholding_id IS NULL) = (shares IS NULL) AND (shares IS NULL OR shares > 0)",
                        name="shares"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    right_id: Mapped[int | None] = mapped_column(ForeignKey("rights.id"), index=True)
    shareholding_id: Mapped[int | None] = mapped_column(ForeignKey("shareholdings.id"), index=True)
    shares: Mapped[int | None] = mapped_column()

    loan: Mapped[Loan] = relationship(back_populates="collateral")


class LoanInstalment(db.Model):
    """One instalment of a loan's schedule (finplat.loans.schedule), written at disbursement. A regenerated
    schedule (a prepayment) is a new version; older versions stay as history. On PostgreSQL new pages of the
    table keep a fifth free (fillfactor 80, migration 0011), so that the nightly accrual can update rows in
    place (existing pages are repacked only by a VACUUM FULL)."""
    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("loan_id", "version", "number"),
        CheckConstraint("principal >= 0 AND interest >= 0 AND balance >= 0", name="amounts"),
        CheckConstraint("period_start < due_date", name="period"),
        CheckConstraint("principal_paid >= 0 AND principal_paid <= principal AND interest_paid >= 0 "
                        "AND interest_paid <= interest AND interest_accrued >= 0 AND interest_accrued <= interest",
                        name="servicing"),
        # payment = principal + interest; within half a fen, since SQLite computes NUMERIC as binary floats
        CheckConstraint("ABS(payment - principal - interest) < 0.005", name="payment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    version: Mapped[int] = mapped_column()
    number: Mapped[int] = mapped_column()
    period_start: Mapped[date] = mapped_column(Date)  # the previous due date, or the disbursement date
    due_date: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Amount)
    interest: Mapped[Decimal] = mapped_column(Amount)
    payment: Mapped[Decimal] = mapped_column(Amount)
    balance: Mapped[Decimal] = mapped_column(Amount)
    # servicing: the scheduled interest accrued through the last closed date (all of it by the due date),
    # and what repayments have paid
    interest_accrued: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    principal_paid: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))
    interest_paid: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0.00"))


class LoanClassification(db.Model):
    """A loan's five-category classification from a business date on, with the days past due that day and
    why (`dpd`, or `borrower_npl_share`: more than 10 % of a non-retail borrower's exposure at the bank is
    non-performing). A row per change, never overwritten."""
    __tablename__ = "loan_classifications"
    __table_args__ = (
        UniqueConstraint("loan_id", "business_date"),
        CheckConstraint(_in("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint("reason IN ('disbursement', 'dpd', 'borrower_npl_share')", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    business_date: Mapped[date] = mapped_column(Date)
    classification: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(32))


class LoanRepayment(db.Model):
    """A repayment as it was applied (`split`: penalty, and interest and principal by instalment number, and
    the interest accrued early for instalments falling due that day), its ledger transaction, and its
    reversal: a manager may reverse the latest repayment of a loan on the business date it was booked,
    through a reversing ledger transaction; nothing is deleted."""
    __tablename__ = "loan_repayments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),
                      CheckConstraint("(reversed_by IS NULL) = (reversal_transaction_id IS NULL)", name="reversal"))

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    accrual_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    amount: Mapped[Decimal] = mapped_column(Amount)
    paid_on: Mapped[date] = mapped_column(Date)
    split: Mapped[dict] = mapped_column(JSON)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reversed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reversal_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
