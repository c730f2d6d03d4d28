"""Parallel guesses cannot outrun the failed-login limit (PostgreSQL: attempts on one account queue on an
advisory lock)."""
import threading

import pytest
from sqlalchemy import func, select

from finplat.auth import service
from finplat.auth.models import LoginFailure
from tests.conftest import PASSWORD


@pytest.mark.postgres
def test_thirty_parallel_guesses_get_at_most_the_limit_of_password_checks(app, committed_db, monkeypatch):
    db = committed_db
    inst = service.create_institution("test", {"kind": "rights_centre", "name": "race centre"})
    service.create_user("test", {"username": "racer", "password": PASSWORD, "role": "registrar",
                                 "institution_id": inst.id})
    db.session.remove()
    checks, lock = [], threading.Lock()
    real_check = service.check_password

    def counting_check(stored, password):
        with lock:
            checks.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(service, "check_password", counting_check)
    statuses, start = [], threading.Barrier(30)

    def guess(i):
        client = app.test_client()
        start.wait()
        resp = client.post("/api/v1/auth/token", json={"username": "racer", "password": f"wrong-guess-{i:03d}"},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert len(checks) == limit
    assert sorted(statuses) == [401] * limit + [429] * (30 - limit)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == limit
        db.session.remove()
