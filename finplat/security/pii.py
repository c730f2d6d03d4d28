"""Personal ID numbers at rest: AES-256-GCM ciphertexts tagged with their key id and bound to their column
(associated data), an HMAC-SHA256 blind index for exact lookups, and masking for display."""
import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator

from finplat.security.keys import refresh


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

    def encrypt(self, plaintext: str, aad: str) -> str:
        """`aad` names where the value belongs (e.g. "parties.id_number"): a ciphertext copied elsewhere
        fails to decrypt there."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), aad.encode())
        return f"{self.current}${base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, aad: str) -> str:
        kid, _, b64 = token.partition("$")
        if kid not in self.keys:
            raise KeyringMissing(f"no key {kid!r} in the keyring: it was removed before a rotation finished")
        raw = base64.b64decode(b64)
        return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], aad.encode()).decode()

    def key_id_of(self, token: str) -> str:
        return token.partition("$")[0]

    def blind_index(self, value: str) -> str:
        return hmac.new(self.blind_key, normalise(value).encode(), hashlib.sha256).hexdigest()


def normalise(value: str) -> str:
    return value.strip().upper()


def keyring() -> Keyring:
    """The app's keyring, derived again when another process (`finplat keys rotate`) replaced the instance
    keyring file, so that running servers read values under the new key without a restart."""
    cfg = current_app.config
    refresh(cfg)
    ring, blind = cfg.get("PII_KEYRING"), cfg.get("PII_BLIND_KEY")
    if not ring or not blind:
        raise KeyringMissing("no encryption keys configured: run `finplat init-db` or set FINPLAT_ENCRYPTION_KEYS")
    version = (ring["current"], tuple(ring["keys"].items()), blind)
    cached = current_app.extensions.get("finplat_keyring")
    if cached is None or cached[0] != version:
        cached = (version, Keyring(ring["current"], ring["keys"], blind))
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
    """A string column stored encrypted with the instance keyring's current key. `context` ("table.column")
    is the associated data: a ciphertext moved to another column, or another table, does not decrypt."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str):
        if not context:
            raise ValueError("EncryptedString needs its context, e.g. EncryptedString(\"parties.id_number\")")
        super().__init__()
        self.context = context

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().encrypt(value, self.context)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().decrypt(value, self.context)


BlindIndex = String(64)
