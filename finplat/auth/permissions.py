"""Who is calling, may they call this, and which rows may they see.

`require(*roles)` goes directly under the route decorator, above any body parsing, so that an unknown
caller gets 401 and a wrong role 403 before the body is validated. Admins pass every role check.
API calls authenticate with a bearer token only (never the session cookie, so the API needs no CSRF token);
pages use the Flask-Login session.
"""
import functools

from flask import g, request
from flask_login import current_user
from sqlalchemy import select

from finplat.api_base import MAX_ID
from finplat.errors import Forbidden, NotFound, Unauthorized
from finplat.extensions import db


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def current_actor():
    """The user making this request, or None."""
    if "actor" not in g:
        if is_api_request():
            from finplat.auth.service import user_for_token
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            g.actor = user_for_token(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
        else:
            g.actor = current_user if current_user.is_authenticated else None
    return g.actor


def require(*roles):
    """Let the call through only for a logged-in user with one of `roles` (any role when none given)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized("log in first" if not is_api_request() else "a valid bearer token is required")
            if roles and actor.role not in roles and not actor.is_admin:
                raise Forbidden(f"the {actor.role} role may not do this")
            return view(*args, **kwargs)
        wrapper.required_roles = roles
        return wrapper
    return decorate


# --- row scoping: each model registers the rule that narrows a query to what an actor may see
_rules = {}


def scope_rule(model):
    def register(fn):
        _rules[model] = fn
        return fn
    return register


def visible(model, actor):
    """A SELECT of `model` narrowed to the rows `actor` may see (admins and system actors see everything)."""
    if model not in _rules:
        raise LookupError(f"no scoping rule for {model.__name__}: register one with @scope_rule")
    stmt = select(model)
    trusted = isinstance(actor, str) or actor.is_admin  # the CLI and seed-demo act as a named system actor
    return stmt if trusted else _rules[model](stmt, actor)


def get_visible(model, object_id, actor):
    """The object if it exists and the actor may see it; otherwise NotFound (never a hint that it exists)."""
    obj = None
    if 1 <= object_id <= MAX_ID:  # a URL can carry any integer; the database column cannot
        obj = db.session.execute(visible(model, actor).where(model.id == object_id)).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"no {model.__tablename__.rstrip('s')} {object_id}")
    return obj
