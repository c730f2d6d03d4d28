"""Test set-up: the schema is migrated once per session; each test runs in a transaction rolled back at the
end (services' commits become savepoints). Tests that need real commits across connections (locks,
concurrency) use `committed_db`, which empties the tables afterwards.

The database is PostgreSQL when FINPLAT_TEST_DATABASE_URL is set (CI sets it), SQLite otherwise.
"""
import os
import re
from datetime import date

import pytest
from argon2 import PasswordHasher
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from finplat import MIGRATIONS_DIR, create_app
from finplat.auth import passwords
from finplat.extensions import db as _db
from finplat.contracts.pki import ensure_ca
from finplat.security.keys import ensure_instance_keys

class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine per model and ignores `bind`: honour it, so that every
    statement of the test runs on the test's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, bind, **kwargs)


PG_URL = os.environ.get("FINPLAT_TEST_DATABASE_URL")
# The suite runs on its own settings, whatever FINPLAT_* the developer's shell exports.
for _name in [n for n in os.environ if n.startswith("FINPLAT_") and not n.startswith("FINPLAT_TEST")]:
    del os.environ[_name]
OPEN_DATE = date(2026, 11, 23)
PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    if os.environ.get("CI") and not os.environ.get("FINPLAT_TEST_SQLITE"):
        raise pytest.UsageError("CI must set FINPLAT_TEST_DATABASE_URL: PostgreSQL tests are never skipped in CI")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set FINPLAT_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_hashing(request, monkeypatch):
    """Cheap argon2 parameters: hashing is not what most tests are about. Tests marked real_argon2 keep the
    production parameters."""
    if request.node.get_closest_marker("real_argon2") is None:
        monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    ensure_instance_keys(path)
    ensure_ca(path)
    return path


@pytest.fixture(scope="session")
def app(instance_dir):
    url = PG_URL or f"sqlite:///{instance_dir / 'test.db'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance_dir), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "test-secret-key", "ENCRYPTION_KEYS": None})
    with app.app_context():
        if PG_URL:
            name = _db.engine.url.database or ""
            if not (name == "test" or name.startswith("finplat_test") or name.endswith("_test")):
                raise pytest.UsageError(f"refusing to empty database {name!r}: not a test database")
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade
        upgrade(directory=MIGRATIONS_DIR)
        from finplat import cob
        cob.ensure_calendar(OPEN_DATE)
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """A session whose work is rolled back after the test."""
    with app.app_context():
        conn = _db.engine.connect()
        outer = conn.begin()
        original = _db.session
        _db.session = _db._make_scoped_session({"bind": conn, "join_transaction_mode": "create_savepoint",
                                                   "class_": BoundSession})
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            conn.close()


@pytest.fixture
def committed_db(app):
    """Real commits (for locks and threads); every table is emptied afterwards, the calendar reset."""
    from finplat import cob
    with app.app_context():
        yield _db
        _db.session.remove()
        tables = [t for t in _db.metadata.sorted_tables if t.name != "business_calendar"]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
                conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
                conn.execute(text("ALTER TABLE audit_records ENABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER audit_records_no_delete"))
                for t in reversed(tables):
                    conn.execute(t.delete())
                conn.execute(text("CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
                                  "BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END"))
            conn.execute(cob.BusinessCalendar.__table__.update().values(open_date=OPEN_DATE))


@pytest.fixture
def client(app, db):
    return app.test_client()


# --- factories: fixtures that return callables

@pytest.fixture
def make_institution(db):
    from finplat.auth import service
    counter = iter(range(1, 10_000))

    def make(kind="bank", name=None, **extra):
        data = {"kind": kind, "name": name or f"{kind}-{next(counter)}", **extra}
        if kind == "appraisal_agency":
            data.setdefault("certification_no", "鲁评-TEST-001")
        return service.create_institution("test", data)
    return make


@pytest.fixture
def make_user(db, make_institution):
    from finplat.auth import service
    from finplat.auth.roles import ROLE_INSTITUTION_KIND
    counter = iter(range(1, 10_000))

    def make(role="loan_officer", institution=None, username=None, password=PASSWORD, **extra):
        kind = ROLE_INSTITUTION_KIND[role]
        if institution is None and kind:
            institution = make_institution(kind)
        return service.create_user("test", {"username": username or f"{role}{next(counter)}", "password": password,
                                            "role": role, "institution_id": institution.id if institution else None,
                                            **extra})
    return make


@pytest.fixture
def make_party(db):
    """make_party(kind="household", **columns): a registry party with a valid, unique identity number."""
    import random

    from finplat.registry.identity import id_check_char, uscc_check_char
    from finplat.registry.models import Party
    from finplat.security.pii import blind_index
    rng = random.Random(20261123)

    def make(kind="household", name=None, region_code="370103", **extra):
        party = Party(kind=kind, name=name or f"{kind}-{rng.randint(0, 10**6)}", region_code=region_code,
                      village=extra.pop("village", "宅科村"), **extra)
        if kind == "household":
            body = f"{region_code}{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
                   f"{rng.randint(0, 999):03d}"
            party.id_number = body + id_check_char(body)
            party.id_number_index = blind_index(party.id_number)
        else:
            body = ("93" if kind == "collective" else "91") + region_code + \
                "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
            party.uscc = body + uscc_check_char(body)
        db.session.add(party)
        db.session.commit()
        return party
    return make


@pytest.fixture
def make_member(db):
    """make_member(household, name, relation="配偶"): a household member (a co-owner) with a valid ID number."""
    from finplat.registry.identity import id_check_char
    from finplat.registry.models import HouseholdMember
    from finplat.security.pii import blind_index
    serials = iter(range(100, 1000))

    def make(household, name, relation="配偶"):
        body = f"37010319850301{next(serials):03d}"
        number = body + id_check_char(body)
        member = HouseholdMember(household_id=household.id, name=name, relation=relation, id_number=number,
                                 id_number_index=blind_index(number))
        db.session.add(member)
        db.session.commit()
        return member
    return make


@pytest.fixture
def auth_header(client):
    """auth_header(user) -> {"Authorization": "Bearer ..."} from a real POST /auth/token."""
    def make(user, password=PASSWORD):
        resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}
    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def browser(app, db):
    """browser(user): a client of its own, logged in through the login form."""
    def open_as(user, password=PASSWORD):
        client = app.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))
        resp = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
        assert resp.status_code == 302
        return client
    return open_as


@pytest.fixture
def login(client):
    """login(user): a browser-style login through the form, CSRF token included."""
    def do(user, password=PASSWORD):
        page = client.get("/login")
        resp = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": csrf_token(page.get_data(as_text=True))})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp
    return do
