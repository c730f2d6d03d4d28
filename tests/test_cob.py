"""Close of business: dates closed in order, each once; steps in their order; resumable; one runner at a time."""
import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from finplat import audit, cob
from finplat.audit import AuditRecord
from finplat.extensions import db as _db
from tests.conftest import OPEN_DATE

D0, D1, D2, D3 = (OPEN_DATE + timedelta(days=n) for n in range(4))
# Names sort against their order, so the test shows that `order`, not the name or the registration, decides.
STEP_ORDER = ["test.zz_accrue", "test.mm_classify", "test.aa_summarise"]


@pytest.fixture
def dummy_steps():
    """Three registered steps that record their calls; a name put in `fail_once` raises on its next call."""
    state = SimpleNamespace(calls=[], fail_once=set(), block=None)

    def make(name):
        def run(day):
            state.calls.append((name, day))
            if state.block and state.block[0] == name:
                _, inside, proceed = state.block
                inside.set()
                assert proceed.wait(30)
            if name in state.fail_once:
                state.fail_once.discard(name)
                raise RuntimeError("disk full")
            return {"step": name, "day": day}
        return run

    for name, order in (("test.mm_classify", 9020), ("test.aa_summarise", 9030), ("test.zz_accrue", 9010)):
        cob.cob_step(name, order)(make(name))
    yield state
    for name in STEP_ORDER:
        cob.unregister_step(name)


def expected_calls(*days):
    return [(name, day) for day in days for name in STEP_ORDER]


def our_calls(state):
    return [call for call in state.calls if call[0] in STEP_ORDER]


def cob_close_records(session):
    return session.execute(select(AuditRecord).where(AuditRecord.action == "cob.close")
                           .order_by(AuditRecord.id)).scalars().all()


def step_marks(session, day):
    return set(session.execute(select(cob.CobStepRun.step).where(cob.CobStepRun.business_date == day)).scalars())


@pytest.fixture
def hold_cob_lock(app):
    """Hold the COB lock as another runner would: the advisory lock from another connection on PostgreSQL,
    the process lock on SQLite."""
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            conn = _db.engine.connect()
            assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": cob.COB_LOCK_KEY}).scalar()
            conn.commit()
            yield
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": cob.COB_LOCK_KEY})
            conn.commit()
            conn.close()
        else:
            assert cob._local_lock.acquire(blocking=False)
            yield
            cob._local_lock.release()


def test_steps_sort_by_order(dummy_steps):
    names = [s.name for s in cob.steps() if s.name in STEP_ORDER]
    assert names == STEP_ORDER


def test_run_to_closes_each_date_once_in_order(db, dummy_steps):
    summary = cob.run_to(D2, actor="test")

    assert [c["business_date"] for c in summary["closed"]] == [D0, D1, D2]
    assert summary["open_date"] == D3 == cob.open_date()
    assert our_calls(dummy_steps) == expected_calls(D0, D1, D2)
    assert summary["closed"][1]["steps"]["test.mm_classify"] == {"step": "test.mm_classify", "day": D1.isoformat()}
    runs = db.session.execute(select(cob.CobRun).order_by(cob.CobRun.business_date)).scalars().all()
    assert [(r.business_date, r.status, r.error) for r in runs] == [(d, "closed", None) for d in (D0, D1, D2)]
    assert all(r.finished_at is not None for r in runs)
    for day in (D0, D1, D2):
        assert set(STEP_ORDER) <= step_marks(db.session, day)

    records = cob_close_records(db.session)
    assert [(r.object_id, r.business_date, r.actor) for r in records] == \
        [(d.isoformat(), d, "test") for d in (D0, D1, D2)]
    assert json.loads(records[0].before) == {"open_date": D0.isoformat()}
    after = json.loads(records[0].after)
    assert after["open_date"] == D1.isoformat()
    assert after["steps"]["test.aa_summarise"] == {"step": "test.aa_summarise", "day": D0.isoformat()}

    # Running again to a date already closed does nothing at all
    again = cob.run_to(D2, actor="test")
    assert again == {"closed": [], "open_date": D3}
    assert our_calls(dummy_steps) == expected_calls(D0, D1, D2)
    assert len(cob_close_records(db.session)) == 3


def test_target_before_open_date_closes_nothing(db, dummy_steps):
    summary = cob.run_to(D0 - timedelta(days=1), actor="test")

    assert summary == {"closed": [], "open_date": D0}
    assert cob.open_date() == D0
    assert our_calls(dummy_steps) == []
    assert db.session.execute(select(cob.CobRun)).scalars().all() == []
    assert cob_close_records(db.session) == []


