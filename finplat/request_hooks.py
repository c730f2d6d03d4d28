"""What every request goes through: a fresh caller, no NUL characters, security headers, a proxy's
forwarded address."""
from flask import g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from finplat.errors import Malformed

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _fresh_caller():
    # The caller is cached on g; a request that shares an app context with an earlier one (tests, the CLI)
    # must not inherit that earlier caller.
    for cached in ("actor", "_login_user", "csrf_token"):
        g.pop(cached, None)
    if not request.path.startswith("/api/"):
        session.permanent = True  # the login expires after PERMANENT_SESSION_LIFETIME without activity


def _no_nul():
    """PostgreSQL text cannot hold NUL and no real input contains one: refuse it at the door, for forms and
    query strings alike (JSON bodies are checked by the API schemas, field by field)."""
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise Malformed(f"{key!r}: must not contain NUL characters", fields={key: ["contains NUL"]})


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register(app):
    app.before_request(_fresh_caller)
    app.before_request(_no_nul)
    app.after_request(_security_headers)
    if app.config.get("PROXY_COUNT"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
