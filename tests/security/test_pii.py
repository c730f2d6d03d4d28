"""Personal data at rest: AES-GCM ciphertexts tagged with their key id and bound to their column, a keyed
blind index, masking."""
import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import Text, select, type_coerce, update

from finplat.security import keys, pii
from finplat.security.pii import EncryptedString, Keyring, KeyringMissing, mask

ID_NUMBER = "110105199001010023"
ID_NUMBER_X = "11010519900101002X"
AAD = "parties.id_number"


@pytest.fixture
def ring():
    return Keyring("k1", {"k1": keys.new_key()}, keys.new_key())


def raw(column):
    return type_coerce(column, Text)


def test_round_trip(ring):
    for value in (ID_NUMBER, ID_NUMBER_X, "张三 13800138000", ""):
        assert ring.decrypt(ring.encrypt(value, AAD), AAD) == value


def test_ciphertext_differs_each_time_and_carries_the_key_id(ring):
    first, second = ring.encrypt(ID_NUMBER, AAD), ring.encrypt(ID_NUMBER, AAD)
    assert first != second
    assert first.startswith("k1$") and second.startswith("k1$")
    assert ring.key_id_of(first) == "k1"
    assert ID_NUMBER not in first
    # 12-byte nonce + ciphertext + 16-byte tag
    assert len(base64.b64decode(first.partition("$")[2])) == 12 + len(ID_NUMBER) + 16


def test_tampered_ciphertext_fails(ring):
    token = ring.encrypt(ID_NUMBER, AAD)
    kid, _, b64 = token.partition("$")
    blob = bytearray(base64.b64decode(b64))
    for position in (0, 12, len(blob) - 1):  # nonce, ciphertext, tag
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises(InvalidTag):
            ring.decrypt(f"{kid}${base64.b64encode(bytes(changed)).decode()}", AAD)


def test_ciphertext_under_another_key_or_an_unknown_key_id_fails(ring):
    token = ring.encrypt(ID_NUMBER, AAD)
    other = Keyring("k1", {"k1": keys.new_key()}, keys.new_key())
    with pytest.raises(InvalidTag):
        other.decrypt(token, AAD)
    with pytest.raises(KeyringMissing, match="k9"):
        ring.decrypt("k9$" + token.partition("$")[2], AAD)


def test_ciphertext_is_bound_to_its_context(ring):
    """The context is AES-GCM's associated data: an ID number copied to another column does not decrypt."""
    token = ring.encrypt(ID_NUMBER, "parties.id_number")
    for elsewhere in ("parties.spouse_id_number", "guarantors.id_number", ""):
        with pytest.raises(InvalidTag):
            ring.decrypt(token, elsewhere)
    assert ring.decrypt(token, "parties.id_number") == ID_NUMBER


def test_encrypted_string_needs_its_context():
    with pytest.raises(TypeError):
        EncryptedString()
    with pytest.raises(ValueError, match="context"):
        EncryptedString("")
    assert EncryptedString("parties.id_number").context == "parties.id_number"


def test_every_key_of_the_ring_decrypts_its_own_ciphertexts():
    k1, k2, blind = keys.new_key(), keys.new_key(), keys.new_key()
    old = Keyring("k1", {"k1": k1}, blind).encrypt(ID_NUMBER, AAD)
    both = Keyring("k2", {"k1": k1, "k2": k2}, blind)
    new = both.encrypt(ID_NUMBER, AAD)
    assert both.key_id_of(new) == "k2"
    assert both.decrypt(old, AAD) == both.decrypt(new, AAD) == ID_NUMBER


def test_keys_must_be_32_bytes():
    with pytest.raises(ValueError, match="k1"):
        Keyring("k1", {"k1": base64.b64encode(b"short").decode()}, keys.new_key())


def test_blind_index_is_stable_and_keyed(ring):
    index = ring.blind_index(ID_NUMBER)
    assert len(index) == 64 and int(index, 16) >= 0
    assert ring.blind_index(ID_NUMBER) == index
    assert Keyring("k7", {"k7": keys.new_key()}, base64.b64encode(ring.blind_key).decode()) \
        .blind_index(ID_NUMBER) == index  # the encryption key plays no part
    assert Keyring("k1", {"k1": keys.new_key()}, keys.new_key()).blind_index(ID_NUMBER) != index
    assert ring.blind_index("110105199001010031") != index


