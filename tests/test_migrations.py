"""The migrations build, from an empty database, exactly the schema the models describe, on SQLite and
PostgreSQL, and come down again."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from finplat import MIGRATIONS_DIR, create_app
from finplat.extensions import db
from tests.conftest import PG_URL


@pytest.fixture
def empty_database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"finplat_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database_url, instance_dir):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance_dir),
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diffs == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"institutions", "users", "api_tokens", "audit_records", "business_calendar", "cob_runs"} <= tables

        downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS_DIR)
        assert "users" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_sqlite_upgrade_keeps_rows_of_tables_it_rebuilds(tmp_path, instance_dir):
    """0002 rebuilds `users` on SQLite (batch mode) to add a foreign key: tokens pointing at users survive."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance_dir), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO institutions (kind, name, created_at) VALUES ('platform', 'p', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO users (username, password_hash, role, institution_id, active, created_at) "
                              "VALUES ('u', 'x', 'admin', 1, 1, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) "
                              "VALUES (1, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1
            assert conn.execute(text("SELECT username FROM users")).scalar() == "u"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
