"""The audit log: hash-chained, append-only in the database, verified record by record."""
import json
import threading
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from finplat import audit, cob
from finplat.audit import AuditRecord
from finplat.audit.service import GENESIS, digest
from tests.conftest import OPEN_DATE


def all_records(session):
    return session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()


def count(session, **where):
    query = select(func.count()).select_from(AuditRecord)
    for column, value in where.items():
        query = query.where(getattr(AuditRecord, column) == value)
    return session.execute(query).scalar_one()


@pytest.fixture
def records(db):
    """Four committed records after whatever the chain already holds."""
    made = [
        audit.record("test", "loan.approve", "loan", 1, before={"status": "submitted"},
                     after={"status": "approved", "amount": Decimal("500000.00")}, business_date=OPEN_DATE),
        audit.record(None, "party.update", "party", "P-7", before={"name": "张三"}, after={"name": "张叁"}),
        audit.record("cli", "rate.load", "lpr", None, after={"effective": date(2026, 11, 20), "rate": "3.10"}),
        audit.record("test", "loan.disburse", "loan", 1, after={"amount": "500000.00"}, business_date=OPEN_DATE),
    ]
    db.session.commit()
    return made


@contextmanager
def triggers_bypassed(session):
    """Let this transaction change audit_records as someone with direct database access could."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    else:
        triggers = session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'audit_records'")).all()
        assert len(triggers) == 2
        for name, _ in triggers:
            session.execute(text(f"DROP TRIGGER {name}"))
        yield
        for _, sql in triggers:
            session.execute(text(sql))


def test_chain_verifies_after_several_records(db, records):
    chain = all_records(db.session)
    verdict = audit.verify()
    assert verdict.ok and verdict.broken_id is None
    assert verdict.checked == len(chain) >= 4

    assert chain[0].prev_hash == GENESIS
    for before, rec in zip(chain, chain[1:]):
        assert rec.prev_hash == before.hash
    assert all(digest(rec) == rec.hash for rec in chain)
    assert records[0].actor == "test" and records[1].actor == "system" and records[1].actor_id is None
    assert json.loads(records[0].after) == {"status": "approved", "amount": "500000.00"}
    assert json.loads(records[1].after) == {"name": "张叁"}


def test_record_names_a_user_actor(db, make_user, records):
    officer = make_user("loan_officer", username="zhao_lo")
    rec = audit.record(officer, "loan.file", "loan", 9)
    assert (rec.actor_id, rec.actor) == (officer.id, "loan_officer:zhao_lo")


def test_an_edited_record_breaks_the_chain_at_that_record(db, records):
    target = records[1]
    before_target = count(db.session) - 3  # the records up to (not including) the edited one
    with triggers_bypassed(db.session):
        db.session.execute(update(AuditRecord).where(AuditRecord.id == target.id)
                           .values(after=json.dumps({"name": "李四"})))

    verdict = audit.verify()
    assert not verdict.ok
    assert verdict.broken_id == target.id
    assert "content" in verdict.reason
    assert verdict.checked == before_target


def test_verify_reads_the_database_not_the_session(db, records):
    """Records this session already holds in memory do not hide an edit made in the database."""
    loaded = all_records(db.session)
    with triggers_bypassed(db.session):
        db.session.execute(update(AuditRecord).where(AuditRecord.id == records[3].id)
                           .values(after=json.dumps({"amount": "5000000.00"})),
                           execution_options={"synchronize_session": False})
    assert json.loads(loaded[-1].after) == {"amount": "500000.00"}

    verdict = audit.verify()
    assert (verdict.ok, verdict.broken_id) == (False, records[3].id)


def test_an_edit_that_also_rewrites_the_hash_is_caught_at_the_next_record(db, records):
    target = records[1]
    with triggers_bypassed(db.session):
        db.session.execute(update(AuditRecord).where(AuditRecord.id == target.id).values(actor="someone-else"))
        db.session.expire_all()
        forged = db.session.get(AuditRecord, target.id)
        db.session.execute(update(AuditRecord).where(AuditRecord.id == target.id).values(hash=digest(forged)))

    verdict = audit.verify()
    assert (verdict.ok, verdict.broken_id) == (False, records[2].id)
    assert "prev_hash" in verdict.reason


def test_a_deleted_record_breaks_the_chain_at_the_next_one(db, records):
    with triggers_bypassed(db.session):
        db.session.execute(delete(AuditRecord).where(AuditRecord.id == records[1].id))

    verdict = audit.verify()
    assert not verdict.ok
    assert verdict.broken_id == records[2].id
    assert "prev_hash" in verdict.reason and "removed" in verdict.reason


def test_the_database_refuses_update(db, records):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(update(AuditRecord).where(AuditRecord.id == records[0].id).values(actor="mallory"))
    db.session.expire_all()
    assert db.session.get(AuditRecord, records[0].id).actor == "test"

    # Through the ORM as well
    rec = db.session.get(AuditRecord, records[3].id)
    rec.action = "loan.cancel"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditRecord, records[3].id).action == "loan.disburse"
    assert audit.verify().ok


def test_the_database_refuses_delete(db, records):
    total = count(db.session)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(delete(AuditRecord).where(AuditRecord.id == records[1].id))
    assert count(db.session) == total
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(delete(AuditRecord))
    assert count(db.session) == total
    assert audit.verify().ok


def test_cli_verify_intact_chain(db, app, records):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"audit chain intact: {count(db.session)} records" in result.output


def test_cli_verify_names_the_broken_record(db, app, records):
    with triggers_bypassed(db.session):
        db.session.execute(update(AuditRecord).where(AuditRecord.id == records[2].id)
                           .values(after=json.dumps({"effective": "2026-11-21", "rate": "3.10"})))

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at audit record {records[2].id}:" in result.output
    assert "content" in result.output


def test_a_rolled_back_change_leaves_no_audit_record(db):
    total = count(db.session)
    cal = db.session.get(cob.BusinessCalendar, 1)
    cal.open_date = date(2030, 1, 1)
    audit.record("test", "calendar.move", "business_date", after={"open_date": cal.open_date})
    assert count(db.session, action="calendar.move") == 1  # written in the change's transaction
    db.session.rollback()

    assert cob.open_date() == OPEN_DATE
    assert count(db.session) == total
    assert count(db.session, action="calendar.move") == 0

    cal = db.session.get(cob.BusinessCalendar, 1)
    cal.open_date = date(2030, 1, 1)
    audit.record("test", "calendar.move", "business_date", after={"open_date": cal.open_date})
    db.session.commit()
    assert count(db.session, action="calendar.move") == 1
    assert cob.open_date() == date(2030, 1, 1)
    assert audit.verify().ok


@pytest.mark.postgres
def test_the_record_commits_with_the_change_and_not_before(app, committed_db):
    session = committed_db.session
    cal = session.get(cob.BusinessCalendar, 1)
    cal.open_date = date(2030, 1, 1)
    audit.record("test", "calendar.move", "business_date", after={"open_date": cal.open_date})
    session.flush()

    def seen_elsewhere():
        with committed_db.engine.connect() as other:
            moved = other.execute(select(cob.BusinessCalendar.open_date)).scalar_one() == date(2030, 1, 1)
            recorded = other.execute(select(func.count()).select_from(AuditRecord)
                                     .where(AuditRecord.action == "calendar.move")).scalar_one()
            return moved, recorded

    assert seen_elsewhere() == (False, 0)
    session.commit()
    assert seen_elsewhere() == (True, 1)


def test_concurrent_appends_keep_the_chain(app, committed_db):
    """Appends from many connections at once: each links to the one before it."""
    errors = []

    def writer(n):
        with app.app_context():
            try:
                for i in range(5):
                    audit.record("test", "concurrent.append", "writer", f"{n}-{i}")
                    committed_db.session.commit()
            except Exception as exc:  # collected and asserted on in the test's thread
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    assert count(committed_db.session, action="concurrent.append") == 30
    verdict = audit.verify()
    assert verdict.ok, verdict
    assert verdict.checked == count(committed_db.session)
