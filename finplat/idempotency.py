"""Idempotency keys (API.md "Idempotency"): a request carrying an `Idempotency-Key` already used returns the
first response, a concurrent replay waits for the first to finish, and the same key with another body is a
409. The key is checked before the body is validated.

`@idempotent` goes under `@require` and above `@blp.arguments`. It is the request's unit of work: it claims
the key (an INSERT that, on PostgreSQL, makes a concurrent request with the same key wait on the unique index
until the first commits or rolls back), runs the route, whose service is called with `commit=False`, stores
the response beside the key and commits the two together. So either the operation and its stored response
are both committed, or neither is: a request that failed leaves no key behind, and a retry runs again.

Keys belong to the caller's institution (a farmer's to the farmer), so that two banks can never see each
other's responses through a shared key.
"""
import functools
import hashlib
import json
from datetime import datetime

from flask import Response, request
from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from finplat.auth.permissions import current_actor
from finplat.columns import UTCDateTime, utcnow
from finplat.errors import Conflict, Malformed
from finplat.extensions import db

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
OPENAPI_PARAMETER = {"in": "header", "name": HEADER, "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                     "description": "unique per operation; a replay returns the first response"}


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and canonical body
    status_code: Mapped[int | None] = mapped_column()
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _key() -> str:
    key = request.headers.get(HEADER)
    problem = None
    if key is None:
        problem = "this request needs an Idempotency-Key header (a unique string per operation, e.g. a UUID)"
    elif not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        problem = f"1 to {MAX_KEY_LENGTH} printable ASCII characters"
    if problem:
        raise Malformed(f"{HEADER}: {problem}", fields={HEADER: [problem]}, code="idempotency_key_invalid")
    return key


def fingerprint() -> str:
    """The request as a replay must repeat it: method, path and body (JSON compared by value, so that
    whitespace and key order do not matter; an empty body is `{}`)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw or b"{}", parse_float=str, parse_int=str), sort_keys=True,
                          separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # not JSON, or nested past the parser: the route's parser says so
        body = raw
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), body])).hexdigest()


def _scope(actor) -> str:
    return f"institution:{actor.institution_id}" if actor.institution_id else f"user:{actor.id}"


def claim(scope: str, key: str, print_: str) -> IdempotencyKey | None:
    """Claim the key in the current transaction: None when it is ours now, else the committed record of
    the first request (after waiting for it, on PostgreSQL, if it is still running)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    made = db.session.execute(insert(IdempotencyKey).values(scope=scope, key=key, fingerprint=print_,
                                                            created_at=utcnow())
                              .on_conflict_do_nothing(index_elements=["scope", "key"])
                              .returning(IdempotencyKey.id)).scalar_one_or_none()
    if made is not None:
        return None
    return db.session.execute(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
                              .execution_options(populate_existing=True)).scalar_one()


def _replay(first: IdempotencyKey, print_: str) -> Response:
    if first.fingerprint != print_:
        raise Conflict(f"{HEADER} {first.key!r} was used for another request", fields={HEADER: ["used already"]},
                       code="idempotency_key_reused")
    if first.status_code is None:  # only a route that commits before answering could leave this
        raise Conflict(f"the request with {HEADER} {first.key!r} has not finished", code="idempotency_in_progress")
    return Response(first.body, status=first.status_code, mimetype="application/json",
                    headers={"Idempotent-Replayed": "true"})


def idempotent(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key, print_ = _key(), fingerprint()
        scope = _scope(current_actor())
        try:
            first = claim(scope, key, print_)
            if first is not None:
                db.session.rollback()
                return _replay(first, print_)
            response = view(*args, **kwargs)
            record = db.session.execute(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                                     IdempotencyKey.key == key)).scalar_one()
            record.status_code, record.body = response.status_code, response.get_data(as_text=True)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return response
    return wrapper
