"""Key rotation: every ciphertext moves under the new key and still reads the same; old keys stay."""
import json

import pytest
from sqlalchemy import Text, select, type_coerce

from finplat import create_app
from finplat.audit import AuditRecord
from finplat.extensions import db as _db
from finplat.security import keys, pii, rotation
from finplat.security.rotation import (blind_index_columns, encrypted_columns, reencrypt, rotate,
                                       values_to_visit)

VALUES = {1: "110105199001010023", 2: "11010519900101002X", 3: "370102198512120016"}


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
    assert (pii_table, pii_table.c.spouse_id_number) in list(encrypted_columns(_db.metadata))
    assert (pii_table, pii_table.c.id_number_index, pii_table.c.id_number) in list(blind_index_columns(_db.metadata))


def test_rotate_moves_every_value_under_a_new_key(app, db, own_keyring, pii_table):
    fill(db, pii_table)
    old_text = (own_keyring / keys.KEYRING_FILE).read_text()
    old = json.loads(old_text)
    assert old["current"] == "k1"
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k1"}
    old_indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all())

    lines = rotate(app)

    assert lines == ["instance keyring: new current encryption key k2 (k1 kept to read older values)",
                     "re-encrypted 3 value(s) under key k2",
                     "running servers pick up the new keyring file by themselves: no restart needed"]
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
    assert rotate(app)[:2] == ["instance keyring: new current encryption key k3 (k1, k2 kept to read older values)",
                               "re-encrypted 3 value(s) under key k3"]
    assert set(keyring_file(own_keyring)["keys"]) == {"k1", "k2", "k3"}
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"k3"}
    assert plaintexts(db, pii_table) == VALUES


def test_rotate_with_blind_index_recomputes_the_indexes(app, db, own_keyring, pii_table):
    fill(db, pii_table)
    old = keyring_file(own_keyring)
    old_indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)
                                          .where(pii_table.c.id_number.is_not(None))).all())

    lines = rotate(app, blind_index=True)

    assert lines == ["instance keyring: new current encryption key k2 (k1 kept to read older values)",
                     "instance keyring: new blind-index key",
                     "re-encrypted 3 value(s) under key k2",
                     "recomputed 3 blind index(es)",
                     "running servers pick up the new keyring file by themselves: no restart needed"]
    ring = keyring_file(own_keyring)
    assert ring["blind_index_key"] != old["blind_index_key"]
    assert app.config["PII_BLIND_KEY"] == ring["blind_index_key"]
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
    keys.load_into(app.config)
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
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", f"e2:{keys.new_key()},k1:{old['keys']['k1']}")
    keys.load_into(app.config)
    assert app.config["PII_KEYRING_SOURCE"] == "environment"

    assert rotate(app) == ["encryption keys from FINPLAT_ENCRYPTION_KEYS: current key e2, its first",
                           "re-encrypted 3 value(s) under key e2",
                           "every server must run with this FINPLAT_ENCRYPTION_KEYS before older keys leave it"]
    assert {pii.keyring().key_id_of(t) for t in tokens(db, pii_table).values()} == {"e2"}
    assert plaintexts(db, pii_table) == VALUES
    assert (own_keyring / keys.KEYRING_FILE).read_text() == file_text  # the operator owns environment keys

    # The blind-index key still comes from the file: that one is rotated there
    assert rotate(app, blind_index=True)[1:4] == ["instance keyring: new blind-index key",
                                                  "re-encrypted 0 value(s) under key e2",
                                                  "recomputed 3 blind index(es)"]
    ring = keyring_file(own_keyring)
    assert ring["keys"] == json.loads(file_text)["keys"] and ring["current"] == "k1"
    assert ring["blind_index_key"] != json.loads(file_text)["blind_index_key"]
    assert app.config["PII_KEYRING"]["current"] == "e2"
    found = db.session.execute(select(pii_table.c.id).where(pii_table.c.id_number_index == pii.blind_index(VALUES[3])))
    assert found.scalar() == 3


def test_cli_keys_rotate(app, db, own_keyring, pii_table, monkeypatch):
    fill(db, pii_table)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "instance keyring: new current encryption key k2 (k1 kept to read older values)",
        "re-encrypted 3 value(s) under key k2",
        "running servers pick up the new keyring file by themselves: no restart needed"]
    assert "rewriting personal data" in result.stderr  # the progress bar, on stderr
    assert keyring_file(own_keyring)["current"] == "k2"
    assert plaintexts(db, pii_table) == VALUES

    monkeypatch.setitem(app.config, "BLIND_INDEX_KEY", keys.new_key())
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--blind-index"])
    assert result.exit_code == 1
    assert "FINPLAT_BLIND_INDEX_KEY" in result.stderr


@pytest.fixture
def other_server(app, own_keyring):
    """A second app on the same instance folder and database, as another gunicorn worker or process is:
    it loads its keys once, at start, before the rotation."""
    other = create_app({"TESTING": True, "INSTANCE_PATH": str(own_keyring), "SECRET_KEY": "other",
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "ENCRYPTION_KEYS": None, "BLIND_INDEX_KEY": None})
    yield other
    with other.app_context():
        _db.engine.dispose()


