"""The instance's secrets: the session secret, the PII encryption keyring and the blind-index key.

Environment variables win (FINPLAT_SECRET_KEY, FINPLAT_ENCRYPTION_KEYS, FINPLAT_BLIND_INDEX_KEY); otherwise
they are read from files in the instance folder, which `finplat init-db` creates when missing.
"""
import base64
import json
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"
KEYRING_FILE = "pii_keys.json"


def _write_private(path: Path, text: str):
    """Write a file readable by its owner only, atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_key_id(existing) -> str:
    n = 1
    while f"k{n}" in existing:
        n += 1
    return f"k{n}"


def ensure_instance_keys(instance_path) -> list[str]:
    """Create the instance folder and any missing key file; return the names of the files created."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    if not (folder / SECRET_FILE).exists():
        _write_private(folder / SECRET_FILE, secrets.token_urlsafe(48))
        made.append(SECRET_FILE)
    if not (folder / KEYRING_FILE).exists():
        write_keyring(folder, {"current": "k1", "keys": {"k1": new_key()}, "blind_index_key": new_key()})
        made.append(KEYRING_FILE)
    return made


def write_keyring(folder, ring: dict):
    _write_private(Path(folder) / KEYRING_FILE, json.dumps(ring, indent=2))


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


def load_into(config: dict):
    """Fill SECRET_KEY and the keyring into `config` from the environment or the instance folder."""
    folder = Path(config["INSTANCE_PATH"])
    if not config.get("SECRET_KEY") and (folder / SECRET_FILE).exists():
        config["SECRET_KEY"] = (folder / SECRET_FILE).read_text().strip()
    ring = read_keyring_file(folder) or {}
    if config.get("ENCRYPTION_KEYS"):
        config["PII_KEYRING"] = parse_env_keys(config["ENCRYPTION_KEYS"])
        config["PII_KEYRING_SOURCE"] = "environment"
    elif ring:
        config["PII_KEYRING"] = {"current": ring["current"], "keys": ring["keys"]}
        config["PII_KEYRING_SOURCE"] = "file"
    if not config.get("BLIND_INDEX_KEY") and ring.get("blind_index_key"):
        config["BLIND_INDEX_KEY"] = ring["blind_index_key"]

