"""Registry parties over the API: registration with every identity number checked and named, duplicates
refused, ID numbers encrypted at rest and masked in every response, the audited identity reveal, search and
scoping."""
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from finplat.audit import AuditRecord
from finplat.auth import service as auth_service
from finplat.registry.identity import id_check_char, uscc_check_char
from finplat.registry.models import HouseholdMember, Party
from finplat.registry.party_service import create_party
from finplat.security.pii import blind_index
from tests.conftest import PASSWORD

API = "/api/v1"
HEAD = "370103199001010016"  # check character worked by hand in test_identity.py
STANDARD = "11010519491231002X"  # GB 11643's own example
USCC = "91350100M000100Y43"


def idn(body17: str) -> str:
    """A valid resident ID number from its first 17 digits."""
    return body17 + id_check_char(body17)


SPOUSE, CHILD, OTHER = "370103199203150025", "370103201506010038", "370103197007070045"


@pytest.fixture
def registrar(make_user):
    return make_user("registrar")


@pytest.fixture
def h(registrar, auth_header):
    return auth_header(registrar)


@pytest.fixture
def collective(make_party):
    return make_party("collective", name="宅科村股份经济合作社")


@pytest.fixture
def household(client, h, collective):
    """household(id_number=..., members=[...], **fields) -> the 201 response body."""
    def make(id_number=HEAD, members=(), **fields):
        resp = client.post(f"{API}/parties", headers=h, json=household_body(collective, id_number, members, **fields))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()
    return make


def household_body(collective, id_number=HEAD, members=(), **fields):
    return {"kind": "household", "name": "张三", "region_code": "370103", "township": "港沟街道",
            "village": "宅科村", "id_number": id_number, "collective_id": collective.id,
            "members": [{"name": f"成员{i}", "id_number": n, "relation": "子女"} for i, n in enumerate(members)],
            **fields}


def counts(db):
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (Party, HouseholdMember, AuditRecord))


def error_of(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)[:800]
    error = resp.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if code:
        assert error["code"] == code, error
    return error


# --- registering a household

def test_a_household_is_registered_whole_and_masked(client, db, h, collective):
    before = counts(db)
    resp = client.post(f"{API}/parties", headers=h, json=household_body(
        collective, members=[SPOUSE, "11010519491231002x"], phone="13700000001"))

    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["id"] and body["kind"] == "household" and body["collective_id"] == collective.id
    assert (body["name"], body["region_code"], body["township"], body["village"], body["phone"]) == \
        ("张三", "370103", "港沟街道", "宅科村", "13700000001")
    assert body["id_number"] == "370103********0016"
    assert [m["id_number"] for m in body["members"]] == ["370103********0025", "110105********002X"]
    assert [m["name"] for m in body["members"]] == ["成员0", "成员1"] and all(m["id"] for m in body["members"])
    assert body["uscc"] is None
    assert counts(db) == (before[0] + 1, before[1] + 2, before[2] + 1)  # one audit record

    got = client.get(f"{API}/parties/{body['id']}", headers=h).get_json()
    assert got == body


