"""Malformed input never crashes the API: every refusal is a 4xx with the error shape of API.md,
{"error": {"code", "message", "fields"}}, and nothing is written."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.auth.models import Institution, LoginFailure, User
from tests.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def h(admin, auth_header):
    return auth_header(admin)


@pytest.fixture
def bank(make_institution):
    return make_institution("bank", name="test bank")


def rows(db):
    """What a refused call must leave unchanged."""
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (Institution, User, AuditRecord))


def assert_error(resp, status, code=None, field=None):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code:
        assert error["code"] == code, body
    if field:
        assert field in error["fields"], body
    return error


def post_raw(client, path, data, h, content_type="application/json"):
    return client.post(f"{API}{path}", data=data, content_type=content_type, headers=h)


# --- bodies that are not JSON objects

@pytest.mark.parametrize("text", [
    "{bad", '{"kind": "bank",}', "{'kind': 'bank'}", '{"kind": "bank"', "kind=bank", "\x00", "[1, 2",
    '{"kind": "bank", "name": "x"} trailing', '{"name": "\\x"}', "12345678901234567890" * 300,  # > 4300 digits
    "[" * 100_000 + "]" * 100_000, '{"a": ' + "{\"a\": " * 50_000 + "1" + "}" * 50_001,  # deeper than the parser
    '{"kind": "guarantee_agency", "name": "g", "net_assets": 1e99999999999999999999}',  # beyond Decimal
])
def test_text_that_is_not_json_is_400_malformed(client, db, h, text):
    before = rows(db)
    assert_error(post_raw(client, "/institutions", text, h), 400, "malformed")
    assert rows(db) == before


@pytest.mark.parametrize("raw", [b'{"kind": "bank", "name": "\xff\xfe"}', b"\xef\xbb\xbf\xc3\x28"])
def test_bytes_that_are_not_utf8_are_400_malformed(client, db, h, raw):
    assert_error(post_raw(client, "/institutions", raw, h), 400, "malformed")


@pytest.mark.parametrize("text", [
    '{"kind": "bank", "name": "b\\ud800"}',  # a lone surrogate: not Unicode text
    '{"kind": "bank", "name": "ok", "\\udfff": 1}',  # ... also as a key, which an error would echo
    '{"kind": "bank", "name": ["\\ud83d"]}',
])
def test_lone_surrogates_are_400_malformed(client, db, h, text):
    before = rows(db)
    assert_error(post_raw(client, "/institutions", text, h), 400, "malformed")
    assert rows(db) == before


@pytest.mark.parametrize("path", ["/institutions", "/users", "/auth/token", "/admin/cob"])
@pytest.mark.parametrize("text", ["[]", '[{"kind": "bank"}]', '"a string"', "42", "null", "true", "1.5"])
def test_json_that_is_not_an_object_is_400(client, db, h, path, text):
    before = rows(db)
    assert_error(post_raw(client, path, text, h), 400, "malformed")
    assert rows(db) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_a_body_that_is_not_sent_as_json_is_415(client, db, h, content_type):
    before = rows(db)
    resp = post_raw(client, "/institutions", json.dumps({"kind": "bank", "name": "plain"}), h, content_type)
    assert_error(resp, 415, "unsupported_media_type")
    assert rows(db) == before


def test_an_empty_body_names_the_missing_fields(client, db, h):
    error = assert_error(post_raw(client, "/institutions", "", h), 422, "validation_failed")
    assert set(error["fields"]) == {"kind", "name"}


def test_20_mb_body_is_413(client, db, h):
    before = rows(db)
    body = json.dumps({"kind": "bank", "name": "x" * (20 * 1024 * 1024)})
    assert_error(post_raw(client, "/institutions", body, h), 413, "too_large")
    assert rows(db) == before


# --- wrong types, unknown fields, bounds

@pytest.mark.parametrize("body, field", [
    ({"kind": 5, "name": "x"}, "kind"),
    ({"kind": "spaceship", "name": "x"}, "kind"),
    ({"kind": ["bank"], "name": "x"}, "kind"),
    ({"kind": "bank", "name": 123}, "name"),
    ({"kind": "bank", "name": None}, "name"),
    ({"kind": "bank", "name": ""}, "name"),
    ({"kind": "bank", "name": {"zh": "银行"}}, "name"),
    ({"kind": "bank", "name": "x" * 10_000}, "name"),
    ({"kind": "bank", "name": "x" * 201}, "name"),
    ({"kind": "bank", "name": "a\x00b"}, "name"),  # PostgreSQL text cannot hold NUL
    ({"kind": "bank", "name": "x", "region_code": 370000}, "region_code"),
    ({"kind": "bank", "name": "x", "region_code": "37000"}, "region_code"),
    ({"kind": "bank", "name": "x", "region_code": "370000\n"}, "region_code"),  # 7 characters
    ({"kind": "bank", "name": "x", "region_code": "٣٧٠٠٠٠"}, "region_code"),  # Arabic-Indic digits
    ({"kind": "guarantee_agency", "name": "x", "net_assets": True}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "１２"}, "net_assets"),  # full-width digits
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "١٢"}, "net_assets"),  # Arabic-Indic digits
    ({"kind": "guarantee_agency", "name": "x", "net_assets": False}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": [1]}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": {"amount": "1"}}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "lots"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": ""}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "NaN"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "Infinity"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "sNaN"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "1.005"}, "net_assets"),  # 3 decimals
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "1.000"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "10000000000000000.00"}, "net_assets"),  # > (18,2)
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "1e30"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "1e-30"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "-1"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "-0.01"}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "net_assets": "1" * 5000}, "net_assets"),
    ({"kind": "guarantee_agency", "name": "x", "guarantee_multiple": "0"}, "guarantee_multiple"),
    ({"kind": "guarantee_agency", "name": "x", "guarantee_multiple": "1000.01"}, "guarantee_multiple"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": "2026-02-30"},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": "2026/06/30"},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": "30.06.2026"},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": "tomorrow"},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": ""}, "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": 20260630},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c", "certified_until": "10000-01-01"},
     "certified_until"),
    ({"kind": "appraisal_agency", "name": "x", "certification_no": "c" * 101}, "certification_no"),
])
def test_bad_institution_fields_are_422_naming_the_field(client, db, h, body, field):
    before = rows(db)
    error = assert_error(client.post(f"{API}/institutions", json=body, headers=h), 422, field=field)
    assert list(error["fields"]) == [field]
    assert rows(db) == before


@pytest.mark.parametrize("body, field", [
    ({"institution_id": "abc"}, "institution_id"),
    ({"institution_id": True}, "institution_id"),
    ({"institution_id": 1.5}, "institution_id"),  # not silently truncated to 1
    ({"institution_id": "1"}, "institution_id"),
    ({"institution_id": [1]}, "institution_id"),
    ({"institution_id": 0}, "institution_id"),
    ({"institution_id": -3}, "institution_id"),
    ({"institution_id": 2**31}, "institution_id"),  # past INTEGER: never sent to the database
    ({"institution_id": 10**30}, "institution_id"),
    ({"party_id": 10**30}, "party_id"),
    ({"party_id": "x"}, "party_id"),
    ({"role": "superuser"}, "role"),
    ({"role": ["admin"]}, "role"),
    ({"role": None}, "role"),
    ({"username": ""}, "username"),
    ({"username": 13700000000}, "username"),
    ({"username": "u" * 65}, "username"),
    ({"username": "u\x00"}, "username"),
    ({"password": 12345678901}, "password"),
    ({"password": None}, "password"),
    ({"password": "p" * 257}, "password"),
    ({"phone": "call me"}, "phone"),
    ({"phone": 13800138000}, "phone"),
    ({"phone": "+" + "1" * 20}, "phone"),  # 21 characters: the column holds 20
    ({"phone": "13800138000\n"}, "phone"),
    ({"phone": "１３８００１３８０００"}, "phone"),  # full-width digits
    ({"is_admin": True}, "is_admin"),
    ({"password_hash": "$argon2id$..."}, "password_hash"),
    ({"active": False}, "active"),
    ({"id": 1}, "id"),
])
def test_bad_user_fields_are_422_naming_the_field(client, db, h, bank, body, field):
    before = rows(db)
    good = {"username": "newuser", "password": PASSWORD, "role": "loan_officer", "institution_id": bank.id}
    error = assert_error(client.post(f"{API}/users", json={**good, **body}, headers=h), 422, field=field)
    assert list(error["fields"]) == [field]
    assert rows(db) == before


@pytest.mark.parametrize("spelling", [lambda i: i + 0.5, lambda i: i + 0.0, str, lambda i: f"{i}.0"])
def test_ids_must_be_json_integers(client, db, h, bank, spelling):
    """Not truncated or coerced: 1.5 is no id, and "1" is a string."""
    before = rows(db)
    resp = post_raw(client, "/users", json.dumps({"username": "coerced", "password": PASSWORD, "role": "loan_officer",
                                                  "institution_id": spelling(bank.id)}), h)
    error = assert_error(resp, 422, "validation_failed", "institution_id")
    assert list(error["fields"]) == ["institution_id"]
    assert rows(db) == before


@pytest.mark.parametrize("path, body", [
    ("/institutions", {"kind": "bank", "name": "x", "colour": "red"}),
    ("/institutions", {"kind": "bank", "name": "x", "id": 7}),
    ("/institutions", {"kind": "bank", "name": "x", "created_at": "2026-01-01T00:00:00Z"}),
    ("/users", {"username": "u", "password": PASSWORD, "role": "admin", "colour": "red"}),
    ("/auth/token", {"username": "u", "password": PASSWORD, "colour": "red"}),
    ("/admin/cob", {"business_date": "2026-11-23", "colour": "red"}),
])
def test_unknown_fields_are_422_naming_them(client, db, h, path, body):
    before = rows(db)
    error = assert_error(client.post(f"{API}{path}", json=body, headers=h), 422, "validation_failed")
    unknown = set(body) - {"kind", "name", "username", "password", "role", "business_date"}
    assert set(error["fields"]) == unknown
    assert all(msgs == ["Unknown field."] for msgs in error["fields"].values())
    assert rows(db) == before


@pytest.mark.parametrize("body, field", [
    ({"business_date": "2026-02-30"}, "business_date"),
    ({"business_date": "yesterday"}, "business_date"),
    ({"business_date": 20261123}, "business_date"),
    ({"business_date": None}, "business_date"),
    ({}, "business_date"),
])
def test_bad_cob_dates_are_422(client, db, h, body, field):
    error = assert_error(client.post(f"{API}/admin/cob", json=body, headers=h), 422, "validation_failed", field)
    assert list(error["fields"]) == [field]
    assert client.get(f"{API}/admin/business-date", headers=h).get_json() == {"business_date": "2026-11-23"}


@pytest.mark.parametrize("body", [{"username": "u\x00", "password": PASSWORD}, {"username": "u" * 65,
                                                                              "password": PASSWORD},
                                  {"username": 5, "password": PASSWORD}, {"username": "u"}])
def test_bad_login_bodies_are_422_and_not_counted_as_failures(client, db, body):
    assert_error(client.post(f"{API}/auth/token", json=body), 422, "validation_failed")
    assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 0


def test_boundary_lengths_are_accepted(client, db, h, bank):
    name = "行" * 200
    resp = client.post(f"{API}/institutions", json={"kind": "bank", "name": name}, headers=h)
    assert resp.status_code == 201 and resp.get_json()["name"] == name
    assert db.session.get(Institution, resp.get_json()["id"]).name == name
    resp = client.post(f"{API}/users", json={"username": "u" * 64, "password": "p" * 256, "role": "loan_officer",
                                             "institution_id": bank.id, "phone": "+" + "1" * 19}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    assert db.session.get(User, resp.get_json()["id"]).phone == "+" + "1" * 19


@pytest.mark.parametrize("given, stored", [("1E+2", "100.00"), ("-0", "0.00"), (" 12.5 ", "12.50"), (7, "7.00"),
                                           ("0.10", "0.10")])
def test_accepted_amount_spellings_are_stored_and_audited_at_two_decimals(client, db, h, given, stored):
    resp = client.post(f"{API}/institutions", json={"kind": "guarantee_agency", "name": f"g {given}",
                                                    "net_assets": given}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["net_assets"] == stored
    rec = db.session.execute(select(AuditRecord).where(AuditRecord.action == "institution.create")
                             .order_by(AuditRecord.id.desc()).limit(1)).scalar_one()
    assert json.loads(rec.after)["net_assets"] == stored


def test_json_numbers_are_read_exactly_not_as_floats(client, db, h):
    # 0.1 + 0.2 as floats is 0.30000000000000004; read as Decimal, 0.30 stays 0.30
    resp = post_raw(client, "/institutions", '{"kind": "guarantee_agency", "name": "g", "net_assets": 0.30}', h)
    assert resp.status_code == 201 and resp.get_json()["net_assets"] == "0.30"
    resp = post_raw(client, "/institutions", '{"kind": "guarantee_agency", "name": "h", "net_assets": 1.005}', h)
    assert_error(resp, 422, "validation_failed", "net_assets")


# --- query strings and path ids

@pytest.mark.parametrize("query, field", [
    ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=-1", "per_page"),
    ("per_page=abc", "per_page"), ("page=0", "page"), ("page=abc", "page"), ("page=1.5", "page"),
    ("page=", "page"), ("page=99999999999999999999999", "page"), ("kind=spaceship", "kind"),
])
def test_bad_query_args_on_institutions_are_422(client, h, query, field):
    error = assert_error(client.get(f"{API}/institutions?{query}", headers=h), 422, "validation_failed", field)
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize("query, field", [
    ("per_page=0", "per_page"), ("page=abc", "page"), ("role=root", "role"), ("institution_id=abc", "institution_id"),
    ("institution_id=0", "institution_id"), ("institution_id=" + "9" * 30, "institution_id"),
])
def test_bad_query_args_on_users_are_422(client, h, query, field):
    error = assert_error(client.get(f"{API}/users?{query}", headers=h), 422, "validation_failed", field)
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize("path", ["/institutions/" + "9" * 30, "/users/" + "9" * 30, "/institutions/2147483648",
                                  "/users/0", "/institutions/-1", "/institutions/abc", "/users/1.5", "/nothing-here"])
def test_impossible_ids_and_unknown_routes_are_404_json(client, h, path):
    assert_error(client.get(f"{API}{path}", headers=h), 404, "not_found")


def test_wrong_method_is_405_json(client, h):
    assert_error(client.delete(f"{API}/institutions", headers=h), 405, "method_not_allowed")
    assert_error(client.put(f"{API}/me", headers=h, json={}), 405, "method_not_allowed")


# --- whatever JSON arrives, the answer is never a 5xx

INSTITUTION_KEYS = ["kind", "name", "region_code", "certification_no", "certified_until", "net_assets",
                    "guarantee_multiple"]
USER_KEYS = ["username", "password", "role", "institution_id", "party_id", "phone"]
TEXT = st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\n0.")),
               max_size=30)
PLAUSIBLE = st.one_of(
    st.sampled_from(["bank", "guarantee_agency", "appraisal_agency", "platform", "loan_officer", "admin", "farmer",
                     "370000", "2026-11-23", "2026-02-30", "5000000000.00", "-1", "1e400", "0", "NaN"]),
    st.integers(min_value=-2**70, max_value=2**70), st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False), TEXT, st.text(min_size=10, max_size=12))
JSON = st.recursive(st.none() | st.booleans() | PLAUSIBLE,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)


def objects(keys):
    return st.dictionaries(st.one_of(st.sampled_from(keys), TEXT), st.one_of(PLAUSIBLE, JSON), max_size=8)


def check_never_5xx(client, db, h, path, document):
    before = rows(db)
    text = json.dumps(document)  # \u-escapes: lone surrogates reach the server as escapes, as a client sends them
    resp = post_raw(client, path, text, h)
    assert resp.status_code < 500, (document, resp.get_data(as_text=True)[:500])
    if resp.status_code >= 400:
        assert_error(resp, resp.status_code)
        assert rows(db) == before
    else:
        assert resp.status_code == 201


HYPOTHESIS = settings(max_examples=100, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HYPOTHESIS
@given(document=st.one_of(objects(INSTITUTION_KEYS), JSON))
def test_random_json_to_post_institutions_never_5xx(client, db, h, document):
    check_never_5xx(client, db, h, "/institutions", document)


@HYPOTHESIS
@given(document=st.one_of(objects(USER_KEYS), JSON))
def test_random_json_to_post_users_never_5xx(client, db, h, bank, document):
    check_never_5xx(client, db, h, "/users", document)


@HYPOTHESIS
@given(raw=st.one_of(st.binary(max_size=64), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_random_bytes_never_5xx(client, db, h, raw):
    before = rows(db)
    resp = post_raw(client, "/institutions", raw, h)
    assert 400 <= resp.status_code < 500, (raw, resp.get_data(as_text=True)[:500])
    assert_error(resp, resp.status_code)
    assert rows(db) == before
