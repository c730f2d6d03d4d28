from finplat.request_hooks import SECURITY_HEADERS
from tests.conftest import csrf_token


def test_nul_in_a_form_or_query_is_refused_before_any_view(client, make_user):
    make_user("registrar", username="nul_user")
    page = client.get("/login")
    resp = client.post("/login", data={"username": "nul\x00user", "password": "x" * 12,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 400
    resp = client.get("/api/v1/institutions?kind=bank%00")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "malformed" and "kind" in resp.get_json()["error"]["fields"]


def test_pages_and_api_carry_security_headers(client):
    for path in ("/login", "/api/v1/openapi.json", "/api/v1/me"):
        resp = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert resp.headers[name] == value, (path, name)


def test_page_sessions_expire_after_the_configured_lifetime(app, client, make_user, login):
    user = make_user("registrar")
    resp = login(user)
    cookie = resp.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600
    with client.session_transaction() as sess:
        assert sess.permanent is True


def test_forwarded_address_counts_only_behind_a_configured_proxy(app, db, make_user):
    from finplat.auth.models import LoginFailure
    make_user("registrar", username="proxied")
    client = app.test_client()
    body = {"username": "proxied", "password": "wrong-password-1"}
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    client.post("/api/v1/auth/token", json=body, headers=forwarded, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    # Without FINPLAT_PROXY_COUNT the header is ignored: the peer's address is counted
    assert db.session.execute(db.select(LoginFailure.address)).scalars().all() == ["10.1.1.1"]


def test_a_configured_proxy_count_trusts_that_many_forwarding_hops():
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from finplat import request_hooks
    app = Flask(__name__)
    app.config.update(PROXY_COUNT=1, SECRET_KEY="k")

    @app.route("/addr")
    def addr():
        from flask import request
        return request.remote_addr

    request_hooks.register(app)
    assert isinstance(app.wsgi_app, ProxyFix)
    got = app.test_client().get("/addr", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
                                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert got.get_data(as_text=True) == "203.0.113.9"  # the one hop the load balancer added
