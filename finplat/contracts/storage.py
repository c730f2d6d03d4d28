"""Signed PDFs stored once, by content: <CONTRACTS_DIR>/<sha256>.pdf, written atomically. A file is never
changed after it is written: its name is its digest."""
import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def folder() -> Path:
    return Path(current_app.config.get("CONTRACTS_DIR") or Path(current_app.instance_path) / "contracts")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(data: bytes) -> str:
    """Keep `data` (once: the same bytes are the same file) and return its SHA-256."""
    digest = sha256(data)
    target = folder() / f"{digest}.pdf"
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".", delete=False) as handle:
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError:
            os.unlink(handle.name)
            raise
    os.chmod(handle.name, 0o640)
    os.replace(handle.name, target)
    directory = os.open(target.parent, os.O_RDONLY)  # the rename itself survives a crash only once synced
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return digest


def load(digest: str) -> bytes:
    """The stored file whose SHA-256 is `digest`, checked: a file changed on disk is not handed out."""
    data = (folder() / f"{digest}.pdf").read_bytes()
    if sha256(data) != digest:
        raise ValueError(f"stored contract {digest[:12]}... has changed on disk")
    return data
