import pytest
from sqlalchemy import Column, Integer, String, Table

from finplat.extensions import db as _db
from finplat.security.pii import EncryptedString


@pytest.fixture
def pii_table(db):
    """A table of these tests only, created on the test's connection (so rolled back with it) and in the
    application's metadata for as long as the test runs, where key rotation finds its columns."""
    table = Table("test_pii_holders", _db.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("id_number", EncryptedString()),
                  Column("id_number_index", String(64), info={"blind_index_of": "id_number"}))
    try:
        table.create(db.session.connection())
        yield table
    finally:
        _db.metadata.remove(table)
