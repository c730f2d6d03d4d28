from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from finplat.columns import UTCDateTime, utcnow
from finplat.extensions import db


class SigningCertificate(db.Model):
    """An institution's signing certificate and where its PKCS#12 lives (relative to the instance folder)."""
    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # instance_ca or configured
    serial: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(400))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    pkcs12_path: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