def test_members_carry_their_phone(client, db, h, collective):
    body = household_body(collective, members=[SPOUSE])
    body["members"][0]["phone"] = "13900000002"
    resp = client.post(f"{API}/parties", headers=h, json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["members"][0]["phone"] == "13900000002"
    assert db.session.execute(db.select(HouseholdMember.phone)).scalar_one() == "13900000002"
    body["members"][0]["phone"] = "1390000000" + "0" * 12  # too long for the column
    body["id_number"], body["members"][0]["id_number"] = CHILD, OTHER
    bad = client.post(f"{API}/parties", headers=h, json=body)
    assert bad.status_code == 422 and "members" in bad.get_json()["error"]["fields"]


def test_id_numbers_are_stored_normalised_and_encrypted(client, db, h, collective):
    party_id = client.post(f"{API}/parties", headers=h, json=household_body(
        collective, id_number=" 11010519491231002x", members=[SPOUSE])).get_json()["id"]

    head = db.session.execute(text("SELECT id_number, id_number_index FROM parties WHERE id = :id"),
                              {"id": party_id}).one()
    member = db.session.execute(text("SELECT id_number, id_number_index FROM household_members "
                                     "WHERE household_id = :id"), {"id": party_id}).one()
    for raw, number in ((head, STANDARD), (member, SPOUSE)):
        assert number not in raw.id_number and number.lower() not in raw.id_number
        assert number[6:14] not in raw.id_number  # not even the birth date
        assert raw.id_number_index == blind_index(number)
    db.session.expire_all()
    assert db.session.get(Party, party_id).id_number == STANDARD  # upper-case X, no blanks


def test_the_audit_record_keeps_masked_numbers_only(client, db, h, collective):
    body = household_body(collective, members=[SPOUSE])
    party_id = client.post(f"{API}/parties", headers=h, json=body).get_json()["id"]
    rec = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).scalar_one()
    assert (rec.action, rec.object_type, rec.object_id) == ("party.create", "party", str(party_id))
    assert rec.actor.startswith("registrar:")
    assert HEAD not in rec.after and SPOUSE not in rec.after
    assert "370103********0016" in rec.after


def test_collectives_and_enterprises_carry_a_credit_code(client, h):
    coll = client.post(f"{API}/parties", headers=h, json={
        "kind": "collective", "name": "东村股份经济合作社", "region_code": "370103", "village": "东村",
        "uscc": "91350100m000100y43", "legal_representative": "李四"})
    assert coll.status_code == 201, coll.get_json()
    assert coll.get_json()["uscc"] == USCC and coll.get_json()["id_number"] is None
    assert coll.get_json()["members"] == [] and coll.get_json()["legal_representative"] == "李四"
    # an enterprise need not sit in a village
    code = "91370103MA3C0LX17" + uscc_check_char("91370103MA3C0LX17")
    ent = client.post(f"{API}/parties", headers=h, json={"kind": "enterprise", "name": "泉源农业开发有限公司",
                                                         "region_code": "370103", "uscc": code})
    assert ent.status_code == 201, ent.get_json()
    assert ent.get_json()["village"] is None


# --- wrong numbers: 422 naming the field and the reason

@pytest.mark.parametrize("number, reason", [
    ("370103199001010010", "check character should be 6, not 0"),
    ("37010319900101001", "must be 18 characters, not 17"),
    ("37010319900A01001X", "must be 17 digits and a digit or X"),
    ("370103199002300016", "the birth date is not a real date"),
    (idn("37010320261124001"), "the birth date is out of range"),  # the day after the business date
])
def test_a_wrong_head_id_number_is_422_naming_it(client, db, h, collective, number, reason):
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=h, json=household_body(collective, id_number=number)),
                     422, "rule_violation")
    assert error["fields"] == {"id_number": [reason]}
    assert counts(db) == before


def test_a_wrong_member_number_is_named_by_its_place(client, db, h, collective):
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=h, json=household_body(
        collective, members=[SPOUSE, "370103199001010010", "123"])), 422)
    assert error["fields"] == {"members.1.id_number": ["check character should be 6, not 0"],
                               "members.2.id_number": ["must be 18 characters, not 3"]}
    assert counts(db) == before


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y44", "check character should be 3, not 4"),
    ("91350100M000100I43", "characters I are not used in credit codes"),
    ("9135010OM000100Y43", "characters O are not used in credit codes"),
    ("91350100M000100Z43", "characters Z are not used in credit codes"),
    ("91350100M000S00Y43", "characters S are not used in credit codes"),
    ("91350100MV00100Y43", "characters V are not used in credit codes"),
])
def test_a_wrong_credit_code_is_422_naming_it(client, db, h, code, reason):
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=h, json={
        "kind": "enterprise", "name": "某公司", "region_code": "370103", "uscc": code}), 422)
    assert error["fields"] == {"uscc": [reason]}
    assert counts(db) == before


