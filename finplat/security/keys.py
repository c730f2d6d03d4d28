"""The instance's secrets: the session secret, the PII encryption keyring and the blind-index key.

Environment variables win (FINPLAT_SECRET_KEY, FINPLAT_ENCRYPTION_KEYS, FINPLAT_BLIND_INDEX_KEY); otherwise
they are read from files in the instance folder, which `finplat init-db` creates when missing. The config
keeps the raw environment values (SECRET_KEY, ENCRYPTION_KEYS, BLIND_INDEX_KEY) apart from what is derived
from them and the file (PII_KEYRING, PII_BLIND_KEY, ...), so that the keyring can be derived again whenever
`finplat keys rotate` in another process replaces the file.
"""
import base64
import json
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

SECRET_FILE = "secret_key"
KEYRING_FILE = "pii_keys.json"
DERIVED = ("PII_KEYRING", "PII_KEYRING_SOURCE", "PII_BLIND_KEY", "PII_KEYRING_STAMP")

log = logging.getLogger(__name__)


def write_private(path, data: bytes | str):
    """Replace `path` atomically with a file readable by its owner only: a fresh temporary file (never one
    left over with a wider mode), synced, then renamed over it, so that readers and crashes see the old
    content or the new, never a part."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)  # the rename itself survives a crash only once its folder is synced
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_key_id(existing) -> str:
    n = 1
    while f"k{n}" in existing:
        n += 1
    return f"k{n}"


def ensure_instance_keys(instance_path) -> list[str]:
    """Create the instance folder (owner only: it holds keys and the SQLite file) and any missing key file;
    return the names of the files created. An existing folder keeps its mode, with a warning when others
    can read it."""
    folder = Path(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        log.warning("the instance folder %s is accessible to other users (mode %o): chmod 700 it", folder, mode)
    made = []
    if not (folder / SECRET_FILE).exists():
        write_private(folder / SECRET_FILE, secrets.token_urlsafe(48))
        made.append(SECRET_FILE)
    if not (folder / KEYRING_FILE).exists():
        write_keyring(folder, {"current": "k1", "keys": {"k1": new_key()}, "blind_index_key": new_key()})
        made.append(KEYRING_FILE)
    return made


def write_keyring(folder, ring: dict):
    write_private(Path(folder) / KEYRING_FILE, json.dumps(ring, indent=2))


def read_keyring_file(folder) -> dict | None:
    path = Path(folder) / KEYRING_FILE
    return json.loads(path.read_text()) if path.exists() else None


def parse_env_keys(spec: str) -> dict:
    """'k2:BASE64,k1:BASE64' -> {"current": "k2", "keys": {...}}; the first key encrypts."""
    keys = {}
    for part in spec.split(","):
        kid, _, b64 = part.strip().partition(":")
        if not kid or not b64:
            raise ValueError("FINPLAT_ENCRYPTION_KEYS must be 'id:base64key[,id:base64key...]'")
        keys[kid] = b64
    return {"current": next(iter(keys)), "keys": keys}


def _stamp(folder):
    """What changes whenever the keyring file is replaced (a rename gives it a new inode), None if absent."""
    try:
        st = (Path(folder) / KEYRING_FILE).stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def load_into(config):
    """Fill SECRET_KEY when unset, and derive the keyring (PII_KEYRING, PII_KEYRING_SOURCE, PII_BLIND_KEY)
    from the environment's values or the instance folder. Safe to call again: the raw values are only read."""
    folder = Path(config["INSTANCE_PATH"])
    if not config.get("SECRET_KEY") and (folder / SECRET_FILE).exists():
        config["SECRET_KEY"] = (folder / SECRET_FILE).read_text().strip()
    stamp = _stamp(folder)  # before reading: a file replaced in between is read again next time
    ring = read_keyring_file(folder) or {}
    derived = {"PII_KEYRING": None, "PII_KEYRING_SOURCE": None, "PII_KEYRING_STAMP": stamp,
               "PII_BLIND_KEY": config.get("BLIND_INDEX_KEY") or ring.get("blind_index_key")}
    if config.get("ENCRYPTION_KEYS"):
        derived.update(PII_KEYRING=parse_env_keys(config["ENCRYPTION_KEYS"]), PII_KEYRING_SOURCE="environment")
    elif ring:
        derived.update(PII_KEYRING={"current": ring["current"], "keys": ring["keys"]}, PII_KEYRING_SOURCE="file")
    config.update(derived)


def refresh(config):
    """Derive the keyring again if the instance keyring file changed since it was read: one stat() when
    anything comes from the file, none when the environment supplies every key."""
    if config.get("ENCRYPTION_KEYS") and config.get("BLIND_INDEX_KEY"):
        return
    if _stamp(config["INSTANCE_PATH"]) != config.get("PII_KEYRING_STAMP"):
        load_into(config)