def test_another_server_follows_a_rotation_without_restart(app, db, own_keyring, pii_table, other_server):
    fill(db, pii_table)
    with other_server.app_context():
        assert pii.keyring().current == "k1"
        before = pii.blind_index(VALUES[1])

    rotate(app, blind_index=True)

    stored = tokens(db, pii_table)
    indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all())
    column_type = pii_table.c.id_number.type
    with other_server.app_context():
        assert {i: column_type.process_result_value(t, None) for i, t in stored.items()} == VALUES
        assert {i: pii.blind_index(v) for i, v in VALUES.items()} == {i: indexes[i] for i in VALUES}
        assert pii.blind_index(VALUES[1]) != before
        assert pii.keyring().key_id_of(column_type.process_bind_param(VALUES[1], None)) == "k2"


def test_environment_keys_of_another_server_still_win_after_a_rotation(app, db, own_keyring, pii_table,
                                                                        other_server, monkeypatch):
    env_key = keys.new_key()
    monkeypatch.setitem(other_server.config, "ENCRYPTION_KEYS", f"e1:{env_key}")
    keys.load_into(other_server.config)
    rotate(app, blind_index=True)
    with other_server.app_context():
        assert pii.keyring().current == "e1"
        assert pii.keyring().blind_key == pii.Keyring("x", {}, keyring_file(own_keyring)["blind_index_key"]).blind_key


@pytest.mark.parametrize("failing", ["reencrypt", "reindex", "commit"])
def test_a_failed_rotation_restores_the_keyring(app, db, own_keyring, pii_table, monkeypatch, failing):
    """The file is written before the database work: when that fails, the values keep their key and their
    indexes, and so the file keeps its current key and blind-index key."""
    fill(db, pii_table)
    db.session.commit()  # the rows outlive the rotation's rollback
    old, old_tokens = keyring_file(own_keyring), tokens(db, pii_table)
    old_indexes = dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all())

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")
    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="went away"):
        patch.setattr(*(db.session, "commit") if failing == "commit" else (rotation, failing), fail)
        rotate(app, blind_index=True)

    ring = keyring_file(own_keyring)
    assert ring["current"] == "k1" and ring["blind_index_key"] == old["blind_index_key"]
    assert ring["keys"]["k1"] == old["keys"]["k1"]
    assert set(ring["keys"]) == {"k1", "k2"}  # kept, unused, in case another process already encrypted with it
    assert app.config["PII_KEYRING"]["current"] == "k1" and app.config["PII_BLIND_KEY"] == old["blind_index_key"]
    assert tokens(db, pii_table) == old_tokens
    assert dict(db.session.execute(select(pii_table.c.id, pii_table.c.id_number_index)).all()) == old_indexes
    assert plaintexts(db, pii_table) == VALUES
    assert db.session.execute(select(AuditRecord).where(AuditRecord.action == "keys.rotate")).first() is None

    assert rotate(app, blind_index=True)[0] == "instance keyring: new current encryption key k3 (k1, k2 kept to " \
                                               "read older values)"
    assert plaintexts(db, pii_table) == VALUES


def test_progress_counts_every_value_visited(app, db, own_keyring, pii_table):
    fill(db, pii_table)
    db.session.execute(pii_table.update().where(pii_table.c.id == 1).values(spouse_id_number=VALUES[2]))
    assert values_to_visit(db.session, _db.metadata) == 4
    assert values_to_visit(db.session, _db.metadata, blind_index=True) == 7
    steps = []
    rotate(app, blind_index=True, progress=steps.append)
    assert steps == [1] * 7
    assert db.session.execute(select(pii_table.c.spouse_id_number).where(pii_table.c.id == 1)).scalar() == VALUES[2]


def test_rotations_never_overlap(app, db, own_keyring, pii_table):
    import fcntl

    from finplat.security.rotation import rotate
    before = keys.read_keyring_file(own_keyring)
    with open(own_keyring / ".pii_keys.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another rotation is under way
        with pytest.raises(ValueError, match="another key rotation is running"):
            rotate(app)
    assert keys.read_keyring_file(own_keyring) == before
    rotate(app)  # and once it is over, this one runs
    assert keys.read_keyring_file(own_keyring)["current"] != before["current"]


def test_a_failed_rotation_keeps_keys_another_rotation_added(app, db, own_keyring, pii_table, monkeypatch):
    """Should the file gain a key while this rotation runs, restoring after a failure keeps it."""
    from finplat.security import rotation
    real_reencrypt = rotation.reencrypt

    def meanwhile_then_fail(*args, **kwargs):
        real_reencrypt(*args, **kwargs)
        ring = keys.read_keyring_file(own_keyring)
        ring["keys"]["k9"] = keys.new_key()
        keys.write_keyring(own_keyring, ring)
        raise RuntimeError("disk full")

    monkeypatch.setattr(rotation, "reencrypt", meanwhile_then_fail)
    before = keys.read_keyring_file(own_keyring)
    with pytest.raises(RuntimeError, match="disk full"):
        rotation.rotate(app)
    after = keys.read_keyring_file(own_keyring)
    assert after["current"] == before["current"] and after["blind_index_key"] == before["blind_index_key"]
    assert {"k1", "k2", "k9"} <= set(after["keys"])
