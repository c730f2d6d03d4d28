import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from finplat import audit
from finplat.audit import AuditRecord
from tests.conftest import OPEN_DATE


def test_records_carry_the_open_business_date(db):
    rec = audit.record("test", "test.action", "thing", 1, after={"x": 1})
    assert rec.business_date == OPEN_DATE
    assert db.session.execute(select(AuditRecord.business_date).where(AuditRecord.id == rec.id)).scalar() == OPEN_DATE


@pytest.mark.postgres
def test_truncate_is_refused(db):
    audit.record("test", "test.action", "thing", 1)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_records"))
