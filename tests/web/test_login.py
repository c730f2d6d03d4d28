"""Logging in and out through the pages, who may open which page, and the session cookie."""
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.audit import AuditRecord
from finplat.auth.models import Institution, LoginFailure
from tests.conftest import PASSWORD, csrf_token
from tests.web.pages import location, page, post_form

ADMIN_PAGES = ["/admin/institutions", "/admin/users", "/admin/business-date", "/admin/audit"]


def logged_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def audit_count(db, action):
    return db.session.execute(select(func.count()).select_from(AuditRecord)
                              .where(AuditRecord.action == action)).scalar_one()


def test_login_page_renders_in_chinese_for_phones(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    doc = page(resp)
    assert doc.find_all("html")[0].attrs["lang"] == "zh-CN"
    viewport = doc.find_all("meta", name="viewport")
    assert viewport and "width=device-width" in viewport[0].attrs["content"]
    labels = {el.attrs["for"]: el.text for el in doc.find_all("label")}
    assert labels == {"username": "用户名", "password": "密码"}
    assert doc.by_id["username"].attrs["autocomplete"] == "username"
    assert doc.by_id["username"].attrs["autocapitalize"] == "none"  # phones must not capitalise user names
    assert doc.by_id["password"].attrs["type"] == "password"
    assert doc.find_all("input", name="csrf_token", type="hidden")
    assert doc.find_all("button", type="submit")[-1].text == "登录"


@pytest.mark.parametrize("role, label", [
    ("registrar", "产权登记员"), ("appraiser", "评估师"), ("loan_officer", "信贷员"),
    ("bank_manager", "银行审批人"), ("guarantor", "担保机构"), ("fund_manager", "风险补偿基金管理人"),
    ("admin", "平台管理员"),
])
def test_login_through_the_form_leads_home(client, db, make_user, login, role, label):
    user = make_user(role)
    resp = login(user)
    assert location(resp) == "/"
    assert logged_in_user_id(client) == str(user.id)
    home = client.get("/")
    assert home.status_code == 200
    text = page(home).text
    assert f"角色：{label} · {user.institution.name}" in text
    assert f"当前营业日：{cob.open_date()}" in text
    assert audit_count(db, "auth.login") == 1


def test_home_shows_the_open_date_after_it_moves(client, db, admin, login):
    login(admin)
    before = cob.open_date()
    post_form(client, "/admin/business-date", {"business_date": before.isoformat()})
    after = cob.open_date()
    assert after != before
    text = page(client.get("/")).text
    assert f"当前营业日：{after}" in text and f"当前营业日：{before}" not in text


def test_wrong_password_reshows_the_form_and_logs_nobody_in(client, db, make_user):
    user = make_user("loan_officer", username="wrong_pw_user")
    resp = post_form(client, "/login", {"username": user.username, "password": "not-the-password"})
    assert resp.status_code == 401
    doc = page(resp)
    assert "用户名或密码错误" in doc.form_alert()
    assert doc.by_id["username"].attrs["value"] == "wrong_pw_user"  # kept, to correct the password only
    assert doc.by_id["password"].attrs.get("value", "") == ""  # never sent back
    assert logged_in_user_id(client) is None
    assert location(client.get("/")).startswith("/login")
    assert db.session.execute(select(LoginFailure.username)).scalars().all() == ["wrong_pw_user"]
    assert audit_count(db, "auth.login") == 0


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, make_user):
    resp = post_form(client, "/login", {"username": "nobody-here", "password": "whatever-password"})
    assert resp.status_code == 401
    assert "用户名或密码错误" in page(resp).form_alert()


def test_empty_login_form_names_both_fields(client):
    resp = post_form(client, "/login", {"username": "", "password": ""})
    assert resp.status_code == 422
    doc = page(resp)
    assert doc.error_of("username") == "请输入用户名"
    assert doc.error_of("password") == "请输入密码"
    assert logged_in_user_id(client) is None


def test_login_trims_the_user_name_as_the_api_does(client, make_user):
    user = make_user("loan_officer", username="trim_me")
    resp = post_form(client, "/login", {"username": "  trim_me ", "password": PASSWORD})
    assert location(resp) == "/"
    assert logged_in_user_id(client) == str(user.id)


@pytest.mark.parametrize("data, field, message", [
    ({"username": "   ", "password": PASSWORD}, "username", "请输入用户名"),
    ({"username": "u" * 65, "password": PASSWORD}, "username", "最多 64 个字符"),
    ({"username": "someone", "password": "p" * 257}, "password", "最多 256 个字符"),
])
def test_login_input_the_api_refuses_is_refused_at_the_field(client, db, data, field, message):
    resp = post_form(client, "/login", data)
    assert resp.status_code == 422
    assert page(resp).error_of(field) == message
    assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 0


