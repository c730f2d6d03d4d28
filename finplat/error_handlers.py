"""One place where errors become responses: JSON `{"error": {code, message, fields}}` under /api/, an
HTML page (or a redirect to the login page) elsewhere."""
import logging

from flask import jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from finplat.auth.permissions import is_api_request
from finplat.errors import DomainError
from finplat.extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
              429: "too_many_attempts"}


def _flatten(messages) -> dict:
    """webargs nests errors by location ({"json": {...}, "query": {...}}): merge them into one field map."""
    fields = {}
    for location, errs in (messages or {}).items():
        if isinstance(errs, dict):
            fields.update(errs)
        else:
            fields[location] = errs
    return fields


def error_response(status, code, message, fields=None):
    if is_api_request():
        resp = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
        resp.status_code = status
        return resp
    if status == 401:
        return redirect(url_for("web.login", next=request.full_path if request.query_string else request.path))
    from finplat.web.forms import chinese
    return render_template("error.html", status=status, message=chinese(message), fields=fields or {}), status


def handle_domain_error(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def handle_http_exception(exc: HTTPException):
    db.session.rollback()
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = _flatten(data.get("messages"))
    message = exc.description or exc.name
    if status == 422 and fields:
        # A body that is valid JSON but not an object cannot be read field by field: malformed.
        if fields.get("_schema") == ["Invalid input type."]:
            return error_response(400, "malformed", "the body must be a JSON object")
        message = "invalid fields: " + ", ".join(sorted(fields))
    elif status == 400 and data.get("messages"):
        message = "the body is not valid JSON"
    return error_response(status, HTTP_CODES.get(status, "http_error"), message, fields)


def handle_csrf_error(exc: CSRFError):
    return error_response(400, "csrf_failed", "the form expired or did not come from this site: reload and retry")


def handle_integrity_error(exc: IntegrityError):
    """A constraint the services did not foresee (e.g. a race on a unique name): a conflict, not a crash."""
    db.session.rollback()
    log.warning("integrity error: %s", exc.orig)
    return error_response(409, "conflict", "the change conflicts with the current state of the data")


def handle_operational_error(exc: OperationalError):
    db.session.rollback()
    log.exception("database error")
    return error_response(503, "database_unavailable", "the database is unavailable: try again shortly")


def handle_unexpected(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error")
    return error_response(500, "internal_error", "an internal error occurred; it has been logged")


def register(app):
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(Exception, handle_unexpected)
