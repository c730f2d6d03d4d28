"""Write and verify the audit chain.

`record()` runs inside the caller's transaction, so the record commits or rolls back with the change it
describes. On PostgreSQL a transaction-level advisory lock serialises appends (the chain needs the previous
hash), held only from the append to the commit: call record() as the last step before committing.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import select, text

from finplat.audit.models import AuditRecord
from finplat.columns import utcnow
from finplat.extensions import db

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x46504155  # "FPAU"


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot audit a {type(value).__name__}")


def canonical(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _stamp(moment: datetime) -> str:
    """The same text whether the database handed back an aware (PostgreSQL) or naive UTC (SQLite) value."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def digest(rec: AuditRecord) -> str:
    body = canonical({
        "occurred_at": _stamp(rec.occurred_at), "business_date": rec.business_date,
        "actor_id": rec.actor_id, "actor": rec.actor, "action": rec.action,
        "object_type": rec.object_type, "object_id": rec.object_id,
        "before": rec.before, "after": rec.after,
    })
    return hashlib.sha256((rec.prev_hash + body).encode()).hexdigest()


def actor_label(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, f"{actor.role}:{actor.username}"


def record(actor, action: str, object_type: str, object_id=None, before=None, after=None,
           business_date=None, session=None) -> AuditRecord:
    """Append one record for a change made in the current transaction (not committed here).

    The caller's pending changes are flushed before the chain lock is taken: a flush that waits on another
    transaction's row lock must not do so while holding the lock that transaction may be waiting for.
    `business_date` defaults to the open business date."""
    session = session or db.session
    session.flush()
    if business_date is None:
        from finplat.cob import BusinessCalendar
        calendar = session.get(BusinessCalendar, 1)
        business_date = calendar.open_date if calendar else None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    prev = session.execute(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)).scalar()
    actor_id, label = actor_label(actor)
    rec = AuditRecord(occurred_at=utcnow(), business_date=business_date,
                      actor_id=actor_id, actor=label, action=action, object_type=object_type,
                      object_id=None if object_id is None else str(object_id),
                      before=canonical(before), after=canonical(after), prev_hash=prev or GENESIS)
    rec.hash = digest(rec)
    session.add(rec)
    session.flush()
    return rec


@dataclass
class Verdict:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    head: str = GENESIS  # the last record's hash: kept outside the database, it shows the tail was not cut


def verify(session=None, progress=None) -> Verdict:
    """Walk the chain in order; report the first record whose link or hash does not hold."""
    session = session or db.session
    prev, checked = GENESIS, 0
    # The stored rows, not objects this session already holds; the result is closed on every way out (on
    # PostgreSQL yield_per streams through a server-side cursor).
    query = select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=1000, populate_existing=True)
    with session.execute(query) as rows:
        for rec in rows.scalars():
            if rec.prev_hash != prev:
                return Verdict(False, checked, rec.id, "its prev_hash does not match the record before it "
                                                       "(a record was removed or inserted)")
            if digest(rec) != rec.hash:
                return Verdict(False, checked, rec.id,
                               "its content does not match its hash (the record was edited)")
            prev, checked = rec.hash, checked + 1
            if progress:
                progress(1)
    return Verdict(True, checked, head=prev)
