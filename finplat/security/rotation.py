"""Key rotation: re-encrypt every EncryptedString column under the keyring's current key, and recompute
blind indexes (columns whose info names the encrypted column they index: info={"blind_index_of": "..."})."""
import fcntl
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Text, func, select, text, type_coerce, update

from finplat.security.pii import EncryptedString, keyring

ROTATION_LOCK_KEY = 0x46504B52  # "FPKR"


def encrypted_columns(metadata):
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                yield table, column


def blind_index_columns(metadata):
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.info.get("blind_index_of"):
                yield table, column, table.c[column.info["blind_index_of"]]


def _pk(table):
    (pk,) = table.primary_key.columns
    return pk


def values_to_visit(session, metadata, blind_index=False) -> int:
    """How many values rotate() reads (for a progress bar): every encrypted value, and with `blind_index`
    every indexed one again."""
    columns = [c for _t, c in encrypted_columns(metadata)]
    if blind_index:
        columns += [source for _t, _i, source in blind_index_columns(metadata)]
    return sum(session.execute(select(func.count()).where(c.is_not(None))).scalar_one() for c in columns)


def reencrypt(session, columns, progress=None) -> int:
    """Re-encrypt values not under the current key; returns how many were rewritten."""
    ring, done = keyring(), 0
    for table, column in columns:
        pk, raw = _pk(table), type_coerce(column, Text)
        rows = session.execute(select(pk, raw).where(column.is_not(None))).all()
        for row_id, token in rows:
            if ring.key_id_of(token) != ring.current:
                plain = ring.decrypt(token, column.type.context)
                session.execute(update(table).where(pk == row_id).values({column.name: plain}))
                done += 1
            if progress:
                progress(1)
    return done


def reindex(session, columns, progress=None) -> int:
    """Recompute blind indexes with the current blind-index key."""
    ring, done = keyring(), 0
    for table, index_col, source in columns:
        pk = _pk(table)
        for row_id, value in session.execute(select(pk, source).where(source.is_not(None))).all():
            session.execute(update(table).where(pk == row_id).values({index_col.name: ring.blind_index(value)}))
            done += 1
            if progress:
                progress(1)
    return done


def rotate(app, blind_index=False, progress=None) -> list[str]:
    """Move every ciphertext under a new current key (and with `blind_index`, every index under a new
    blind-index key) in one transaction; returns what was done, line by line.

    Keys from the instance keyring: the new ones are written to its file first, old encryption keys kept,
    so that values stay readable whatever happens, and running servers pick the file up at their next
    value. If the database work fails, it is rolled back and the file's previous current key and
    blind-index key are restored (the new encryption key stays, unused, in case another process already
    encrypted with it). Keys from FINPLAT_ENCRYPTION_KEYS: the operator puts the new key first there and
    this re-encrypts under it. FINPLAT_BLIND_INDEX_KEY is never rotated here: it overrides the file at
    every start.
    """
    with _one_rotation_at_a_time(app):
        return _rotate(app, blind_index, progress)


@contextmanager
def _one_rotation_at_a_time(app):
    """Rotations never overlap (an overlapping one could restore a keyring without the key another had just
    moved every value under): a lock on a file beside the keyring, and on PostgreSQL an advisory lock."""
    from finplat.extensions import db
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(Path(app.instance_path) / ".pii_keys.lock", "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError("another key rotation is running") from None
        conn = db.engine.connect() if db.engine.dialect.name == "postgresql" else None
        try:
            if conn is not None:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ROTATION_LOCK_KEY}).scalar()
                conn.commit()
                if not got:
                    raise ValueError("another key rotation is running")
            yield
        finally:
            if conn is not None:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ROTATION_LOCK_KEY})
                conn.commit()
                conn.close()


def _rotate(app, blind_index, progress):
    from finplat import audit
    from finplat.extensions import db
    from finplat.security import keys

    cfg, lines = app.config, []
    keys.refresh(cfg)
    if blind_index and cfg.get("BLIND_INDEX_KEY"):
        raise ValueError("the blind-index key comes from FINPLAT_BLIND_INDEX_KEY, which overrides the instance "
                         "keyring at every start: put the new key there and re-index offline, or unset it to "
                         "rotate the key of the instance keyring")
    from_file = cfg.get("PII_KEYRING_SOURCE") == "file"
    previous = keys.read_keyring_file(app.instance_path) if from_file or blind_index else None
    if not cfg.get("PII_KEYRING") or (from_file or blind_index) and previous is None:
        raise ValueError("no keyring: run `finplat init-db` first")
    ring = previous and {**previous, "keys": dict(previous["keys"])}
    if from_file:
        kid = keys.new_key_id(ring["keys"])
        ring["keys"][kid], ring["current"] = keys.new_key(), kid
        lines.append(f"instance keyring: new current encryption key {kid} "
                     f"({', '.join(previous['keys'])} kept to read older values)")
    else:
        lines.append(f"encryption keys from FINPLAT_ENCRYPTION_KEYS: current key {cfg['PII_KEYRING']['current']}, "
                     "its first")
    if blind_index:
        ring["blind_index_key"] = keys.new_key()
        lines.append("instance keyring: new blind-index key")
    try:
        if ring:
            keys.write_keyring(app.instance_path, ring)
            keys.load_into(cfg)
        current = cfg["PII_KEYRING"]["current"]
        moved = reencrypt(db.session, list(encrypted_columns(db.metadata)), progress)
        reindexed = reindex(db.session, list(blind_index_columns(db.metadata)), progress) if blind_index else 0
        audit.record("cli", "keys.rotate", "keyring", current, after={"reencrypted": moved, "reindexed": reindexed})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if ring:
            # Back to the previous current keys, keeping every key the file now holds (ours included:
            # another process may already have encrypted with it).
            now = keys.read_keyring_file(app.instance_path) or ring
            keys.write_keyring(app.instance_path, {**previous, "keys": {**ring["keys"], **now["keys"]}})
            keys.load_into(cfg)
        raise
    lines.append(f"re-encrypted {moved} value(s) under key {current}")
    if blind_index:
        lines.append(f"recomputed {reindexed} blind index(es)")
    if ring:
        lines.append("running servers pick up the new keyring file by themselves: no restart needed")
    if not from_file:
        lines.append("every server must run with this FINPLAT_ENCRYPTION_KEYS before older keys leave it")
    return lines