@pytest.mark.parametrize("change, fields", [
    ({"uscc": USCC}, {"uscc": ["only applies to collective or enterprise"]}),
    ({"id_number": None}, {"id_number": ["a household needs its id_number"]}),
    ({"collective_id": None}, {"collective_id": ["a household needs its collective_id"]}),
    ({"legal_representative": "李四"}, {"legal_representative": ["only applies to collective or enterprise"]}),
    ({"collective_id": 987654}, {"collective_id": ["no such party"]}),
])
def test_household_fields(client, db, h, collective, change, fields):
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=h, json={**household_body(collective), **change}), 422)
    assert error["fields"] == fields
    assert counts(db) == before


def test_an_id_number_belongs_to_households_only(client, h):
    error = error_of(client.post(f"{API}/parties", headers=h, json={
        "kind": "enterprise", "name": "某公司", "region_code": "370103", "uscc": USCC, "id_number": HEAD,
        "members": [{"name": "王五", "id_number": SPOUSE, "relation": "职工"}]}), 422)
    assert error["fields"] == {"id_number": ["only applies to household"], "members": ["only applies to household"]}


def test_a_households_collective_must_be_a_collective(client, db, h, make_party):
    enterprise = make_party("enterprise")
    error = error_of(client.post(f"{API}/parties", headers=h, json=household_body(enterprise)), 422)
    assert error["fields"] == {"collective_id": [f"party {enterprise.id} is not a collective (kind enterprise)"]}
    other_household = make_party("household")
    error = error_of(client.post(f"{API}/parties", headers=h, json=household_body(other_household)), 422)
    assert "collective_id" in error["fields"]


# --- duplicates: 409 naming the field; the same number twice in one request: 422

def test_a_head_registered_again_is_409(client, db, h, household, collective):
    household()
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=h, json=household_body(collective)), 409, "duplicate")
    assert error["fields"] == {"id_number": ["already registered"]}
    assert counts(db) == before


def test_lower_case_x_is_the_same_number(client, h, household, collective):
    household(id_number=STANDARD)
    error = error_of(client.post(f"{API}/parties", headers=h,
                                 json=household_body(collective, id_number="11010519491231002x")), 409)
    assert error["fields"] == {"id_number": ["already registered"]}


def test_a_member_of_another_household_is_409(client, h, household, collective):
    household(members=[SPOUSE])
    body = household_body(collective, OTHER, members=[CHILD, SPOUSE])
    as_member = client.post(f"{API}/parties", headers=h, json=body)
    assert error_of(as_member, 409)["fields"] == {"members.1.id_number": ["already registered"]}
    as_head = client.post(f"{API}/parties", headers=h, json=household_body(collective, SPOUSE))
    assert error_of(as_head, 409)["fields"] == {"id_number": ["already registered"]}


def test_another_households_head_as_a_member_is_409(client, h, household, collective):
    household()
    resp = client.post(f"{API}/parties", headers=h, json=household_body(collective, OTHER, members=[HEAD]))
    assert error_of(resp, 409)["fields"] == {"members.0.id_number": ["already registered"]}


def test_a_number_twice_in_one_request_is_422(client, db, h, collective):
    before = counts(db)
    twice = client.post(f"{API}/parties", headers=h, json=household_body(collective, members=[SPOUSE, HEAD.lower()]))
    assert error_of(twice, 422)["fields"] == {"members.1.id_number": ["repeats id_number"]}
    members = client.post(f"{API}/parties", headers=h, json=household_body(collective, members=[SPOUSE, SPOUSE]))
    assert error_of(members, 422)["fields"] == {"members.1.id_number": ["repeats members.0.id_number"]}
    assert counts(db) == before


def test_a_credit_code_registered_again_is_409(client, h):
    body = {"kind": "enterprise", "name": "某公司", "region_code": "370103", "uscc": USCC}
    assert client.post(f"{API}/parties", headers=h, json=body).status_code == 201
    again = client.post(f"{API}/parties", headers=h, json={**body, "kind": "collective", "village": "东村"})
    assert error_of(again, 409, "duplicate")["fields"] == {"uscc": ["already registered"]}


# --- who may register and reveal

@pytest.mark.parametrize("role", ["loan_officer", "appraiser", "guarantor", "bank_manager", "fund_manager"])
def test_only_a_registrar_writes_checked_before_the_body(client, db, make_user, auth_header, role):
    header = auth_header(make_user(role))
    before = counts(db)
    error = error_of(client.post(f"{API}/parties", headers=header, json={"kind": 5, "id_number": "x"}), 403,
                     "forbidden")
    assert error["fields"] == {} and role in error["message"]
    assert counts(db) == before


