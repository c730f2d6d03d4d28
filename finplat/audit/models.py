from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finplat.columns import UTCDateTime
from finplat.extensions import db


class AuditRecord(db.Model):
    """One state-changing operation. Rows are never updated or deleted (database triggers refuse it);
    `hash` = SHA-256(prev_hash + canonical JSON of the record), so an edited or removed row breaks the chain."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    business_date: Mapped[date | None] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
