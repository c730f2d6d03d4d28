"""Risk tables (DESIGN.md §3.5): risk-sharing programs here; guarantees, funds and claims in modules to come.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from finplat.columns import Rate, UTCDateTime, utcnow
from finplat.extensions import db
from finplat.risk.sharing import PARTIES


class RiskProgram(db.Model):
    """A risk-sharing program: each party's share of a net loss (finplat.risk.sharing), summing to 1."""
    __tablename__ = "risk_programs"
    __table_args__ = (
        CheckConstraint(" AND ".join(f"{p}_share >= 0 AND {p}_share <= 1" for p in PARTIES), name="share_range"),
        # the sum is 1; within a hair, since SQLite adds NUMERIC as binary floats
        CheckConstraint(f"ABS({' + '.join(f'{p}_share' for p in PARTIES)} - 1) < 0.000000005", name="share_sum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
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
