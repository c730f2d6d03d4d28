"""A right's history: one event per change, with the right's state after it, so that the right can be
read "as of" any past business date."""
from datetime import date

from sqlalchemy import select

from finplat import audit, cob
from finplat.extensions import db
from finplat.registry.models import Right, RightEvent


def snapshot(right: Right) -> dict:
    return {"status": right.status, "holder_id": right.holder_id, "certificate_no": right.certificate_no,
            "region_code": right.region_code, "area": str(right.area), "area_unit": right.area_unit,
            "term_start": right.term_start.isoformat() if right.term_start else None,
            "term_end": right.term_end.isoformat() if right.term_end else None,
            "attributes": right.attributes}


def record(right: Right, kind: str, actor, status_before: str | None = None, details: dict | None = None) -> RightEvent:
    """Record `kind` for `right` in the caller's transaction, with its audit record."""
    db.session.flush()
    actor_id, label = audit.service.actor_label(actor)
    event = RightEvent(right_id=right.id, kind=kind, status_before=status_before, status_after=right.status,
                       snapshot=snapshot(right), details=details, actor_id=actor_id, actor=label,
                       business_date=cob.open_date())
    db.session.add(event)
    audit.record(actor, f"right.{kind}", "right", right.id, before={"status": status_before} if status_before else None,
                 after={"status": right.status, **(details or {})})
    return event


def events_of(right_id: int):
    """A SELECT of the right's events, oldest first."""
    return select(RightEvent).where(RightEvent.right_id == right_id).order_by(RightEvent.id)


def history(right_id: int) -> list[RightEvent]:
    return db.session.execute(events_of(right_id)).scalars().all()


def as_of(right_id: int, day: date) -> dict | None:
    """The right as it stood at the close of `day` (None if it was not yet registered)."""
    event = db.session.execute(select(RightEvent).where(RightEvent.right_id == right_id,
                                                        RightEvent.business_date <= day)
                               .order_by(RightEvent.id.desc()).limit(1)).scalar_one_or_none()
    return event.snapshot if event else None