def test_blind_index_normalises_case_and_spaces(ring):
    assert ring.blind_index("11010519900101002x") == ring.blind_index(ID_NUMBER_X)
    assert ring.blind_index(f"  {ID_NUMBER_X}\n") == ring.blind_index(ID_NUMBER_X)
    assert pii.normalise(" 11010519900101002x ") == ID_NUMBER_X


def test_mask():
    assert mask(ID_NUMBER) == "110105********0023"
    assert mask(ID_NUMBER_X) == "110105********002X"
    assert mask(None) is None
    assert mask("") == ""
    assert mask("1234") == "12**"


def test_app_keyring_comes_from_the_instance_folder(app, db):
    ring_file = json.loads((Path(app.instance_path) / keys.KEYRING_FILE).read_text())
    kr = pii.keyring()
    assert kr.current == ring_file["current"]
    assert kr.decrypt(kr.encrypt(ID_NUMBER, AAD), AAD) == ID_NUMBER
    assert pii.blind_index(ID_NUMBER) == Keyring("x", {"x": keys.new_key()}, ring_file["blind_index_key"]) \
        .blind_index(ID_NUMBER)
    assert pii.keyring() is kr  # built once and kept


def test_no_keys_configured(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PII_KEYRING", None)
    with pytest.raises(KeyringMissing, match="init-db"):
        pii.keyring()


def test_encrypted_column_stores_ciphertext_and_reads_plaintext(db, pii_table):
    db.session.execute(pii_table.insert(), [{"id": 1, "id_number": ID_NUMBER}, {"id": 2, "id_number": None}])

    stored = dict(db.session.execute(select(pii_table.c.id, raw(pii_table.c.id_number))).all())
    assert stored[2] is None
    assert stored[1].startswith(pii.keyring().current + "$") and ID_NUMBER not in stored[1]
    assert db.session.execute(select(pii_table.c.id_number).where(pii_table.c.id == 1)).scalar_one() == ID_NUMBER


def test_a_ciphertext_copied_to_another_column_does_not_decrypt(db, pii_table):
    db.session.execute(pii_table.insert(), [{"id": 1, "id_number": ID_NUMBER}])
    token = db.session.execute(select(raw(pii_table.c.id_number))).scalar_one()
    db.session.execute(update(pii_table).values({raw(pii_table.c.spouse_id_number): token}))
    assert db.session.execute(select(raw(pii_table.c.spouse_id_number))).scalar_one() == token
    with pytest.raises(InvalidTag):
        db.session.execute(select(pii_table.c.spouse_id_number)).scalar_one()
    assert db.session.execute(select(pii_table.c.id_number)).scalar_one() == ID_NUMBER


def test_instance_keys_are_created_once_and_private(tmp_path):
    folder = tmp_path / "inst"
    assert sorted(keys.ensure_instance_keys(folder)) == sorted([keys.SECRET_FILE, keys.KEYRING_FILE])
    ring_text = (folder / keys.KEYRING_FILE).read_text()
    ring = json.loads(ring_text)
    assert ring["current"] == "k1" and set(ring["keys"]) == {"k1"}
    assert len(base64.b64decode(ring["keys"]["k1"])) == 32 and len(base64.b64decode(ring["blind_index_key"])) == 32
    for name in (keys.SECRET_FILE, keys.KEYRING_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600

    assert keys.ensure_instance_keys(folder) == []
    assert (folder / keys.KEYRING_FILE).read_text() == ring_text


def test_environment_keys_win_and_the_first_encrypts(tmp_path):
    keys.ensure_instance_keys(tmp_path)
    k1, k2 = keys.new_key(), keys.new_key()
    config = {"INSTANCE_PATH": str(tmp_path), "ENCRYPTION_KEYS": f"k2:{k2}, k1:{k1}"}
    keys.load_into(config)
    assert config["PII_KEYRING"] == {"current": "k2", "keys": {"k2": k2, "k1": k1}}
    assert config["PII_KEYRING_SOURCE"] == "environment"
    # No blind-index key in the environment: the instance folder's
    assert config["PII_BLIND_KEY"] == json.loads((tmp_path / keys.KEYRING_FILE).read_text())["blind_index_key"]
    blind = keys.new_key()
    config["BLIND_INDEX_KEY"] = blind
    keys.load_into(config)
    assert config["PII_BLIND_KEY"] == blind

    with pytest.raises(ValueError, match="FINPLAT_ENCRYPTION_KEYS"):
        keys.parse_env_keys("k1")
