"""Parallel guesses cannot outrun the failed-login limits (PostgreSQL: attempts on one account, or from one
address, queue on advisory locks)."""
import threading

import pytest
from sqlalchemy import func, select, text

from finplat.audit.service import AUDIT_LOCK_KEY
from finplat.auth import service
from finplat.auth.models import LoginFailure
from tests.conftest import PASSWORD


def race(app, monkeypatch, bodies_and_addresses):
    """Send the token requests all at once, one thread each; return (password checks made, statuses)."""
    checks, statuses, lock = [], [], threading.Lock()
    real_check = service.check_password

    def counting_check(stored, password):
        with lock:
            checks.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(service, "check_password", counting_check)
    start = threading.Barrier(len(bodies_and_addresses))

    def send(body, address):
        client = app.test_client()
        start.wait()
        resp = client.post("/api/v1/auth/token", json=body, environ_base={"REMOTE_ADDR": address})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in bodies_and_addresses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return checks, sorted(statuses)


@pytest.mark.postgres
def test_thirty_parallel_guesses_get_at_most_the_limit_of_password_checks(app, committed_db, monkeypatch):
    db = committed_db
    inst = service.create_institution("test", {"kind": "rights_centre", "name": "race centre"})
    service.create_user("test", {"username": "racer", "password": PASSWORD, "role": "registrar",
                                 "institution_id": inst.id})
    db.session.remove()
    checks, statuses = race(app, monkeypatch, [({"username": "racer", "password": f"wrong-guess-{i:03d}"},
                                                 f"10.0.0.{i}") for i in range(30)])
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert len(checks) == limit
    assert statuses == [401] * limit + [429] * (30 - limit)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == limit
        db.session.remove()


@pytest.mark.postgres
def test_thirty_parallel_guesses_from_one_address_get_at_most_its_limit(app, committed_db, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 7)
    checks, statuses = race(app, monkeypatch, [({"username": f"sprayed{i:02d}", "password": "x" * 12},
                                                 "192.0.2.50") for i in range(30)])
    assert len(checks) == 7
    assert statuses == [401] * 7 + [429] * 23


@pytest.mark.postgres
def test_login_locks_cannot_collide_with_the_audit_lock(app, committed_db):
    """'u2e4c8207' was found to hash, as 'finplat-login-account:u2e4c8207', onto the audit chain's lock key:
    login locks now live in a two-integer namespace of their own."""
    db = committed_db
    assert db.session.execute(text("SELECT hashtext('finplat-login-account:u2e4c8207')")).scalar() == AUDIT_LOCK_KEY
    db.session.remove()
    with db.engine.connect() as holder, db.engine.connect() as other:
        holder.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:v))"),
                       {"ns": service.LOGIN_ACCOUNT_LOCKS, "v": "u2e4c8207"})
        assert other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY}).scalar() is True
        other.rollback()
        holder.rollback()
