from datetime import timedelta

from sqlalchemy import select

from finplat.auth.models import ApiToken, LoginFailure
from finplat.auth.service import hash_token
from finplat.columns import utcnow
from tests.conftest import PASSWORD


def test_token_flow_me(client, make_user):
    officer = make_user("loan_officer", username="li_officer")
    resp = client.post("/api/v1/auth/token", json={"username": "li_officer", "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.get_json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json() == {"id": officer.id, "username": "li_officer", "role": "loan_officer",
                             "institution_id": officer.institution_id, "party_id": None}


def test_token_is_stored_hashed_with_expiry(client, db, make_user):
    make_user("admin", username="root1")
    raw = client.post("/api/v1/auth/token", json={"username": "root1", "password": PASSWORD}).get_json()["token"]
    stored = db.session.execute(select(ApiToken)).scalar_one()
    assert stored.token_hash == hash_token(raw) != raw
    assert timedelta(hours=11) < stored.expires_at - utcnow() <= timedelta(hours=12)


def test_expired_token_is_refused(client, db, make_user):
    make_user("admin", username="root2")
    raw = client.post("/api/v1/auth/token", json={"username": "root2", "password": PASSWORD}).get_json()["token"]
    stored = db.session.execute(select(ApiToken)).scalar_one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_no_or_garbage_token_is_401(client):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_wrong_password_is_401_and_recorded(client, db, make_user):
    make_user("registrar", username="wang_reg")
    resp = client.post("/api/v1/auth/token", json={"username": "wang_reg", "password": "wrong-password!"})
    assert resp.status_code == 401
    assert db.session.execute(select(LoginFailure.username)).scalars().all() == ["wang_reg"]


def test_failed_logins_are_rate_limited_per_account(client, app, make_user):
    make_user("registrar", username="target")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert client.post("/api/v1/auth/token", json={"username": "target", "password": "x" * 12}).status_code == 401
    # Locked now, even with the right password
    resp = client.post("/api/v1/auth/token", json={"username": "target", "password": PASSWORD})
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "too_many_attempts"


def test_failed_logins_are_rate_limited_per_address(client, app, make_user):
    make_user("registrar", username="victim")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):  # a spray over many accounts from one address
        client.post("/api/v1/auth/token", json={"username": f"guess{i}", "password": "x" * 12})
    resp = client.post("/api/v1/auth/token", json={"username": "victim", "password": PASSWORD})
    assert resp.status_code == 429


def test_successful_logins_are_not_counted(client, app, make_user):
    make_user("registrar", username="often")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] + 3):
        assert client.post("/api/v1/auth/token", json={"username": "often", "password": PASSWORD}).status_code == 200


def test_a_revoked_token_stops_working(client, db, make_user):
    make_user("registrar", username="leaver")
    raw = client.post("/api/v1/auth/token", json={"username": "leaver", "password": PASSWORD}).get_json()["token"]
    header = {"Authorization": f"Bearer {raw}"}
    assert client.delete("/api/v1/auth/token", headers=header).status_code == 204
    assert client.get("/api/v1/me", headers=header).status_code == 401
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None


def test_a_weak_hash_is_upgraded_at_the_next_login(client, db, make_user, monkeypatch):
    from argon2 import PasswordHasher

    from finplat.auth import passwords
    from finplat.auth.models import User
    user = make_user("registrar", username="old_hash")
    weak = user.password_hash
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert client.post("/api/v1/auth/token", json={"username": "old_hash", "password": PASSWORD}).status_code == 200
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored != weak and "m=2048,t=2" in stored
    assert passwords.check_password(stored, PASSWORD)