def test_an_admin_may_register(client, admin, auth_header, collective):
    resp = client.post(f"{API}/parties", headers=auth_header(admin), json=household_body(collective))
    assert resp.status_code == 201, resp.get_json()


def test_the_identity_reveal_is_full_and_audited(client, db, h, household, registrar):
    party = household(id_number="11010519491231002x", members=[SPOUSE, CHILD])
    before = counts(db)

    resp = client.get(f"{API}/parties/{party['id']}/identity", headers=h)

    assert resp.status_code == 200
    assert resp.get_json() == {"party_id": party["id"], "id_number": STANDARD, "members": [
        {"id": party["members"][0]["id"], "name": "成员0", "id_number": SPOUSE, "relation": "子女"},
        {"id": party["members"][1]["id"], "name": "成员1", "id_number": CHILD, "relation": "子女"}]}
    assert counts(db) == (before[0], before[1], before[2] + 1)
    rec = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).scalar_one()
    assert (rec.action, rec.object_id, rec.actor_id) == ("party.identity_revealed", str(party["id"]), registrar.id)
    assert STANDARD not in rec.after and SPOUSE not in rec.after  # the log says what was shown, not the number
    assert "members.1.id_number" in rec.after

    client.get(f"{API}/parties/{party['id']}/identity", headers=h)
    assert counts(db)[2] == before[2] + 2  # every call


def test_an_organisations_reveal_gives_its_code(client, h, make_party):
    coll = make_party("collective")
    assert client.get(f"{API}/parties/{coll.id}/identity", headers=h).get_json() == \
        {"party_id": coll.id, "uscc": coll.uscc, "members": []}


@pytest.mark.parametrize("role", ["loan_officer", "appraiser", "farmer"])
def test_the_reveal_is_refused_to_others(client, db, make_user, auth_header, make_party, role):
    party = make_party()
    extra = {"party_id": party.id, "username": "13700000042"} if role == "farmer" else {}
    header = auth_header(make_user(role, **extra))
    before = counts(db)
    assert error_of(client.get(f"{API}/parties/{party.id}/identity", headers=header), 403)["fields"] == {}
    assert counts(db) == before


def test_the_reveal_of_nothing_is_404(client, h):
    error_of(client.get(f"{API}/parties/987654/identity", headers=h), 404, "not_found")
    error_of(client.get(f"{API}/parties/99999999999/identity", headers=h), 404, "not_found")


def test_the_reveal_commits_though_it_reads(app, committed_db):
    """The record survives the request: another connection sees it."""
    db = committed_db
    centre = auth_service.create_institution("test", {"kind": "rights_centre", "name": "产权中心"})
    auth_service.create_user("test", {"username": "reg", "password": PASSWORD, "role": "registrar",
                                      "institution_id": centre.id})
    coll = create_party("test", {"kind": "collective", "name": "宅科村", "region_code": "370103", "village": "宅科村",
                                 "uscc": USCC})
    party_id = create_party("test", {"kind": "household", "name": "张三", "region_code": "370103",
                                     "village": "宅科村", "id_number": HEAD, "collective_id": coll.id}).id
    db.session.remove()
    client = app.test_client()
    token = client.post(f"{API}/auth/token", json={"username": "reg", "password": PASSWORD}).get_json()["token"]

    resp = client.get(f"{API}/parties/{party_id}/identity", headers={"Authorization": f"Bearer {token}"})

    assert resp.status_code == 200 and resp.get_json()["id_number"] == HEAD
    db.session.remove()
    with db.engine.connect() as other:
        assert other.execute(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "party.identity_revealed",
                                    AuditRecord.object_id == str(party_id))).scalar_one() == 1


# --- reading and searching

