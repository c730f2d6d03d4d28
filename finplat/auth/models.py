from datetime import date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finplat.auth.roles import INSTITUTION_KINDS, ROLES
from finplat.columns import Amount, UTCDateTime, utcnow
from finplat.extensions import db


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Institution(db.Model):
    __tablename__ = "institutions"
    __table_args__ = (CheckConstraint(_in("kind", INSTITUTION_KINDS), name="kind"),
                      CheckConstraint("net_assets IS NULL OR net_assets >= 0", name="net_assets"),
                      CheckConstraint("guarantee_multiple IS NULL OR guarantee_multiple > 0",
                                      name="guarantee_multiple"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    certification_no: Mapped[str | None] = mapped_column(String(100))
    certified_until: Mapped[date | None] = mapped_column(Date)
    net_assets: Mapped[Decimal | None] = mapped_column(Amount)
    guarantee_multiple: Mapped[Decimal | None] = mapped_column(Amount)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Loaded with the institution in one more query for a whole list (selectin), newest first.
    signing_certificates: Mapped[list["SigningCertificate"]] = relationship(  # noqa: F821
        order_by="desc(SigningCertificate.id)", lazy="selectin", viewonly=True)

    @property
    def signing_certificate(self):
        """The newest signing certificate (see finplat.contracts.pki)."""
        return self.signing_certificates[0] if self.signing_certificates else None


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),
                      CheckConstraint("(role = 'farmer') = (institution_id IS NULL)", name="institution"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)  # a farmer's household
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    institution: Mapped[Institution | None] = relationship()

    @property
    def is_active(self):
        return self.active

    @property
    def is_admin(self):
        return self.role == "admin"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """A failed login, counted per account and per address over a sliding window."""
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