def test_a_password_of_blanks_is_checked_like_any_other(client, make_user):
    """The API accepts any non-empty password; so does the page (and it is wrong here)."""
    user = make_user("loan_officer")
    resp = post_form(client, "/login", {"username": user.username, "password": " " * 12})
    assert resp.status_code == 401
    assert "用户名或密码错误" in page(resp).form_alert()


def test_login_form_is_rate_limited(client, app, make_user):
    user = make_user("loan_officer")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert post_form(client, "/login", {"username": user.username, "password": "x" * 12}).status_code == 401
    resp = post_form(client, "/login", {"username": user.username, "password": PASSWORD})
    assert resp.status_code == 429
    assert "登录失败次数过多" in page(resp).form_alert()
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjAwMDAi.aaaa.bbbb"])
def test_login_without_a_valid_csrf_token_is_refused(client, db, make_user, token):
    user = make_user("loan_officer")
    client.get("/login")  # the session has a CSRF secret; the post does not carry its token
    data = {"username": user.username, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    resp = client.post("/login", data=data)
    assert resp.status_code == 400
    assert logged_in_user_id(client) is None
    assert audit_count(db, "auth.login") == 0


def test_csrf_token_of_another_session_is_refused(app, client, make_user):
    user = make_user("loan_officer")
    other = app.test_client()
    stolen = csrf_token(other.get("/login").get_data(as_text=True))
    client.get("/login")
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": stolen})
    assert resp.status_code == 400
    assert logged_in_user_id(client) is None


def test_logout_is_post_only_and_needs_the_csrf_token(client, make_user, login):
    user = make_user("loan_officer")
    login(user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert logged_in_user_id(client) == str(user.id)
    assert client.get("/").status_code == 200

    home = client.get("/").get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": csrf_token(home)})
    assert location(resp) == "/login"
    assert logged_in_user_id(client) is None
    assert "已退出登录" in page(client.get("/login")).text
    assert location(client.get("/")).startswith("/login")


@pytest.mark.parametrize("path", ["/", *ADMIN_PAGES, "/admin/audit?page=2"])
def test_anonymous_pages_redirect_to_login_with_next(client, path):
    resp = client.get(path)
    target = urlsplit(location(resp))
    assert target.path == "/login" and not target.netloc
    (next_url,) = parse_qs(target.query)["next"]
    assert next_url.rstrip("?") == path


def test_login_returns_to_the_page_asked_for(client, admin, login):
    login_url = location(client.get("/admin/users"))
    resp = post_form(client, login_url, {"username": admin.username, "password": PASSWORD})
    assert location(resp).rstrip("?") == "/admin/users"
    assert client.get(location(resp)).status_code == 200


@pytest.mark.parametrize("role", ["loan_officer", "registrar", "guarantor"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_non_admins_get_403_on_admin_pages(client, make_user, login, role, path):
    login(make_user(role))
    resp = client.get(path)
    assert resp.status_code == 403
    assert "无权访问" in page(resp).text


def test_non_admin_posts_to_admin_pages_change_nothing(client, db, make_user, login):
    login(make_user("bank_manager"))
    token = csrf_token(client.get("/").get_data(as_text=True))
    open_date = cob.open_date()
    resp = client.post("/admin/institutions", data={"kind": "bank", "name": "越权创建的银行", "csrf_token": token})
    assert resp.status_code == 403
    assert db.session.execute(select(Institution).where(Institution.name == "越权创建的银行")).first() is None
    resp = client.post("/admin/business-date", data={"business_date": open_date.isoformat(), "csrf_token": token})
    assert resp.status_code == 403
    assert cob.open_date() == open_date
    resp = client.post("/admin/users", data={"username": "sneaky", "password": "x" * 12, "role": "admin",
                                             "csrf_token": token})
    assert resp.status_code == 403


OFF_SITE = ["//evil.example", "///evil.example", "http://evil.example", "https://evil.example/login",
            "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)",
            "evil.example", " //evil.example", "http:/evil.example", "HTTPS://evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leads_off_site(client, make_user, target):
    user = make_user("loan_officer")
    url = "/login?next=" + quote(target, safe="")
    resp = post_form(client, url, {"username": user.username, "password": PASSWORD})
    assert location(resp) == "/"
    # And when already logged in, the login page sends home as well
    assert location(client.get(url)) == "/"


def test_next_keeps_a_local_path_and_its_query(client, admin):
    url = "/login?next=" + quote("/admin/audit?page=2", safe="")
    resp = post_form(client, url, {"username": admin.username, "password": PASSWORD})
    assert location(resp) == "/admin/audit?page=2"


def _cookie_attributes(resp, name="session"):
    for header in resp.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user("loan_officer")
    attrs = _cookie_attributes(client.get("/login"))
    assert {"httponly", "samesite=lax"} <= attrs
    resp = post_form(client, "/login", {"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302
    attrs = _cookie_attributes(resp)
    assert {"httponly", "samesite=lax"} <= attrs