@pytest.fixture
def registry(client, h, household, collective, make_party):
    """Three households of two villages, a collective, an enterprise."""
    a = household(name="张三", members=[SPOUSE])
    b = household(id_number=OTHER, name="张大山", village="东村")
    c = household(id_number=STANDARD, name="李四", region_code="110105")
    ent = make_party("enterprise", name="泉源农业开发有限公司")
    return {"a": a, "b": b, "c": c, "collective": collective, "enterprise": ent}


def names(resp):
    assert resp.status_code == 200, resp.get_json()
    return sorted(p["name"] for p in resp.get_json()["items"])


def test_search_by_name_id_number_and_code(client, h, registry):
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": "张"})) == ["张三", "张大山"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": HEAD})) == ["张三"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": SPOUSE})) == ["张三"]  # a member's
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": "11010519491231002x"})) == ["李四"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": HEAD[:14]})) == []  # exact only
    assert names(client.get(f"{API}/parties", headers=h,
                            query_string={"q": registry["enterprise"].uscc.lower()})) == ["泉源农业开发有限公司"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"q": "%"})) == []  # no wildcard


def test_filters_and_pages(client, h, registry):
    assert names(client.get(f"{API}/parties", headers=h, query_string={"village": "东村"})) == ["张大山"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"region_code": "110105"})) == ["李四"]
    assert names(client.get(f"{API}/parties", headers=h, query_string={"kind": "household", "q": "张"})) == \
        ["张三", "张大山"]
    page = client.get(f"{API}/parties", headers=h, query_string={"kind": "household", "per_page": 2, "page": 2})
    assert (page.get_json()["total"], page.get_json()["page"], len(page.get_json()["items"])) == (3, 2, 1)
    listed = client.get(f"{API}/parties", headers=h, query_string={"q": "张三"}).get_json()["items"]
    assert listed[0]["id_number"] == "370103********0016"
    assert listed[0]["members"][0]["id_number"] == "370103********0025"


@pytest.mark.parametrize("query", [{"kind": "bank"}, {"region_code": "3701"}, {"page": 0}, {"per_page": 1000},
                                   {"q": "x" * 201}])
def test_bad_queries_are_422(client, h, query):
    error_of(client.get(f"{API}/parties", headers=h, query_string=query), 422, "validation_failed")


@pytest.mark.parametrize("role", ["loan_officer", "appraiser", "guarantor", "fund_manager"])
def test_every_institution_user_reads_the_registry_masked(client, make_user, auth_header, registry, role):
    header = auth_header(make_user(role))
    listed = client.get(f"{API}/parties", headers=header, query_string={"per_page": 100}).get_json()
    assert listed["total"] == 5
    one = client.get(f"{API}/parties/{registry['a']['id']}", headers=header).get_json()
    assert one["id_number"] == "370103********0016" and HEAD not in str(listed) and SPOUSE not in str(one)


def test_a_farmer_sees_their_household_and_its_collective(client, make_user, auth_header, registry):
    own = registry["a"]
    farmer = make_user("farmer", party_id=own["id"], username="13700000042")
    header = auth_header(farmer)
    assert names(client.get(f"{API}/parties", headers=header)) == ["宅科村股份经济合作社", "张三"]
    assert names(client.get(f"{API}/parties", headers=header, query_string={"q": OTHER})) == []
    assert client.get(f"{API}/parties/{own['id']}", headers=header).get_json()["id_number"] == "370103********0016"
    assert client.get(f"{API}/parties/{registry['collective'].id}", headers=header).status_code == 200
    error_of(client.get(f"{API}/parties/{registry['b']['id']}", headers=header), 404, "not_found")
    error_of(client.get(f"{API}/parties/{registry['enterprise'].id}", headers=header), 404)
    error_of(client.post(f"{API}/parties", headers=header, json={}), 403)


def test_unknown_and_absurd_ids_are_404(client, h):
    error_of(client.get(f"{API}/parties/987654", headers=h), 404, "not_found")
    error_of(client.get(f"{API}/parties/99999999999999999999", headers=h), 404)


def test_no_token_is_401(client):
    for method, path in (("post", "/parties"), ("get", "/parties"), ("get", "/parties/1"),
                         ("get", "/parties/1/identity")):
        error_of(getattr(client, method)(f"{API}{path}", json={"kind": 1}), 401, "unauthorized")


