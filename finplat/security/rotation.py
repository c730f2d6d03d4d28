"""Key rotation: re-encrypt every EncryptedString column under the keyring's current key, and recompute
blind indexes (columns whose info names the encrypted column they index: info={"blind_index_of": "..."})."""
from sqlalchemy import Text, select, type_coerce, update

from finplat.security.pii import EncryptedString, keyring


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


def reencrypt(session, columns, progress=None) -> int:
    """Re-encrypt values not under the current key; returns how many were rewritten."""
    ring, done = keyring(), 0
    for table, column in columns:
        pk, raw = _pk(table), type_coerce(column, Text)
        rows = session.execute(select(pk, raw).where(column.is_not(None))).all()
        for row_id, token in rows:
            if ring.key_id_of(token) != ring.current:
                session.execute(update(table).where(pk == row_id).values({column.name: ring.decrypt(token)}))
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


def rotate(app, blind_index=False) -> list[str]:
    """Make a new current key (instance keyring) and move every ciphertext under it, in one transaction.

    The keyring file is written first, keeping the old keys, so a failure half-way leaves every value
    readable. With keys from FINPLAT_ENCRYPTION_KEYS the operator puts the new key first there; this then
    re-encrypts under it, after which the old keys may be dropped from the variable.
    """
    from finplat import audit
    from finplat.extensions import db
    from finplat.security import keys

    cfg, lines = app.config, []
    if cfg.get("PII_KEYRING_SOURCE") == "file":
        ring = keys.read_keyring_file(app.instance_path)
        if blind_index and cfg.get("BLIND_INDEX_KEY") != ring.get("blind_index_key"):
            raise ValueError("the blind-index key comes from FINPLAT_BLIND_INDEX_KEY, which overrides the instance "
                             "keyring at every start: unset it to rotate the blind-index key here")
        kid = keys.new_key_id(ring["keys"])
        ring["keys"][kid], ring["current"] = keys.new_key(), kid
        if blind_index:
            ring["blind_index_key"] = keys.new_key()
        keys.write_keyring(app.instance_path, ring)
        cfg["PII_KEYRING"] = {"current": kid, "keys": ring["keys"]}
        if blind_index:
            cfg["BLIND_INDEX_KEY"] = ring["blind_index_key"]
        lines.append(f"new current encryption key {kid} written to the instance keyring")
    elif blind_index:
        raise ValueError("blind-index keys from the environment: set the new FINPLAT_BLIND_INDEX_KEY and run "
                         "`finplat keys rotate --blind-index` with the instance keyring, or re-index offline")
    elif not cfg.get("PII_KEYRING"):
        raise ValueError("no keyring: run `finplat init-db` first")
    moved = reencrypt(db.session, list(encrypted_columns(db.metadata)))
    reindexed = reindex(db.session, list(blind_index_columns(db.metadata))) if blind_index else 0
    audit.record("cli", "keys.rotate", "keyring", cfg["PII_KEYRING"]["current"],
                 after={"reencrypted": moved, "reindexed": reindexed})
    db.session.commit()
    lines.append(f"re-encrypted {moved} value(s) under key {cfg['PII_KEYRING']['current']}"
                 + (f"; recomputed {reindexed} blind index(es)" if blind_index else ""))
    return lines
