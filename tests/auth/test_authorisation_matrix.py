"""Who may call what (API.md "Conventions", "Auth and administration"), role by role and route by route, and
which rows each caller sees. The role check comes before the body is validated: a wrong role with a broken
body is a 403, never a 422."""
import re

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.auth.models import Institution, User
from tests.conftest import PASSWORD

API = "/api/v1"
ROLES = ("registrar", "appraiser", "loan_officer", "bank_manager", "guarantor", "fund_manager", "admin", "farmer")

# route -> (method, path, body that breaks validation, admin's status with that body, everyone else's status)
ROUTES = {
    "POST /institutions": ("post", "/institutions", {"kind": 5, "name": ""}, 422, 403),
    "POST /users": ("post", "/users", {"username": "", "role": "pilot", "password": 1}, 422, 403),
    "GET /institutions": ("get", "/institutions", None, 200, 200),
    "GET /users": ("get", "/users", None, 200, 200),
    "GET /admin/business-date": ("get", "/admin/business-date", None, 200, 403),
    "POST /admin/cob": ("post", "/admin/cob", {"business_date": "not a date", "extra": 1}, 422, 403),
    "GET /me": ("get", "/me", None, 200, 200),
}


@pytest.fixture
def caller(make_party, make_user, auth_header):
    """caller(role) -> (user, bearer header); a farmer is linked to a household of the registry."""
    household = make_party().id

    def make(role, **extra):
        if role == "farmer":
            extra.setdefault("party_id", household)
            extra.setdefault("username", "13700000042")
        user = make_user(role, **extra)
        return user, auth_header(user)
    return make


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def error_of(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(client, db, caller, role, route):
    method, path, bad_body, admin_status, other_status = ROUTES[route]
    user, header = caller(role)
    expected = admin_status if role == "admin" else other_status
    writes_before = count(db, AuditRecord)

    resp = getattr(client, method)(f"{API}{path}", headers=header, json=bad_body)

    assert resp.status_code == expected, (role, route, resp.get_json())
    if expected == 403:
        error = error_of(resp, 403, "forbidden")
        assert error["fields"] == {}  # the body was never looked at
        assert role in error["message"]
    elif expected == 422:
        assert error_of(resp, 422, "validation_failed")["fields"]
    assert count(db, AuditRecord) == writes_before  # nothing was written by a refused or invalid call
    if route == "GET /me" and expected == 200:
        assert resp.get_json()["id"] == user.id and resp.get_json()["role"] == role


@pytest.mark.parametrize("route", ROUTES)
def test_no_token_is_401_before_anything_else(client, route):
    method, path, bad_body, _, _ = ROUTES[route]
    for header in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Basic {PASSWORD}"}):
        error = error_of(getattr(client, method)(f"{API}{path}", headers=header, json=bad_body), 401, "unauthorized")
        assert error["fields"] == {}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_valid_admin_writes_by_other_roles_are_403_and_change_nothing(client, db, caller, make_institution, role):
    bank = make_institution("bank")
    _, header = caller(role)
    institutions, users, records = count(db, Institution), count(db, User), count(db, AuditRecord)

    resp = client.post(f"{API}/institutions", headers=header, json={"kind": "bank", "name": "rogue bank"})
    error_of(resp, 403, "forbidden")
    resp = client.post(f"{API}/users", headers=header, json={"username": "rogue", "password": PASSWORD,
                                                             "role": "admin", "institution_id": bank.id})
    error_of(resp, 403, "forbidden")
    resp = client.post(f"{API}/admin/cob", headers=header, json={"business_date": "2026-11-23"})
    error_of(resp, 403, "forbidden")

    assert (count(db, Institution), count(db, User), count(db, AuditRecord)) == (institutions, users, records)
    admin_header = caller("admin")[1]
    assert client.get(f"{API}/admin/business-date", headers=admin_header).get_json() == {
        "business_date": "2026-11-23"}  # COB did not run


def test_admin_valid_writes_succeed(client, db, caller):
    _, header = caller("admin")
    inst = client.post(f"{API}/institutions", headers=header, json={"kind": "bank", "name": "new bank"})
    assert inst.status_code == 201
    user = client.post(f"{API}/users", headers=header, json={"username": "new_officer", "password": PASSWORD,
                                                             "role": "loan_officer",
                                                             "institution_id": inst.get_json()["id"]})
    assert user.status_code == 201
    cob = client.post(f"{API}/admin/cob", headers=header, json={"business_date": "2026-11-22"})  # already closed
    assert cob.status_code == 200 and cob.get_json()["open_date"] == "2026-11-23"


# --- object scoping

@pytest.fixture
def two_banks(make_institution, make_user):
    bank_a, bank_b = make_institution("bank", name="bank A"), make_institution("bank", name="bank B")
    return {
        "bank_a": bank_a, "bank_b": bank_b,
        "officer_a": make_user("loan_officer", institution=bank_a, username="officer_a"),
        "manager_a": make_user("bank_manager", institution=bank_a, username="manager_a"),
        "officer_b": make_user("loan_officer", institution=bank_b, username="officer_b"),
        "guarantor": make_user("guarantor", username="guarantor_g"),
    }


def usernames(resp):
    assert resp.status_code == 200, resp.get_json()
    return sorted(u["username"] for u in resp.get_json()["items"])


def test_bank_user_lists_only_own_bank_users(client, two_banks, auth_header):
    header = auth_header(two_banks["officer_a"])
    resp = client.get(f"{API}/users?per_page=100", headers=header)
    assert usernames(resp) == ["manager_a", "officer_a"]
    assert resp.get_json()["total"] == 2
    # filters narrow what the caller may see; they never widen it
    other = client.get(f"{API}/users?institution_id={two_banks['bank_b'].id}", headers=header)
    assert other.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 20}
    managers = client.get(f"{API}/users?role=bank_manager", headers=header)
    assert usernames(managers) == ["manager_a"]
    assert usernames(client.get(f"{API}/users?role=guarantor", headers=header)) == []


