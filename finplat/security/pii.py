"""Personal ID numbers at rest: AES-256-GCM ciphertexts tagged with their key id, an HMAC-SHA256 blind
index for exact lookups, and masking for display."""
import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator


class KeyringMissing(RuntimeError):
    pass


class Keyring:
    def __init__(self, current: str, keys: dict, blind_index_key: str):
        self.current = current
        self.keys = {kid: base64.b64decode(k) for kid, k in keys.items()}
        self.blind_key = base64.b64decode(blind_index_key)
        for kid, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"encryption key {kid} must be 32 bytes")

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), None)
        return f"{self.current}${base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        kid, _, b64 = token.partition("$")
        if kid not in self.keys:
            raise KeyringMissing(f"no key {kid!r} in the keyring: it was removed before a rotation finished")
        raw = base64.b64decode(b64)
        return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], None).decode()

    def key_id_of(self, token: str) -> str:
        return token.partition("$")[0]

    def blind_index(self, value: str) -> str:
        return hmac.new(self.blind_key, normalise(value).encode(), hashlib.sha256).hexdigest()


def normalise(value: str) -> str:
    return value.strip().upper()


def keyring() -> Keyring:
    cfg = current_app.config
    ring = cfg.get("PII_KEYRING")
    if not ring or not cfg.get("BLIND_INDEX_KEY"):
        raise KeyringMissing("no encryption keys configured: run `finplat init-db` or set FINPLAT_ENCRYPTION_KEYS")
    cached = current_app.extensions.get("finplat_keyring")
    if cached is None or cached[0] != (ring["current"], tuple(ring["keys"].items()), cfg["BLIND_INDEX_KEY"]):
        kr = Keyring(ring["current"], ring["keys"], cfg["BLIND_INDEX_KEY"])
        cached = ((ring["current"], tuple(ring["keys"].items()), cfg["BLIND_INDEX_KEY"]), kr)
        current_app.extensions["finplat_keyring"] = cached
    return cached[1]


def blind_index(value: str) -> str:
    return keyring().blind_index(value)


def mask(value: str | None) -> str | None:
    """110105199001010023 -> 110105********0023: region and last four, never the birth date."""
    if not value:
        return value
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


class EncryptedString(TypeDecorator):
    """A string column stored encrypted with the instance keyring's current key."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().decrypt(value)


BlindIndex = String(64)