def test_api_cob_closes_and_moves_the_business_date(db, client, admin, auth_header, dummy_steps):
    headers = auth_header(admin)
    resp = client.post("/api/v1/admin/cob", json={"business_date": D1.isoformat()}, headers=headers)

    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert [c["business_date"] for c in body["closed"]] == [D0.isoformat(), D1.isoformat()]
    assert body["open_date"] == D2.isoformat()
    assert body["closed"][0]["steps"]["test.zz_accrue"] == {"step": "test.zz_accrue", "day": D0.isoformat()}
    assert our_calls(dummy_steps) == expected_calls(D0, D1)

    records = cob_close_records(db.session)
    assert [(r.object_id, r.actor_id, r.actor) for r in records] == \
        [(d.isoformat(), admin.id, f"admin:{admin.username}") for d in (D0, D1)]

    shown = client.get("/api/v1/admin/business-date", headers=headers)
    assert shown.status_code == 200
    assert shown.get_json() == {"business_date": D2.isoformat()}

    # A date before the open one: nothing to close, the date stays
    resp = client.post("/api/v1/admin/cob", json={"business_date": D0.isoformat()}, headers=headers)
    assert resp.status_code == 200
    assert resp.get_json() == {"closed": [], "open_date": D2.isoformat()}
    assert our_calls(dummy_steps) == expected_calls(D0, D1)


def test_too_many_dates_in_one_run_are_refused(db, client, admin, auth_header, dummy_steps):
    far = D0 + timedelta(days=cob.MAX_DATES_PER_RUN)
    resp = client.post("/api/v1/admin/cob", json={"business_date": far.isoformat()}, headers=auth_header(admin))
    assert resp.status_code == 422
    assert "business_date" in resp.get_json()["error"]["fields"]
    assert cob.open_date() == D0
    assert our_calls(dummy_steps) == []


def test_api_cob_is_for_admins_only(db, client, make_user, auth_header, dummy_steps):
    officer = make_user("bank_manager")
    resp = client.post("/api/v1/admin/cob", json={"business_date": D1.isoformat()}, headers=auth_header(officer))
    assert resp.status_code == 403
    assert cob.open_date() == D0
    assert our_calls(dummy_steps) == []


def test_failed_step_leaves_the_date_open_and_the_rerun_resumes(db, dummy_steps):
    dummy_steps.fail_once.add("test.mm_classify")

    with pytest.raises(cob.CobStepFailed, match="test.mm_classify"):
        cob.run_to(D1, actor="test")

    assert cob.open_date() == D0
    run = db.session.get(cob.CobRun, D0)
    assert run.status == "failed"
    assert "test.mm_classify" in run.error and "disk full" in run.error
    assert step_marks(db.session, D0) & set(STEP_ORDER) == {"test.zz_accrue"}
    assert our_calls(dummy_steps) == [("test.zz_accrue", D0), ("test.mm_classify", D0)]
    assert cob_close_records(db.session) == []
    (failure,) = db.session.execute(select(AuditRecord).where(AuditRecord.action == "cob.step_failed")).scalars()
    assert (failure.object_id, failure.actor, json.loads(failure.after)["step"]) == (
        D0.isoformat(), "test", "test.mm_classify")

    summary = cob.run_to(D1, actor="test")

    assert [c["business_date"] for c in summary["closed"]] == [D0, D1]
    assert cob.open_date() == D2
    # The finished step is not repeated; the failed one runs again, then the rest
    assert our_calls(dummy_steps) == [("test.zz_accrue", D0), ("test.mm_classify", D0),
                                      ("test.mm_classify", D0), ("test.aa_summarise", D0),
                                      *expected_calls(D1)]
    run = db.session.get(cob.CobRun, D0)
    assert (run.status, run.error) == ("closed", None)
    records = cob_close_records(db.session)
    assert [r.object_id for r in records] == [D0.isoformat(), D1.isoformat()]
    # The close's one audit record and its summary still describe every step of the date, the one
    # finished before the failure included
    assert set(json.loads(records[0].after)["steps"]) >= set(STEP_ORDER)
    assert set(summary["closed"][0]["steps"]) >= set(STEP_ORDER)
    assert audit.verify().ok


