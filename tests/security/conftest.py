import pytest
from sqlalchemy import Column, Integer, String, Table

from finplat.extensions import db as _db
from finplat.security import keys
from finplat.security.pii import EncryptedString


@pytest.fixture
def pii_table(db):
    """A table of these tests only, created on the test's connection (so rolled back with it) and in the
    application's metadata for as long as the test runs, where key rotation finds its columns."""
    table = Table("test_pii_holders", _db.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("id_number", EncryptedString("test_pii_holders.id_number")),
                  Column("id_number_index", String(64), info={"blind_index_of": "id_number"}),
                  Column("spouse_id_number", EncryptedString("test_pii_holders.spouse_id_number")))
    try:
        table.create(db.session.connection())
        yield table
    finally:
        _db.metadata.remove(table)


@pytest.fixture
def own_keyring(app, tmp_path, monkeypatch):
    """The app's keys from an instance folder of this test's own: the session's folder is shared by every
    test, and rotation writes to it. Everything derived from the keys is restored afterwards."""
    folder = tmp_path / "instance"
    keys.ensure_instance_keys(folder)
    monkeypatch.setattr(app, "instance_path", str(folder))
    monkeypatch.setitem(app.config, "INSTANCE_PATH", str(folder))
    for name in keys.DERIVED:
        monkeypatch.setitem(app.config, name, app.config.get(name))
    keys.load_into(app.config)
    assert app.config["PII_KEYRING_SOURCE"] == "file"
    return folder
