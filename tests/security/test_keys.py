"""The instance's key files: private, written atomically, derived into the config again when they change."""
import json
import logging
import os
import stat

import pytest

from finplat import create_app
from finplat.extensions import db as _db
from finplat.security import keys


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_is_created_for_its_owner_only(tmp_path):
    folder = tmp_path / "deep" / "inst"
    keys.ensure_instance_keys(folder)
    assert mode(folder) == 0o700


def test_an_existing_folder_keeps_its_mode_with_a_warning(tmp_path, caplog):
    folder = tmp_path / "inst"
    folder.mkdir()
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="finplat.security.keys"):
        keys.ensure_instance_keys(folder)
    assert mode(folder) == 0o755
    assert any("accessible to other users" in r.getMessage() and str(folder) in r.getMessage()
               for r in caplog.records)

    caplog.clear()
    folder.chmod(0o700)
    with caplog.at_level(logging.WARNING, logger="finplat.security.keys"):
        keys.ensure_instance_keys(folder)
    assert caplog.records == []


def test_write_private_replaces_a_wider_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "secret"
    target.write_text("old")
    target.chmod(0o644)
    stale = tmp_path / "secret.tmp"  # what an earlier writer may have left, readable by all
    stale.write_text("stale")
    stale.chmod(0o644)

    keys.write_private(target, "new")

    assert target.read_text() == "new" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret", "secret.tmp"]
    assert stale.read_text() == "stale"  # never reused
    keys.write_private(tmp_path / "sub" / "blob", b"\x00\x01")
    assert (tmp_path / "sub" / "blob").read_bytes() == b"\x00\x01" and mode(tmp_path / "sub") == 0o700


def test_write_private_that_fails_keeps_the_old_content(tmp_path, monkeypatch):
    target = tmp_path / "secret"
    keys.write_private(target, "old")

    def broken(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        keys.write_private(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_load_into_can_run_again_and_environment_values_stay(tmp_path):
    keys.ensure_instance_keys(tmp_path)
    env_key = keys.new_key()
    config = {"INSTANCE_PATH": str(tmp_path), "ENCRYPTION_KEYS": f"e1:{env_key}", "BLIND_INDEX_KEY": None}
    keys.load_into(config)
    first = dict(config)
    keys.load_into(config)
    assert config == first
    assert config["ENCRYPTION_KEYS"] == f"e1:{env_key}" and config["BLIND_INDEX_KEY"] is None

    ring = json.loads((tmp_path / keys.KEYRING_FILE).read_text())
    ring["blind_index_key"] = keys.new_key()
    keys.write_keyring(tmp_path, ring)
    keys.refresh(config)
    assert config["PII_BLIND_KEY"] == ring["blind_index_key"]  # from the file, which changed
    assert config["PII_KEYRING"] == {"current": "e1", "keys": {"e1": env_key}}  # the environment still wins


def test_refresh_reloads_only_when_the_file_changed(tmp_path, monkeypatch):
    keys.ensure_instance_keys(tmp_path)
    config = {"INSTANCE_PATH": str(tmp_path)}
    keys.load_into(config)
    loads = []
    monkeypatch.setattr(keys, "read_keyring_file", lambda folder: loads.append(folder))
    for _ in range(3):
        keys.refresh(config)
    assert loads == []

    both = {"INSTANCE_PATH": str(tmp_path / "nowhere"), "ENCRYPTION_KEYS": f"k1:{keys.new_key()}",
            "BLIND_INDEX_KEY": keys.new_key()}
    keys.load_into(both)
    loads.clear()
    keys.refresh(both)  # the environment supplies every key: no file to watch
    assert loads == []


def test_init_db_makes_every_instance_file_private(tmp_path):
    folder = tmp_path / "inst"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(folder), "SECRET_KEY": None, "ENCRYPTION_KEYS": None,
                      "BLIND_INDEX_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'finplat.db'}"})
    try:
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    assert mode(folder) == 0o700
    assert mode(folder / "finplat.db") == 0o600
    for name in (keys.SECRET_FILE, keys.KEYRING_FILE, "pki/ca.key.pem", "pki/ca.cert.pem"):
        assert mode(folder / name) == 0o600, name
    assert mode(folder / "pki") == 0o700
    assert not [p for p in folder.rglob("*.tmp")]