def test_a_killed_run_is_resumed(db, dummy_steps):
    """A process killed inside a step commits nothing more: the date stays open with its run 'running'."""
    def killed(day):
        raise KeyboardInterrupt
    cob.cob_step("test.mm_classify", 9020)(killed)
    with pytest.raises(KeyboardInterrupt):
        cob.run_to(D0, actor="test")
    db.session.rollback()  # what the database does with a dead connection's transaction
    assert db.session.get(cob.CobRun, D0).status == "running"
    assert step_marks(db.session, D0) & set(STEP_ORDER) == {"test.zz_accrue"}
    assert cob.open_date() == D0

    cob.cob_step("test.mm_classify", 9020)(lambda day: dummy_steps.calls.append(("test.mm_classify", day)))
    summary = cob.run_to(D0, actor="test")
    assert [c["business_date"] for c in summary["closed"]] == [D0]
    assert our_calls(dummy_steps) == expected_calls(D0)
    assert db.session.get(cob.CobRun, D0).status == "closed"
    assert [r.object_id for r in cob_close_records(db.session)] == [D0.isoformat()]


def test_failed_step_through_the_api_and_cli(db, client, app, admin, auth_header, dummy_steps):
    dummy_steps.fail_once.add("test.aa_summarise")
    resp = client.post("/api/v1/admin/cob", json={"business_date": D0.isoformat()}, headers=auth_header(admin))
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "cob_step_failed"
    assert db.session.get(cob.CobRun, D0).status == "failed"
    assert cob.open_date() == D0

    result = app.test_cli_runner().invoke(args=["cob", "run", "--to", D1.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"closed 2 date(s); open business date {D2}" in result.output
    assert our_calls(dummy_steps).count(("test.zz_accrue", D0)) == 1
    assert our_calls(dummy_steps).count(("test.aa_summarise", D0)) == 2


def test_cli_cob_run(db, app, dummy_steps):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cob", "run", "--to", D2.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"closed 3 date(s); open business date {D3}" in result.output
    assert cob.open_date() == D3

    result = runner.invoke(args=["cob", "run", "--to", D0.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"closed 0 date(s); open business date {D3}" in result.output
    assert our_calls(dummy_steps) == expected_calls(D0, D1, D2)

    dummy_steps.fail_once.add("test.zz_accrue")
    result = runner.invoke(args=["cob", "run", "--to", D3.isoformat()])
    assert result.exit_code == 1
    assert "test.zz_accrue" in result.output and "disk full" in result.output
    assert cob.open_date() == D3


def test_cob_busy_while_another_runner_holds_the_lock(db, client, admin, auth_header, dummy_steps, hold_cob_lock):
    headers = auth_header(admin)
    with pytest.raises(cob.CobBusy):
        cob.run_to(D1, actor="test")

    resp = client.post("/api/v1/admin/cob", json={"business_date": D1.isoformat()}, headers=headers)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "cob_running"
    assert cob.open_date() == D0
    assert our_calls(dummy_steps) == []
    assert db.session.execute(select(cob.CobRun)).scalars().all() == []


def _runner(app, target, outcomes):
    def run():
        with app.app_context():
            try:
                outcomes.append(cob.run_to(target, actor="test"))
            except Exception as exc:  # collected and asserted on in the test's thread
                outcomes.append(exc)
    return threading.Thread(target=run)


def _assert_closed_once(db, dummy_steps, days):
    assert cob.open_date() == days[-1] + timedelta(days=1)
    assert our_calls(dummy_steps) == expected_calls(*days)
    records = cob_close_records(db.session)
    assert [r.object_id for r in records] == [d.isoformat() for d in days]
    assert audit.verify().ok


def test_a_second_runner_is_refused_while_the_first_is_closing(app, committed_db, dummy_steps):
    inside, proceed = threading.Event(), threading.Event()
    dummy_steps.block = ("test.mm_classify", inside, proceed)
    first, second = [], []
    t1 = _runner(app, D2, first)
    t1.start()
    try:
        assert inside.wait(30)
        t2 = _runner(app, D2, second)
        t2.start()
        t2.join(30)
        assert len(second) == 1 and isinstance(second[0], cob.CobBusy), second
    finally:
        dummy_steps.block = None
        proceed.set()
        t1.join(60)
    assert not t1.is_alive()
    assert len(first) == 1 and not isinstance(first[0], Exception), first
    assert [c["business_date"] for c in first[0]["closed"]] == [D0, D1, D2]
    _assert_closed_once(committed_db, dummy_steps, [D0, D1, D2])


def test_racing_runners_close_each_date_exactly_once(app, committed_db, dummy_steps):
    outcomes = []
    threads = [_runner(app, D3, outcomes) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)

    assert all(isinstance(o, (dict, cob.CobBusy)) for o in outcomes), outcomes
    closed = [c["business_date"] for o in outcomes if isinstance(o, dict) for c in o["closed"]]
    assert sorted(closed) == [D0, D1, D2, D3]
    _assert_closed_once(committed_db, dummy_steps, [D0, D1, D2, D3])
