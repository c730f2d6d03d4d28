"""Key rotation: every ciphertext moves under the new key and still reads the same; old keys stay."""
import json

import pytest
from sqlalchemy import Text, select, type_coerce

from finplat.audit import AuditRecord
from finplat.extensions import db as _db
from finplat.security import keys, pii
from finplat.security.rotation import blind_index_columns, encrypted_columns, reencrypt, rotate

VALUES = {1: "110105199001010023", 2: "11010519900101002X", 3: "370102198512120016"}


@pytest.fixture
def own_keyring(app, tmp_path, monkeypatch):
    """The app's keys from an instance folder of this test's own: the session's folder is shared by every
    test, and rotation writes to it."""
    folder = tmp_path / "instance"
    keys.ensure_instance_keys(folder)
    loaded = {"INSTANCE_PATH": str(folder)}
    keys.load_into(loaded)
    assert loaded["PII_KEYRING_SOURCE"] == "file"
    monkeypatch.setattr(app, "instance_path", str(folder))
    for name in ("INSTANCE_PATH", "PII_KEYRING", "PII_KEYRING_SOURCE", "BLIND_INDEX_KEY"):
        monkeypatch.setitem(app.config, name, loaded[name])
    return folder


def keyring_file(folder):
    return json.loads((folder / keys.KEYRING_FILE).read_text())


def fill(db, table, values=VALUES):
    db.session.execute(table.insert(), [{"id": i, "id_number": v, "id_number_index": pii.blind_index(v)}
                                        for i, v in values.items()])
    db.session.execute(table.insert(), [{"id": 99, "id_number": None, "id_number_index": None}])


def tokens(db, table):
    rows = db.session.execute(select(table.c.id, type_coerce(table.c.id_number, Text))
                              .where(table.c.id_number.is_not(None))).all()
    return dict(rows)


def plaintexts(db, table):
    return dict(db.session.execute(select(table.c.id, table.c.id_number).where(table.c.id_number.is_not(None))).all())


def test_rotation_finds_the_encrypted_and_blind_index_columns(pii_table):
    assert (pii_table, pii_table.c.id_number) in list(encrypted_columns(_db.metadata))
    assert (pii_table, pii_table.c.id_number_index, pii_table.c.id_number) in list(blind_index_columns(_db.metadata))


def test_rotate_moves_every_value_under_a_new_key(app, db, own_keyring, pii_table):
    fill(db, pii_table)
    old_text = (own_keyring / keys.KEYRING_FILE).read_text()
    old = json.loads(old_text)
    assert old["current"] == "k1"
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k1"}
    old_indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all())

    lines = rotate(app)

    assert lines == ["new current encryption key k2 written to the instance keyring",
                     "re-encrypted 3 value(s) under key k2"]
    ring = keyring_file(own_keyring)
    assert (own_keyring / keys.KEYRING_FILE).read_text() != old_text
    assert ring["current"] == "k2"
    assert ring["keys"]["k1"] == old["keys"]["k1"] and set(ring["keys"]) == {"k1", "k2"}
    assert ring["blind_index_key"] == old["blind_index_key"]
    assert app.config["PII_KEYRING"] == {"current": "k2", "keys": ring["keys"]}

    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k2"}
    assert plaintexts(db, pii_table) == VALUES
    assert db.session.execute(select(pii_table.c.id_number).where(pii_table.c.id == 99)).scalar_one() is None
    # The blind-index key did not change, so neither did the indexes
    assert dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all()) == old_indexes

    rec = db.session.execute(select(AuditRecord).where(AuditRecord.action == "keys.rotate")).scalar_one()
    assert rec.object_id == "k2"
    assert json.loads(rec.after) == {"reencrypted": 3, "reindexed": 0}

    # Again: a third key, the first two kept
    assert rotate(app)[-1] == "re-encrypted 3 value(s) under key k3"
    assert set(keyring_file(own_keyring)["keys"]) == {"k1", "k2", "k3"}
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k3"}
    assert plaintexts(db, pii_table) == VALUES