# --- malformed input never crashes

TEXTS = st.one_of(st.text(max_size=30), st.sampled_from(["370103199001010016", "11010519491231002x", USCC, "",
                                                         " ", "\x00", "370103", "９１"]))
VALUES = st.one_of(TEXTS, st.none(), st.integers(-2**40, 2**40), st.booleans(), st.floats(allow_nan=False),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
MEMBER = st.one_of(VALUES, st.fixed_dictionaries({}, optional={"name": VALUES, "id_number": VALUES,
                                                              "relation": VALUES}))
BODIES = st.one_of(VALUES, st.fixed_dictionaries({}, optional={
    "kind": st.one_of(st.sampled_from(["household", "collective", "enterprise"]), VALUES),
    "name": VALUES, "region_code": st.one_of(st.just("370103"), VALUES), "township": VALUES, "village": VALUES,
    "id_number": VALUES, "uscc": VALUES, "collective_id": st.one_of(st.integers(-5, 2**40), VALUES),
    "members": st.one_of(st.lists(MEMBER, max_size=3), VALUES), "legal_representative": VALUES,
    "phone": VALUES, "extra": VALUES}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=BODIES)
def test_random_bodies_never_crash(client, db, h, body):
    before = counts(db)
    resp = client.post(f"{API}/parties", headers=h, json=body)
    assert resp.status_code in (201, 400, 409, 422), (body, resp.get_data(as_text=True)[:500])
    error = resp.get_json().get("error")
    if resp.status_code != 201:
        assert set(error) == {"code", "message", "fields"}
        assert counts(db) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=40), village=st.text(max_size=10))
def test_random_searches_never_crash(client, h, q, village):
    resp = client.get(f"{API}/parties", headers=h, query_string={"q": q, "village": village})
    assert resp.status_code in (200, 400, 422), resp.get_data(as_text=True)[:500]


# --- two registrations of one person at once

@pytest.mark.postgres
def test_concurrent_registrations_of_one_number_let_one_win(app, committed_db):
    """Ten requests at once, half registering the number as a head, half as another household's member:
    the unique indexes cannot see across the two tables; the identity lock does. Exactly one wins."""
    coll_id = create_party("test", {"kind": "collective", "name": "宅科村", "region_code": "370103",
                                    "village": "宅科村", "uscc": USCC}).id
    committed_db.session.remove()
    barrier, results = threading.Barrier(10), []

    def register(n):
        head, members = (HEAD, []) if n % 2 else (idn(f"370103198001{n + 1:02d}001"), [{"name": "配偶", "id_number": HEAD,
                                                                                 "relation": "配偶"}])
        with app.app_context():
            barrier.wait()
            try:
                create_party("test", {"kind": "household", "name": f"户{n}", "region_code": "370103",
                                      "village": "宅科村", "id_number": head, "collective_id": coll_id,
                                      "members": members})
                results.append("won")
            except Exception as exc:  # collected and asserted on below
                results.append(getattr(exc, "status", repr(exc)))
            finally:
                committed_db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [409] * 9 + ["won"], results
    index = blind_index(HEAD)
    with committed_db.engine.connect() as conn:
        heads = conn.execute(select(func.count()).select_from(Party).where(Party.id_number_index == index)).scalar()
        members = conn.execute(select(func.count()).select_from(HouseholdMember)
                               .where(HouseholdMember.id_number_index == index)).scalar()
    assert heads + members == 1


def test_an_id_number_ending_in_a_lower_case_x_is_found(client, db, make_user, auth_header):
    from finplat.registry import party_service
    from finplat.registry.identity import id_check_char
    body = next(f"1101051990010{n:04d}" for n in range(1000) if id_check_char(f"1101051990010{n:04d}") == "X")
    from finplat.registry.models import Party
    from finplat.security.pii import blind_index
    party = Party(kind="household", name="王五", region_code="110105", id_number=body + "X",
                  id_number_index=blind_index(body + "X"))
    db.session.add(party)
    db.session.commit()
    found = db.session.execute(party_service.find_parties("test", q=body + "x")).scalars().all()
    assert [p.id for p in found] == [party.id]
