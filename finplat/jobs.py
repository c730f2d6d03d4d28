"""Scheduled jobs, run by `finplat scheduler` in a process of their own (never inside gunicorn workers,
where every worker would run every job). Each run takes a PostgreSQL advisory lock named after the job, so
several scheduler instances never run the same job at once, and is recorded with its business date and
outcome."""
import hashlib
import logging
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Date, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from finplat import cob
from finplat.columns import UTCDateTime, utcnow
from finplat.extensions import db

log = logging.getLogger(__name__)


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    business_date: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # running, ok, skipped, failed
    message: Mapped[str | None] = mapped_column(Text)


def _lock_key(job: str) -> int:
    return int.from_bytes(hashlib.sha256(f"finplat-job:{job}".encode()).digest()[:8], "big", signed=True)


def run_job(name: str, fn: Callable[[], str | None]) -> JobRun:
    """Run `fn` under the job's advisory lock and record the run; a second instance records 'skipped'."""
    conn = None
    if db.engine.dialect.name == "postgresql":
        conn = db.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(name)}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return _record(name, "skipped", "another scheduler instance is running this job")
    try:
        run = _record(name, "running", None)
        try:
            message = fn()
            run.outcome, run.message = "ok", message
        except Exception as exc:  # a job's failure is recorded, and the scheduler keeps going
            db.session.rollback()
            log.exception("job %s failed", name)
            run = db.session.merge(run)
            run.outcome, run.message = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = utcnow()
        db.session.commit()
        return run
    finally:
        if conn is not None:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(name)})
            conn.commit()
            conn.close()


def _record(name, outcome, message) -> JobRun:
    run = JobRun(job=name, business_date=cob.open_date(), outcome=outcome, message=message,
                 finished_at=None if outcome == "running" else utcnow())
    db.session.add(run)
    db.session.commit()
    return run


def nightly_cob(today: date | None = None) -> str:
    """Close every open business date up to today's calendar date."""
    today = today or cob.local_today()
    if cob.open_date() > today:
        return f"nothing to close: the open date is {cob.open_date()}"
    summary = cob.run_to(today, actor="scheduler")
    return f"closed {len(summary['closed'])} date(s); open date {summary['open_date']}"


def housekeeping() -> str:
    """Expired tokens and stale failed-login rows out of the way."""
    from finplat.auth.service import purge_stale
    done = purge_stale()
    return f"deleted {done['tokens_deleted']} token(s), {done['login_failures_deleted']} failed login(s)"


def revaluation() -> str:
    """Batch revaluation of the collateral on the open business date (after the night's COB)."""
    from finplat.valuation.revaluation import revalue
    summary = revalue("scheduler")
    return f"revalued {summary['rights_revalued']} right(s); {summary['ltv_breaches']} LTV breach(es)"


def build_scheduler(app) -> BlockingScheduler:
    hour, minute = (int(x) for x in app.config["COB_TIME"].split(":"))
    tz = ZoneInfo(app.config["TIMEZONE"])
    scheduler = BlockingScheduler(timezone=tz,
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})

    def in_app(name, fn):
        def job():
            with app.app_context():
                run_job(name, fn)
        return job

    scheduler.add_job(in_app("cob", nightly_cob), CronTrigger(hour=hour, minute=minute, timezone=tz), id="cob")
    scheduler.add_job(in_app("housekeeping", housekeeping), CronTrigger(hour=3, minute=15, timezone=tz),
                      id="housekeeping")
    scheduler.add_job(in_app("revaluation", revaluation), CronTrigger(hour=4, minute=0, timezone=tz),
                      id="revaluation")
    return scheduler
