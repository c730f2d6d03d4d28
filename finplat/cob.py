"""The business date and close of business (COB).

The platform has one open business date on which everything is booked. Closing a date runs the steps that
domain packages register, in order; each step's work commits together with the mark that it is done for that
date, so a run killed half-way resumes at the first unfinished step and never repeats a finished one. The
date advances (and one audit record is written) only when every step is done. On PostgreSQL a session-level
advisory lock keeps two runners, in any process, from closing at once; the second gets CobBusy.
"""
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, mapped_column

from finplat import audit
from finplat.audit.service import canonical
from finplat.columns import UTCDateTime, utcnow
from finplat.errors import Conflict, DomainError, field_error
from finplat.extensions import db

COB_LOCK_KEY = 0x46504342  # "FPCB"
MAX_DATES_PER_RUN = 3660


class BusinessCalendar(db.Model):
    """A single row: the open business date."""
    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    open_date: Mapped[date] = mapped_column(Date)


class CobRun(db.Model):
    __tablename__ = "cob_runs"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # running, failed, closed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


class CobStepRun(db.Model):
    __tablename__ = "cob_step_runs"
    __table_args__ = (UniqueConstraint("business_date", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(ForeignKey("cob_runs.business_date"))
    step: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    run: Callable[[date], dict | None]


_steps: dict[str, Step] = {}


def cob_step(name: str, order: int):
    """Register `fn(business_date) -> summary dict` as a COB step. It works in db.session and must not
    commit: the runner commits its work with the step's done-mark."""
    def register(fn):
        _steps[name] = Step(name, order, fn)
        return fn
    return register


def unregister_step(name: str):
    _steps.pop(name, None)


def steps() -> list[Step]:
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


class CobBusy(Conflict):
    code = "cob_running"


class CobStepFailed(DomainError):
    status, code = 500, "cob_step_failed"


def open_date(session=None) -> date:
    session = session or db.session
    cal = session.get(BusinessCalendar, 1)
    if cal is None:
        raise RuntimeError("no business date: run `finplat init-db`")
    return cal.open_date


def open_date_column():
    """The open date as a column of a query (a scalar subquery), for a read that wants it in the same
    statement."""
    return select(BusinessCalendar.open_date).where(BusinessCalendar.id == 1).scalar_subquery()


def local_today() -> date:
    """Today's date on the platform's clock (FINPLAT_TIMEZONE, Asia/Shanghai by default), not the host's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def ensure_calendar(today: date) -> bool:
    """Open `today` as the business date if none is set yet; True when it was set."""
    if db.session.get(BusinessCalendar, 1) is not None:
        return False
    db.session.add(BusinessCalendar(id=1, open_date=today))
    audit.record(None, "cob.open_calendar", "business_date", after={"open_date": today})
    db.session.commit()
    return True


_local_lock = threading.Lock()


@contextmanager
def cob_lock():
    """Exclusive right to run COB: a PostgreSQL advisory lock (across processes), or a process lock on SQLite."""
    if db.engine.dialect.name == "postgresql":
        conn = db.engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": COB_LOCK_KEY}).scalar()
            conn.commit()
            if not got:
                raise CobBusy("close of business is already running")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": COB_LOCK_KEY})
                conn.commit()
        finally:
            conn.close()
    else:
        if not _local_lock.acquire(blocking=False):
            raise CobBusy("close of business is already running")
        try:
            yield
        finally:
            _local_lock.release()


def run_to(target: date, actor=None, progress=None) -> dict:
    """Close every open date up to and including `target`, each once, in order."""
    with cob_lock():
        first = open_date()
        if (target - first).days >= MAX_DATES_PER_RUN:
            raise field_error("business_date", f"at most {MAX_DATES_PER_RUN} dates may be closed in one run")
        closed = []
        day = first
        while day <= target:
            closed.append({"business_date": day, "steps": close_date(day, actor)})
            if progress:
                progress(1)
            day += timedelta(days=1)
        return {"closed": closed, "open_date": open_date()}


def close_date(day: date, actor=None) -> dict:
    """Run the steps not yet done for `day`, then open the next date; returns every step's summary."""
    session = db.session
    run = session.get(CobRun, day)
    if run is None:
        run = CobRun(business_date=day, status="running")
        session.add(run)
    run.status, run.error = "running", None
    session.commit()
    done = dict(session.execute(select(CobStepRun.step, CobStepRun.summary)
                                .where(CobStepRun.business_date == day)).all())
    summaries = {}
    for step in steps():
        if step.name not in done:
            try:
                summary = canonical(step.run(day) or {})
                session.add(CobStepRun(business_date=day, step=step.name, summary=summary))
                session.commit()
            except Exception as exc:
                session.rollback()
                _mark_failed(day, step.name, exc, actor)
                raise CobStepFailed(f"COB step {step.name} failed on {day}: {exc}") from exc
            done[step.name] = summary
        # As recorded (JSON values: dates ISO, amounts as strings), steps finished by an earlier run included
        summaries[step.name] = json.loads(done[step.name] or "{}")
    cal = session.execute(select(BusinessCalendar).where(BusinessCalendar.id == 1).with_for_update()).scalar_one()
    if cal.open_date != day:
        session.rollback()
        raise CobBusy(f"the open date moved to {cal.open_date} while {day} was being closed")
    cal.open_date = day + timedelta(days=1)
    run.status, run.finished_at = "closed", utcnow()
    audit.record(actor, "cob.close", "business_date", day.isoformat(), before={"open_date": day},
                 after={"open_date": cal.open_date, "steps": summaries}, business_date=day)
    session.commit()
    return summaries


def _mark_failed(day: date, step: str, exc: Exception, actor=None):
    """Record the failure (and audit it): the steps that finished before it stay done."""
    run = db.session.get(CobRun, day)
    run.status, run.error = "failed", f"{step}: {exc}"[:2000]
    audit.record(actor, "cob.step_failed", "business_date", day.isoformat(),
                 after={"step": step, "error": f"{type(exc).__name__}: {exc}"[:500]}, business_date=day)
    db.session.commit()