def test_other_banks_user_is_404_like_a_missing_one(client, two_banks, auth_header):
    header = auth_header(two_banks["officer_a"])
    hidden = client.get(f"{API}/users/{two_banks['officer_b'].id}", headers=header)
    missing = client.get(f"{API}/users/987654", headers=header)
    assert error_of(hidden, 404, "not_found")["fields"] == error_of(missing, 404, "not_found")["fields"] == {}
    assert "officer_b" not in hidden.get_data(as_text=True)
    own = client.get(f"{API}/users/{two_banks['manager_a'].id}", headers=header)
    assert own.status_code == 200 and own.get_json()["username"] == "manager_a"


def test_guarantor_sees_only_own_agency(client, two_banks, auth_header):
    guarantor = two_banks["guarantor"]
    header = auth_header(guarantor)
    assert usernames(client.get(f"{API}/users", headers=header)) == ["guarantor_g"]
    error_of(client.get(f"{API}/users/{two_banks['officer_a'].id}", headers=header), 404, "not_found")


def test_farmer_sees_only_themself(client, db, two_banks, caller):
    farmer, header = caller("farmer")
    resp = client.get(f"{API}/users", headers=header)
    assert usernames(resp) == [farmer.username] and resp.get_json()["total"] == 1
    error_of(client.get(f"{API}/users/{two_banks['officer_a'].id}", headers=header), 404, "not_found")
    assert client.get(f"{API}/users/{farmer.id}", headers=header).status_code == 200
    assert client.get(f"{API}/me", headers=header).get_json()["party_id"] == farmer.party_id is not None


def test_admin_sees_every_user(client, db, two_banks, caller):
    _, header = caller("admin")
    resp = client.get(f"{API}/users?per_page=100", headers=header)
    assert resp.get_json()["total"] == count(db, User) == 5
    assert client.get(f"{API}/users/{two_banks['officer_b'].id}", headers=header).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_institution_directory_is_visible_to_every_logged_in_user(client, db, two_banks, caller, role):
    _, header = caller(role)
    resp = client.get(f"{API}/institutions?per_page=100", headers=header)
    assert resp.status_code == 200
    assert resp.get_json()["total"] == count(db, Institution)
    assert {i["name"] for i in resp.get_json()["items"]} >= {"bank A", "bank B"}
    other = client.get(f"{API}/institutions/{two_banks['bank_b'].id}", headers=header)
    assert other.status_code == 200 and other.get_json()["name"] == "bank B"


# --- the OpenAPI document

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_openapi_document_is_public_and_lists_every_api_route(app, client):
    resp = client.get(f"{API}/openapi.json")  # no token at all
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.") and doc["info"]["version"] == "v1"
    documented = {(path, method.upper()) for path, operations in doc["paths"].items()
                  for method in operations if method in HTTP_METHODS}

    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{API}/") and rule.rule != f"{API}/openapi.json":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <int:user_id> -> {user_id}
            served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented
    assert {("/api/v1/institutions", "POST"), ("/api/v1/institutions/{institution_id}", "GET"),
            ("/api/v1/users", "POST"), ("/api/v1/users/{user_id}", "GET"), ("/api/v1/me", "GET"),
            ("/api/v1/auth/token", "POST"), ("/api/v1/admin/business-date", "GET"),
            ("/api/v1/admin/cob", "POST")} <= served


def test_openapi_document_says_which_routes_need_a_token(client):
    doc = client.get(f"{API}/openapi.json", headers={"Authorization": "Bearer stale-token"}).get_json()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"bearerAuth": []}]  # the default for every operation
    open_operations = {(path, method) for path, operations in doc["paths"].items()
                       for method, operation in operations.items()
                       if method in HTTP_METHODS and operation.get("security") == []}
    assert open_operations == {("/api/v1/auth/token", "post")}
    assert client.get(f"{API}/me").status_code == 401  # and indeed the others refuse a missing token
