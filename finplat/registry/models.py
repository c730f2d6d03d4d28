"""Registry tables (DESIGN.md §3.1-3.2). Invariants the database can hold are constraints here; the rest
is in the services."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.columns import Amount, Area, UTCDateTime, utcnow
from finplat.extensions import db
from finplat.security.pii import EncryptedString

PARTY_KINDS = ("household", "collective", "enterprise")
RIGHT_KINDS = ("land_management", "house", "construction_land", "forest", "water_facility")
RIGHT_STATUSES = ("active", "encumbered", "frozen", "disposed", "expired", "withdrawn")
CONSENT_KINDS = ("co_owner", "collective_filing", "collective_consent", "villagers_meeting", "contractor",
                 "other_residence")
LIEN_KINDS = ("mortgage", "pledge")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Party(db.Model):
    """A household (its head's ID number), a village collective economic organisation or an enterprise
    (unified social credit code)."""
    __tablename__ = "parties"
    __table_args__ = (
        CheckConstraint(_in("kind", PARTY_KINDS), name="kind"),
        CheckConstraint("(kind = 'household') = (id_number_index IS NOT NULL)", name="household_id_number"),
        CheckConstraint("(kind = 'household') = (uscc IS NULL)", name="uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    township: Mapped[str | None] = mapped_column(String(100))
    village: Mapped[str | None] = mapped_column(String(100), index=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString("parties.id_number"))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True, info={"blind_index_of": "id_number"})
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    collective_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list["HouseholdMember"]] = relationship(back_populates="household", order_by="HouseholdMember.id")
    collective: Mapped["Party | None"] = relationship(remote_side=[id])


class HouseholdMember(db.Model):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(EncryptedString("household_members.id_number"))
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True, info={"blind_index_of": "id_number"})
    relation: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))

    household: Mapped[Party] = relationship(back_populates="members")


class Right(db.Model):
    """A registered right of one of the five kinds; its kind-specific attributes are JSON (API.md)."""
    __tablename__ = "rights"
    __table_args__ = (
        CheckConstraint(_in("kind", RIGHT_KINDS), name="kind"),
        CheckConstraint(_in("status", RIGHT_STATUSES), name="status"),
        CheckConstraint("area > 0", name="area"),
        CheckConstraint("area_unit IN ('mu', 'm2')", name="area_unit"),
        CheckConstraint("term_end IS NULL OR term_start IS NULL OR term_end > term_start", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    certificate_no: Mapped[str] = mapped_column(String(100), unique=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    area: Mapped[Decimal] = mapped_column(Area)
    area_unit: Mapped[str] = mapped_column(String(4))
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date, index=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[Party] = relationship()
    consents: Mapped[list["Consent"]] = relationship(order_by="Consent.id", viewonly=True)


class RightEvent(db.Model):
    """Every change of a right, kept forever: what happened, the right's state after it, who and when."""
    __tablename__ = "right_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("rights.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict] = mapped_column(JSON)  # the right as it stood after the event
    details: Mapped[dict | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(120))
    business_date: Mapped[date] = mapped_column(Date, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consent(db.Model):
    """A document on file for a right: a consent, a filing, a meeting's resolution, or the collective's proof
    that a household has another stable residence (`other_residence`). A co-owner's consent names the
    household member who gave it (`member_id`); the party is then the holding household."""
    __tablename__ = "consents"
    __table_args__ = (CheckConstraint(_in("kind", CONSENT_KINDS), name="kind"),
                      CheckConstraint("kind = 'co_owner' OR member_id IS NULL", name="member_for_co_owner"))

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("rights.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_members.id"))
    document_ref: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped["HouseholdMember | None"] = relationship()


class ShareRegister(db.Model):
    """A collective's quantified shares (集体资产股权): the total, allocated to member households."""
    __tablename__ = "share_registers"
    __table_args__ = (CheckConstraint("total_shares > 0", name="total_shares"),)

    collective_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    total_shares: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    holdings: Mapped[list["Shareholding"]] = relationship(order_by="Shareholding.member_id")


class Shareholding(db.Model):
    __tablename__ = "shareholdings"
    __table_args__ = (UniqueConstraint("collective_id", "member_id"),
                      CheckConstraint("shares >= 0", name="shares"))

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("share_registers.collective_id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    shares: Mapped[int] = mapped_column()

    member: Mapped[Party] = relationship()


class ShareTransfer(db.Model):
    __tablename__ = "share_transfers"
    __table_args__ = (CheckConstraint("shares > 0", name="shares"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("share_registers.collective_id"), index=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    shares: Mapped[int] = mapped_column()
    business_date: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Lien(db.Model):
    """A mortgage on a right or a pledge of (part of) a shareholding, securing `secures_type` #`secures_id`
    for at most `secured_amount`."""
    __tablename__ = "liens"
    __table_args__ = (
        CheckConstraint(_in("kind", LIEN_KINDS), name="kind"),
        CheckConstraint("(right_id IS NULL) <> (shareholding_id IS NULL)", name="one_collateral"),
        CheckConstraint("(shareholding_id IS NULL) = (shares IS NULL)", name="shares_for_holdings"),
        CheckConstraint("shares IS NULL OR shares > 0", name="shares"),
        CheckConstraint("secured_amount > 0", name="secured_amount"),
        CheckConstraint("status IN ('live', 'released')", name="status"),
        Index("ix_liens_live_right", "right_id", "status"),
        Index("ix_liens_live_holding", "shareholding_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    right_id: Mapped[int | None] = mapped_column(ForeignKey("rights.id"))
    shareholding_id: Mapped[int | None] = mapped_column(ForeignKey("shareholdings.id"))
    shares: Mapped[int | None] = mapped_column()
    rank: Mapped[int] = mapped_column()
    secured_amount: Mapped[Decimal] = mapped_column(Amount)
    secures_type: Mapped[str] = mapped_column(String(32))
    secures_id: Mapped[str] = mapped_column(String(64))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))  # the lender
    status: Mapped[str] = mapped_column(String(16), default="live")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
