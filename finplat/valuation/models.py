"""Valuation tables (DESIGN.md §3.3): reference data versioned by effective date, valuation records, the
indicative values of batch revaluation and the LTV alerts it raises."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.columns import Amount, Rate, UTCDateTime, utcnow
from finplat.extensions import db

METHODS = ("income_capitalisation", "land_price_coefficient", "cost", "market_comparison", "share_nav")
STATUSES = ("draft", "certified", "superseded", "expired")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- reference data. region_code is a GB/T 2260 code at any level (370100 is Jinan, 370000 Shandong): a
# lookup takes the most specific row in force on the day.

class LandPrice(db.Model):
    """Benchmark land price (基准地价) per m2 by region, use and grade; use `homestead` prices homesteads."""
    __tablename__ = "ref_land_prices"
    __table_args__ = (UniqueConstraint("region_code", "use", "grade", "effective_date"),
                      CheckConstraint("price_per_m2 > 0", name="price"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    use: Mapped[str] = mapped_column(String(32))
    grade: Mapped[str] = mapped_column(String(20))
    price_per_m2: Mapped[Decimal] = mapped_column(Amount)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))


class NetIncome(db.Model):
    """Annual net income per mu by region, right kind and crop or species (`*`: any other)."""
    __tablename__ = "ref_net_incomes"
    __table_args__ = (UniqueConstraint("region_code", "right_kind", "item", "effective_date"),
                      CheckConstraint("income_per_mu > 0", name="income"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    right_kind: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(50))
    income_per_mu: Mapped[Decimal] = mapped_column(Amount)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))


class CapitalisationRate(db.Model):
    """Capitalisation (discount) rate by region and right kind."""
    __tablename__ = "ref_capitalisation_rates"
    __table_args__ = (UniqueConstraint("region_code", "right_kind", "effective_date"),
                      CheckConstraint("rate > 0 AND rate < 1", name="rate"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    right_kind: Mapped[str] = mapped_column(String(32))
    rate: Mapped[Decimal] = mapped_column(Rate)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))


class ReplacementCost(db.Model):
    """Replacement cost per m2 of floor area by region and structure."""
    __tablename__ = "ref_replacement_costs"
    __table_args__ = (UniqueConstraint("region_code", "structure", "effective_date"),
                      CheckConstraint("cost_per_m2 > 0", name="cost"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    structure: Mapped[str] = mapped_column(String(32))
    cost_per_m2: Mapped[Decimal] = mapped_column(Amount)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))


class CollectiveNetAssets(db.Model):
    """A collective's net operating assets from its audited accounts: what its shares are valued from."""
    __tablename__ = "ref_collective_net_assets"
    __table_args__ = (UniqueConstraint("collective_id", "effective_date"),
                      CheckConstraint("net_assets >= 0", name="net_assets"))

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    net_assets: Mapped[Decimal] = mapped_column(Amount)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))


# --- valuation records

class Valuation(db.Model):
    """One appraisal of a right or a shareholding: the inputs used and where each came from, the value, its
    range and the formula's figures. `draft` until certified; a certified valuation is valid until
    `valid_until`, then `expired`; a newer certified valuation of the same collateral makes it `superseded`.
    At most one certified valuation per collateral (partial unique indexes)."""
    __tablename__ = "valuations"
    __table_args__ = (
        CheckConstraint(_in("method", METHODS), name="method"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("(right_id IS NULL) <> (shareholding_id IS NULL)", name="one_collateral"),
        CheckConstraint("(shareholding_id IS NULL) = (shares IS NULL) AND (shares IS NULL OR shares > 0)",
                        name="shares"),
        CheckConstraint("low <= value AND value <= high", name="range"),
        CheckConstraint("status = 'draft' OR (certified_by_id IS NOT NULL AND valid_until IS NOT NULL)",
                        name="certified"),
        Index("ix_valuations_right_status", "right_id", "status"),
        Index("ix_valuations_holding_status", "shareholding_id", "status"),
        Index("uq_valuations_certified_right", "right_id", unique=True,
              postgresql_where=text("status = 'certified'"), sqlite_where=text("status = 'certified'")),
        Index("uq_valuations_certified_holding", "shareholding_id", unique=True,
              postgresql_where=text("status = 'certified'"), sqlite_where=text("status = 'certified'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int | None] = mapped_column(ForeignKey("rights.id"))
    shareholding_id: Mapped[int | None] = mapped_column(ForeignKey("shareholdings.id"))
    shares: Mapped[int | None] = mapped_column()  # of a shareholding: the shares valued
    method: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict] = mapped_column(JSON)  # every input the method used, as served
    input_sources: Mapped[dict] = mapped_column(JSON)  # input -> appraiser | registry | reference
    references: Mapped[list] = mapped_column(JSON, default=list)  # the reference rows used
    details: Mapped[dict] = mapped_column(JSON)
    value: Mapped[Decimal] = mapped_column(Amount)
    low: Mapped[Decimal] = mapped_column(Amount)
    high: Mapped[Decimal] = mapped_column(Amount)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    valuation_date: Mapped[date] = mapped_column(Date)  # the business date the inputs stand on
    agency_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("valuations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency = relationship("Institution")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    certified_by = relationship("User", foreign_keys=[certified_by_id])


# --- batch revaluation

class IndicativeValue(db.Model):
    """A right's value recomputed from current reference data by the batch revaluation (not certified: it
    watches collateral between appraisals)."""
    __tablename__ = "indicative_values"
    __table_args__ = (CheckConstraint("value >= 0", name="value"),)

    right_id: Mapped[int] = mapped_column(ForeignKey("rights.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal] = mapped_column(Amount)
    computed_on: Mapped[date] = mapped_column(Date)


class LtvAlert(db.Model):
    """A loan whose LTV on the indicative values of its collateral passed its product's cap, once per
    loan and business date."""
    __tablename__ = "ltv_alerts"
    __table_args__ = (UniqueConstraint("secures_type", "secures_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    secures_type: Mapped[str] = mapped_column(String(32))
    secures_id: Mapped[str] = mapped_column(String(64))
    exposure: Mapped[Decimal] = mapped_column(Amount)
    collateral_value: Mapped[Decimal] = mapped_column(Amount)
    ltv: Mapped[Decimal | None] = mapped_column(Rate)  # NULL when the collateral is worth nothing
    cap: Mapped[Decimal] = mapped_column(Rate)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
