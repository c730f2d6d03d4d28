"""Institutions, users, logins and tokens. Each state change commits with its audit record."""
import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.exc import IntegrityError

from finplat import audit
from finplat.auth.models import ApiToken, Institution, LoginFailure, User
from finplat.auth.passwords import MIN_LENGTH, check_password, hash_password, needs_rehash
from finplat.auth.roles import ROLE_INSTITUTION_KIND
from finplat.columns import utcnow
from finplat.contracts.service import provision_signer
from finplat.errors import Conflict, TooManyAttempts, Unauthorized, field_error
from finplat.extensions import db

INSTITUTION_FIELDS = ("kind", "name", "region_code", "certification_no", "certified_until", "net_assets",
                      "guarantee_multiple")
KIND_ONLY_FIELDS = {
    "certification_no": ("appraisal_agency",), "certified_until": ("appraisal_agency",),
    "net_assets": ("guarantee_agency",), "guarantee_multiple": ("guarantee_agency",),
}

LOGIN_ACCOUNT_LOCKS, LOGIN_ADDRESS_LOCKS = 0x46504C41, 0x46504C42  # "FPLA", "FPLB"
MOBILE = re.compile(r"1[3-9][0-9]{9}")  # mainland China mobile numbers



def household_exists(party_id: int) -> bool:
    from finplat.registry.models import Party
    return db.session.execute(select(Party.id).where(Party.id == party_id, Party.kind == "household")).first() is not None


def institution_snapshot(inst: Institution) -> dict:
    return {f: getattr(inst, f) for f in INSTITUTION_FIELDS}


def user_snapshot(user: User) -> dict:
    return {"username": user.username, "role": user.role, "institution_id": user.institution_id,
            "party_id": user.party_id, "phone": user.phone, "active": user.active}


def _exists(column, value) -> bool:
    return db.session.execute(select(column).where(column == value)).first() is not None


def _flush_unique(column, value, taken: Conflict):
    """Flush a new row whose `column` must be unique. A concurrent request can take the value between the
    check and the insert; that loser gets the same 409 naming the field as a plain duplicate, not an
    anonymous conflict."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if _exists(column, value):
            raise taken from None
        raise


def create_institution(actor, data: dict) -> Institution:
    for field, kinds in KIND_ONLY_FIELDS.items():
        if data.get(field) is not None and data["kind"] not in kinds:
            raise field_error(field, f"only applies to {' or '.join(kinds)}")
    if data["kind"] == "appraisal_agency" and not data.get("certification_no"):
        raise field_error("certification_no", "an appraisal agency needs its certification number")
    taken = field_error("name", "an institution of that name exists", Conflict, code="duplicate")
    if _exists(Institution.name, data["name"]):
        raise taken
    inst = Institution(**{f: data.get(f) for f in INSTITUTION_FIELDS})
    db.session.add(inst)
    _flush_unique(Institution.name, data["name"], taken)
    cert = provision_signer(inst)
    audit.record(actor, "institution.create", "institution", inst.id,
                 after={**institution_snapshot(inst), "signing_certificate": cert.fingerprint_sha256})
    db.session.commit()
    return inst


def create_user(actor, data: dict) -> User:
    role = data["role"]
    if len(data["password"]) < MIN_LENGTH:
        raise field_error("password", f"must be at least {MIN_LENGTH} characters")
    kind = ROLE_INSTITUTION_KIND[role]
    if kind is None:
        if data.get("institution_id") is not None:
            raise field_error("institution_id", "a farmer belongs to a household, not an institution")
        if data.get("party_id") is None:
            raise field_error("party_id", "a farmer needs their household's party_id")
        if not household_exists(data["party_id"]):
            raise field_error("party_id", "no such household")
        if not MOBILE.fullmatch(data["username"]):
            raise field_error("username", "a farmer's username is their mobile phone number (11 digits)")
        if data.get("phone") not in (None, data["username"]):
            raise field_error("phone", "a farmer's phone is their username")
        data = {**data, "phone": data["username"]}
    else:
        if data.get("party_id") is not None:
            raise field_error("party_id", "only a farmer is linked to a household")
        if data.get("institution_id") is None:
            raise field_error("institution_id", f"a {role} belongs to a {kind}")
        inst = db.session.get(Institution, data["institution_id"])
        if inst is None:
            raise field_error("institution_id", "no such institution")
        if inst.kind != kind:
            raise field_error("institution_id", f"a {role} belongs to a {kind}, not a {inst.kind}")
    taken = field_error("username", "that username is taken", Conflict, code="duplicate")
    if _exists(User.username, data["username"]):
        raise taken
    user = User(username=data["username"], password_hash=hash_password(data["password"]), role=role,
                institution_id=data.get("institution_id"), party_id=data.get("party_id"), phone=data.get("phone"))
    db.session.add(user)
    _flush_unique(User.username, data["username"], taken)
    audit.record(actor, "user.create", "user", user.id, after=user_snapshot(user))
    db.session.commit()
    return user


def _recent_failures(column, value, since) -> int:
    return db.session.execute(select(func.count()).select_from(LoginFailure)
                              .where(column == value, LoginFailure.at >= since)).scalar_one()


def _one_attempt_at_a_time(username: str, address: str):
    """On PostgreSQL, attempts on one account or from one address wait for each other, so that parallel
    guesses cannot all pass the count before any failure is recorded. Account before address, always."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Two-integer keys: a namespace of their own, so that no chosen username can hash onto the
        # single-key locks of the audit chain, COB or jobs.
        for namespace, value in ((LOGIN_ACCOUNT_LOCKS, username), (LOGIN_ADDRESS_LOCKS, address)):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:v))"), {"ns": namespace, "v": value})


