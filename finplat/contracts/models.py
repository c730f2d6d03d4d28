from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
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


CONTRACT_KINDS = ("loan", "land_mortgage", "house_mortgage", "construction_land_mortgage", "forest_mortgage",
                  "share_pledge", "guarantee", "schedule_annex")


class Contract(db.Model):
    """A signed contract: what it is, for which loan (none for a sample), who signed it and when, and the
    SHA-256 of the PDF (the file itself is stored once under that name, finplat.contracts.storage)."""
    __tablename__ = "contracts"
    __table_args__ = (CheckConstraint(f"kind IN ({', '.join(repr(k) for k in CONTRACT_KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))  # the contract number printed on it
    loan_id: Mapped[int | None] = mapped_column(index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    signing_certificate_id: Mapped[int] = mapped_column(ForeignKey("signing_certificates.id"))
    signer: Mapped[str] = mapped_column(String(400))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column()
    sample: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
