"""Scheduled jobs: each run is recorded with its business date and outcome; one instance of a job at a time."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from finplat import audit, cob, config, jobs
from finplat.audit import AuditRecord
from finplat.jobs import JobRun
from tests.conftest import OPEN_DATE


def job_runs(session, name):
    return session.execute(select(JobRun).where(JobRun.job == name).order_by(JobRun.id)).scalars().all()


def test_run_job_records_ok_with_the_business_date(db):
    run = jobs.run_job("test.ok", lambda: "did it")

    assert (run.job, run.outcome, run.message, run.business_date) == ("test.ok", "ok", "did it", OPEN_DATE)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    db.session.expire_all()
    (stored,) = job_runs(db.session, "test.ok")
    assert (stored.outcome, stored.message, stored.business_date) == ("ok", "did it", OPEN_DATE)


def test_run_job_records_a_failure_and_rolls_back_its_work(db):
    def broken():
        audit.record("scheduler", "test.half_done", "thing", 1)
        raise ValueError("boom")

    run = jobs.run_job("test.broken", broken)

    assert (run.outcome, run.message, run.business_date) == ("failed", "ValueError: boom", OPEN_DATE)
    assert run.finished_at is not None
    db.session.expire_all()
    (stored,) = job_runs(db.session, "test.broken")
    assert (stored.outcome, stored.message) == ("failed", "ValueError: boom")
    assert db.session.execute(select(AuditRecord).where(AuditRecord.action == "test.half_done")).first() is None


def test_run_job_records_the_open_business_date_of_the_run(db):
    cob.run_to(OPEN_DATE + timedelta(days=1), actor="test")
    run = jobs.run_job("test.later", lambda: None)
    assert (run.outcome, run.message, run.business_date) == ("ok", None, OPEN_DATE + timedelta(days=2))


def test_nightly_cob_closes_up_to_today(db):
    today = OPEN_DATE + timedelta(days=2)
    run = jobs.run_job("cob", lambda: jobs.nightly_cob(today))

    assert run.outcome == "ok", run.message
    assert run.message == f"closed 3 date(s); open date {today + timedelta(days=1)}"
    assert run.business_date == OPEN_DATE  # the date open when the job started
    assert cob.open_date() == today + timedelta(days=1)
    closes = db.session.execute(select(AuditRecord.object_id, AuditRecord.actor)
                                .where(AuditRecord.action == "cob.close").order_by(AuditRecord.id)).all()
    assert closes == [((OPEN_DATE + timedelta(days=n)).isoformat(), "scheduler") for n in range(3)]

    # The same night again (a second scheduler, a restart): nothing left to close
    assert jobs.nightly_cob(today) == f"nothing to close: the open date is {today + timedelta(days=1)}"
    assert cob.open_date() == today + timedelta(days=1)


def test_nightly_cob_failure_is_recorded(db):
    def failing(day):
        raise RuntimeError("ledger unbalanced")
    cob.cob_step("test.failing", 9500)(failing)
    try:
        run = jobs.run_job("cob", lambda: jobs.nightly_cob(OPEN_DATE))
    finally:
        cob.unregister_step("test.failing")
    assert run.outcome == "failed"
    assert "CobStepFailed" in run.message and "ledger unbalanced" in run.message
    assert cob.open_date() == OPEN_DATE
    assert db.session.get(cob.CobRun, OPEN_DATE).status == "failed"


def test_build_scheduler_schedules_cob_at_the_configured_time(app, committed_db, monkeypatch):
    monkeypatch.setenv("FINPLAT_COB_TIME", "02:15")
    monkeypatch.setitem(app.config, "COB_TIME", config.from_environment()["COB_TIME"])
    monkeypatch.setattr(jobs, "nightly_cob", lambda: "stub ran")

    scheduler = jobs.build_scheduler(app)

    assert not scheduler.running
    job = scheduler.get_job("cob")
    assert {j.id for j in scheduler.get_jobs()} == {"cob", "housekeeping", "revaluation"}
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("2", "15")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=job.trigger.timezone)
    nxt = job.trigger.get_next_fire_time(None, now)
    assert (nxt.date(), nxt.hour, nxt.minute) == (now.date() + timedelta(days=1), 2, 15)

    # The scheduled callable runs the job in an app context, under run_job, and records it
    job.func()
    (run,) = job_runs(committed_db.session, "cob")
    assert (run.outcome, run.message, run.business_date) == ("ok", "stub ran", OPEN_DATE)


@pytest.mark.postgres
def test_a_second_instance_of_a_running_job_is_skipped(app, committed_db):
    inside, release = threading.Event(), threading.Event()
    first_outcome = []

    def slow():
        inside.set()
        assert release.wait(30)
        return "first"

    def first():
        with app.app_context():
            first_outcome.append(jobs.run_job("test.exclusive", slow).outcome)

    thread = threading.Thread(target=first)
    thread.start()
    second_calls = []
    try:
        assert inside.wait(30)
        second = jobs.run_job("test.exclusive", lambda: second_calls.append(1))
        other = jobs.run_job("test.other", lambda: "another job runs meanwhile")
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive()

    assert (second.outcome, second.business_date) == ("skipped", OPEN_DATE)
    assert "another scheduler instance" in second.message
    assert second_calls == []
    assert other.outcome == "ok"
    assert first_outcome == ["ok"]
    committed_db.session.expire_all()
    assert sorted(r.outcome for r in job_runs(committed_db.session, "test.exclusive")) == ["ok", "skipped"]

    # The lock went with the first run: the next run is not skipped
    assert jobs.run_job("test.exclusive", lambda: "again").outcome == "ok"


def test_housekeeping_purges_stale_tokens_and_failures(app, db, make_user):
    from finplat.auth.models import ApiToken, LoginFailure
    from finplat.auth.service import purge_stale
    from finplat.columns import utcnow
    user = make_user("registrar")
    now = utcnow()
    db.session.add_all([
        ApiToken(user_id=user.id, token_hash="a" * 64, expires_at=now - timedelta(days=8)),   # long expired
        ApiToken(user_id=user.id, token_hash="b" * 64, expires_at=now - timedelta(days=1)),   # recently expired
        ApiToken(user_id=user.id, token_hash="c" * 64, expires_at=now + timedelta(hours=1)),  # live
        LoginFailure(username="x", address="1.2.3.4", at=now - timedelta(hours=2)),
        LoginFailure(username="x", address="1.2.3.4", at=now - timedelta(minutes=1)),
    ])
    db.session.commit()
    assert purge_stale(now) == {"tokens_deleted": 1, "login_failures_deleted": 1}
    assert sorted(db.session.execute(db.select(ApiToken.token_hash)).scalars()) == ["b" * 64, "c" * 64]
    assert db.session.execute(db.select(db.func.count()).select_from(LoginFailure)).scalar_one() == 1