def authenticate(username: str, password: str, address: str) -> User:
    """The user whose credentials these are, or Unauthorized. Too many failures in the window, for the
    account (since its last successful login) or from the address, are refused before the password is
    checked; successful logins are not counted and leave the address's count as it is."""
    cfg = current_app.config
    username, address = username[:64], address[:64]
    _one_attempt_at_a_time(username, address)
    window = utcnow() - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    account_since = max(window, user.last_login_at) if user and user.last_login_at else window
    if _recent_failures(LoginFailure.username, username, account_since) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"] \
            or _recent_failures(LoginFailure.address, address, window) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        db.session.rollback()
        raise TooManyAttempts("too many failed logins: try again later")
    if not check_password(user.password_hash if user else None, password) or not user.active:
        db.session.add(LoginFailure(username=username, address=address))
        audit.record(None, "auth.login_failed", "user", user.id if user else None,
                     after={"username": username, "address": address})
        db.session.commit()
        raise Unauthorized("wrong username or password")
    user.last_login_at = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def login(username: str, password: str, address: str) -> User:
    """A page login: authenticate and audit it (the session cookie is the caller's business)."""
    user = authenticate(username, password, address)
    audit.record(user, "auth.login", "user", user.id, after={"address": address[:64]})
    db.session.commit()
    return user


def logout(user: User, address: str):
    """A page logout, audited like the login it ends."""
    audit.record(user, "auth.logout", "user", user.id, after={"address": address[:64]})
    db.session.commit()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(username: str, password: str, address: str) -> tuple[str, ApiToken]:
    user = authenticate(username, password, address)
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=hash_token(raw),
                     expires_at=utcnow() + timedelta(minutes=current_app.config["TOKEN_TTL_MINUTES"]))
    db.session.add(token)
    db.session.flush()
    audit.record(user, "auth.token_issued", "api_token", token.id, after={"expires_at": token.expires_at})
    db.session.commit()
    return raw, token


def revoke_token(raw: str, user: User):
    """End an API session: the token presented stops working at once."""
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).scalar_one()
    token.revoked_at = utcnow()
    audit.record(user, "auth.token_revoked", "api_token", token.id)
    db.session.commit()


def purge_stale(now=None) -> dict:
    """Housekeeping: drop tokens expired or revoked over a week ago and failed logins past the window."""
    now = now or utcnow()
    week_ago = now - timedelta(days=7)
    window = now - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    tokens = db.session.execute(delete(ApiToken).where(
        (ApiToken.expires_at < week_ago) | (ApiToken.revoked_at < week_ago))).rowcount
    failures = db.session.execute(delete(LoginFailure).where(LoginFailure.at < window)).rowcount
    summary = {"tokens_deleted": tokens, "login_failures_deleted": failures}
    audit.record("housekeeping", "auth.purge", "api_token", after=summary)
    db.session.commit()
    return summary


_TOKEN_USER = (select(ApiToken.revoked_at, ApiToken.expires_at, User).join(User, User.id == ApiToken.user_id)
               .where(ApiToken.token_hash == bindparam("token_hash")))  # built once


def user_for_token(raw: str) -> User | None:
    """The user of a live bearer token, in one query (every API request asks)."""
    found = db.session.execute(_TOKEN_USER, {"token_hash": hash_token(raw)}).one_or_none()
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow() or not found.User.active:
        return None
    return found.User