def test_rotate_with_blind_index_recomputes_the_indexes(app, db, own_keyring, pii_table):
    fill(db, pii_table)
    old = keyring_file(own_keyring)
    old_indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)
                                          .where(pii_table.c.id_number.is_not(None))).all())

    lines = rotate(app, blind_index=True)

    assert lines[-1] == "re-encrypted 3 value(s) under key k2; recomputed 3 blind index(es)"
    ring = keyring_file(own_keyring)
    assert ring["blind_index_key"] != old["blind_index_key"]
    assert app.config["BLIND_INDEX_KEY"] == ring["blind_index_key"]
    indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)
                                      .where(pii_table.c.id_number.is_not(None))).all())
    assert indexes == {i: pii.blind_index(v) for i, v in VALUES.items()}
    assert all(indexes[i] != old_indexes[i] for i in VALUES)
    found = db.session.execute(select(pii_table.c.id)
                               .where(pii_table.c.id_number_index == pii.blind_index(" 11010519900101002x"))).scalar()
    assert found == 2


def test_blind_index_key_from_the_environment_is_not_rotated_in_the_file(app, db, own_keyring, pii_table,
                                                                          monkeypatch):
    """FINPLAT_BLIND_INDEX_KEY wins over the keyring file at every start: indexes recomputed with a new key
    written to the file would stop matching after a restart."""
    fill(db, pii_table)
    monkeypatch.setitem(app.config, "BLIND_INDEX_KEY", keys.new_key())  # as FINPLAT_BLIND_INDEX_KEY sets it
    file_text = (own_keyring / keys.KEYRING_FILE).read_text()
    indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all())

    with pytest.raises(ValueError, match="FINPLAT_BLIND_INDEX_KEY"):
        rotate(app, blind_index=True)

    assert (own_keyring / keys.KEYRING_FILE).read_text() == file_text
    assert dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all()) == indexes


def test_reencrypt_rewrites_only_values_not_under_the_current_key(app, db, own_keyring, pii_table, monkeypatch):
    fill(db, pii_table, {1: VALUES[1], 2: VALUES[2]})
    ring = dict(app.config["PII_KEYRING"])
    monkeypatch.setitem(app.config, "PII_KEYRING", {"current": "k2", "keys": {**ring["keys"], "k2": keys.new_key()}})
    fill_one = {"id": 3, "id_number": VALUES[3], "id_number_index": pii.blind_index(VALUES[3])}
    db.session.execute(pii_table.insert(), [fill_one])
    before = tokens(db, pii_table)
    assert {i: pii.keyring().key_id_of(t) for i, t in before.items()} == {1: "k1", 2: "k1", 3: "k2"}

    assert reencrypt(db.session, [(pii_table, pii_table.c.id_number)]) == 2

    after = tokens(db, pii_table)
    assert after[3] == before[3]  # already under the current key: untouched
    assert after[1] != before[1] and after[2] != before[2]
    assert {pii.keyring().key_id_of(t) for t in after.values()} == {"k2"}
    assert plaintexts(db, pii_table) == VALUES

    assert reencrypt(db.session, [(pii_table, pii_table.c.id_number)]) == 0
    assert tokens(db, pii_table) == after


def test_rotate_with_environment_keys_moves_values_under_the_first(app, db, own_keyring, pii_table, monkeypatch):
    fill(db, pii_table)
    file_text = (own_keyring / keys.KEYRING_FILE).read_text()
    old = dict(app.config["PII_KEYRING"])
    new_key = keys.new_key()
    monkeypatch.setitem(app.config, "PII_KEYRING_SOURCE", "environment")
    monkeypatch.setitem(app.config, "PII_KEYRING", keys.parse_env_keys(f"k2:{new_key},k1:{old['keys']['k1']}"))

    assert rotate(app) == ["re-encrypted 3 value(s) under key k2"]
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k2"}
    assert plaintexts(db, pii_table) == VALUES
    assert (own_keyring / keys.KEYRING_FILE).read_text() == file_text  # the operator owns environment keys

    with pytest.raises(ValueError, match="FINPLAT_BLIND_INDEX_KEY"):
        rotate(app, blind_index=True)


def test_cli_keys_rotate(app, db, own_keyring, pii_table, monkeypatch):
    fill(db, pii_table)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "new current encryption key k2 written to the instance keyring" in result.output
    assert "re-encrypted 3 value(s) under key k2" in result.output
    assert keyring_file(own_keyring)["current"] == "k2"
    assert plaintexts(db, pii_table) == VALUES

    monkeypatch.setitem(app.config, "PII_KEYRING_SOURCE", "environment")
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--blind-index"])
    assert result.exit_code == 1
    assert "FINPLAT_BLIND_INDEX_KEY" in result.output
