"""Whatever a browser sends to a form, the answer is never a 5xx: each field of the two admin forms and of the
login form gets random text (and the values that once reached the database and failed there on PostgreSQL).
A refusal writes nothing and says what is wrong in Chinese."""
import itertools
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.auth.models import Institution, LoginFailure, User
from tests.conftest import PASSWORD, csrf_token
from tests.web.pages import page, post_form

HOUSEHOLD_ID = "2000000007"

# Browsers send UTF-8: no lone surrogates. NUL is kept (refused at the door with a 400).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
NUMBERS = ["0", "-0", "-1", "0.004", "1E+2", "1e30", "1e-400", "1e999999999", "NaN", "sNaN", "-Infinity",
           "9999999999999999.99", "10000000000000000", "2147483647", "2147483648", "9" * 30, "１２", "٣", " 7 "]
PHONES = ["13800138000", "+" + "1" * 19, "+" + "1" * 20, "13800138000\n", "１３８００１３８０００", "+", ""]


@st.composite
def submissions(draw, valid, variants):
    """One of the `valid` submissions with one to three of its fields replaced: by a value from `variants`
    (those that once reached the database and failed there) or by random text. The other fields stay valid,
    so that what is wrong is not caught by some other field first."""
    data = dict(draw(st.sampled_from(valid)))
    for name in draw(st.sets(st.sampled_from(sorted(variants)), min_size=1, max_size=3)):
        data[name] = draw(st.one_of(st.sampled_from(variants[name]), TEXT))
    return data


# "NAME" and "MOBILE" become a fresh name or mobile number for each example (a duplicate would be refused
# before any insert and hide what the insert would do), "BANK" the id of a bank.
INSTITUTION = submissions(
    [{"kind": "guarantee_agency", "name": "NAME", "region_code": "370100", "net_assets": "300000000.00",
      "guarantee_multiple": "8"},
     {"kind": "appraisal_agency", "name": "NAME", "certification_no": "鲁评-1", "certified_until": "2028-06-30"},
     {"kind": "bank", "name": "NAME"}],
    {"kind": ["bank", "guarantee_agency", "appraisal_agency", "casino", ""],
     "name": [" NAME ", "x" * 200, "x" * 201, " ", ""],
     "region_code": ["370100\n", "３７０１００", "٣٧٠١٠٠", "37010", " ", ""],
     "certification_no": ["x" * 100, "x" * 101, " ", ""],
     "certified_until": ["2026-02-30", "0001-01-01", "9999-12-31", "10000-01-01", ""],
     "net_assets": NUMBERS,
     "guarantee_multiple": [*NUMBERS, "0.01", "1000", "1000.01"]})
USER = submissions(
    [{"username": "NAME", "password": "a-long-passphrase", "role": "loan_officer", "institution_id": "BANK",
      "phone": "13800138000"},
     {"username": "MOBILE", "password": "a-long-passphrase", "role": "farmer", "institution_id": "",
      "party_id": HOUSEHOLD_ID}],
    {"username": [" NAME ", " MOBILE ", "u" * 64, "u" * 65, " ", ""],
     "password": ["short", " " * 10, "p" * 256, "p" * 257, ""],
     "role": ["loan_officer", "guarantor", "farmer", "admin", "superuser", ""],
     "institution_id": ["BANK", "", "999999", "0", "-1", "9" * 30],
     "party_id": NUMBERS,
     "phone": PHONES})
LOGIN = submissions(
    [{"username": "ADMIN", "password": PASSWORD}],
    {"username": [" ADMIN ", "u" * 64, "u" * 65, " ", ""], "password": [" " * 12, "p" * 256, "p" * 257, ""]})
_fresh = itertools.count(1)


def fill_in(data, **values):
    values = {"NAME": f"random-{next(_fresh)}", "MOBILE": f"139{next(_fresh):08d}", **values}
    for placeholder, value in values.items():
        data = {name: text.replace(placeholder, value) for name, text in data.items()}
    return data


HYPOTHESIS = settings(max_examples=100, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CJK = re.compile(r"[\u4e00-\u9fff]")


def rows(db):
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (Institution, User, AuditRecord, LoginFailure))


def check(resp, before, after, data):
    event(f"HTTP {resp.status_code}")  # pytest --hypothesis-show-statistics shows how the answers spread
    assert resp.status_code < 500, (data, resp.get_data(as_text=True)[:1000])
    if resp.status_code in (400, 409, 422):
        assert after == before, data
    if resp.status_code == 422:
        doc = page(resp)
        messages = list(doc.field_errors().values()) + [doc.form_alert()]
        assert all(CJK.search(m) for m in messages), (data, messages)


@pytest.fixture
def as_admin(client, admin, login):
    login(admin)
    return client


@pytest.fixture
def bank(make_institution):
    return make_institution("bank", name="随机测试银行")


@pytest.fixture
def household_7(make_party):
    """The household HOUSEHOLD_ID of the registry (an id no sequence reaches in a test run)."""
    return make_party(id=int(HOUSEHOLD_ID))


@HYPOTHESIS
@given(data=INSTITUTION)
def test_random_institution_form_never_5xx(as_admin, db, data):
    data = fill_in(data)
    before = rows(db)
    resp = post_form(as_admin, "/admin/institutions", data)
    check(resp, before, rows(db), data)


@HYPOTHESIS
@given(data=USER)
def test_random_user_form_never_5xx(as_admin, db, bank, household_7, data):
    data = fill_in(data, BANK=str(bank.id))
    before = rows(db)
    resp = post_form(as_admin, "/admin/users", data)
    check(resp, before, rows(db), data)


@pytest.fixture
def no_lockout(app, monkeypatch):
    """Failed logins are counted but never lock out, so that later examples still reach the password check."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 10**6)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 10**6)


@HYPOTHESIS
@given(data=LOGIN)
def test_random_login_form_never_5xx(client, db, admin, no_lockout, data):
    data = fill_in(data, ADMIN=admin.username)
    before = rows(db)
    resp = post_form(client, "/login", data)
    check(resp, before, rows(db), data)
    if resp.status_code == 302:  # logged in: log out again for the next example
        assert client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))}) \
            .status_code == 302
