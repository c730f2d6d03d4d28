"""Rights over the API (API.md "Registry"): registration by kind, the rules of DESIGN.md §3.2, consents,
freeze/unfreeze/withdraw, history and "as of", who sees what, and the expiry step of COB."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.audit import AuditRecord
from finplat.registry import right_service
from finplat.registry.models import Consent, Lien, Right, RightEvent
from tests.conftest import OPEN_DATE

API = "/api/v1"

ATTRIBUTES = {
    "land_management": {"land_class": "cropland", "crop": "wheat"},
    "house": {"structure": "brick_concrete", "floor_area": "180.50", "year_built": 2008, "homestead_area": "200"},
    "construction_land": {"use": "industrial", "grade": "2"},
    "forest": {"species": "杨树", "stand_age": 12, "fire_insurance_policy": "PICC-FI-2026-0001",
               "fire_insurance_until": "2027-12-31"},
    "water_facility": {"capacity": "5000.00", "build_cost": "380000", "year_built": 2015},
}
UNITS = {"land_management": "mu", "house": "m2", "construction_land": "m2", "forest": "mu", "water_facility": "m2"}
TERMS = {"land_management": ("2018-01-01", "2047-12-31"), "construction_land": ("2026-01-01", "2075-12-31"),
         "forest": ("2010-01-01", "2069-12-31"), "house": (None, None), "water_facility": (None, None)}
HOLDER = {"land_management": "household", "house": "household", "construction_land": "enterprise",
          "forest": "collective", "water_facility": "collective"}


@pytest.fixture
def registrar(make_user, auth_header):
    user = make_user("registrar", username="registrar_r")
    return auth_header(user)


@pytest.fixture
def parties(make_party):
    collective = make_party("collective", name="宅科村股份经济合作社")
    return {"collective": collective,
            "household": make_party("household", name="孙七", collective_id=collective.id),
            "enterprise": make_party("enterprise", name="泉源农业开发有限公司", village=None)}


@pytest.fixture
def farmer_header(make_user, auth_header, parties):
    def make(household, phone="13700000001"):
        return auth_header(make_user("farmer", username=phone, party_id=household.id))
    return make


_certs = iter(range(1, 10**6))


def body(kind="land_management", holder=None, **changes):
    start, end = TERMS[kind]
    data = {"kind": kind, "certificate_no": f"370103-{kind}-{next(_certs):06d}", "holder_id": holder,
            "region_code": "370103", "area": "30.00", "area_unit": UNITS[kind], "term_start": start,
            "term_end": end, "attributes": dict(ATTRIBUTES[kind])}
    if start is None:
        del data["term_start"], data["term_end"]
    data.update(changes)
    return data


@pytest.fixture
def register(client, registrar, parties):
    def post(kind="land_management", holder=None, expect=201, **changes):
        holder = holder or parties[HOLDER[kind]]
        resp = client.post(f"{API}/rights", headers=registrar, json=body(kind, holder.id, **changes))
        assert resp.status_code == expect, resp.get_json()
        return resp.get_json()
    return post


def error_fields(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)[:800]
    error = resp.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if code:
        assert error["code"] == code, error
    return error["fields"]


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- registration, kind by kind

@pytest.mark.parametrize("kind", list(ATTRIBUTES))
def test_register_each_kind(client, db, registrar, register, parties, kind):
    right = register(kind)
    assert right["id"] and right["kind"] == kind and right["status"] == "active"
    assert right["holder_id"] == parties[HOLDER[kind]].id and right["area"] == "30.00"
    assert right["consents"] == [] and right["liens"] == [] and right["certified_value"] is None
    got = client.get(f"{API}/rights/{right['id']}", headers=registrar).get_json()
    assert got == right
    (event,) = db.session.execute(select(RightEvent).where(RightEvent.right_id == right["id"])).scalars()
    assert (event.kind, event.status_before, event.status_after) == ("registered", None, "active")
    assert event.actor == "registrar:registrar_r" and event.business_date == OPEN_DATE
    assert db.session.execute(select(AuditRecord).where(AuditRecord.action == "right.registered",
                                                        AuditRecord.object_id == str(right["id"]))).scalar_one()


def test_attributes_are_stored_normalised(register):
    house = register("house")
    assert house["attributes"] == {"structure": "brick_concrete", "floor_area": "180.50", "year_built": 2008,
                                   "homestead_area": "200.00"}
    water = register("water_facility")
    assert water["attributes"]["build_cost"] == "380000.00" and water["attributes"]["capacity"] == "5000.00"
    forest = register("forest")
    assert forest["attributes"]["fire_insurance_until"] == "2027-12-31"
    land = register("land_management", attributes={"land_class": "grassland"})  # crop is optional
    assert land["attributes"] == {"land_class": "grassland"}


@pytest.mark.parametrize("kind, attributes, bad", [
    ("land_management", {"land_class": "orchard"}, "land_class"),
    ("land_management", {"crop": "wheat"}, "land_class"),
    ("house", {"structure": "mud", "floor_area": "80.00", "year_built": 1990}, "structure"),
    ("house", {"structure": "simple", "floor_area": "0", "year_built": 1990}, "floor_area"),
    ("house", {"structure": "simple", "floor_area": "80.001", "year_built": 1990}, "floor_area"),
    ("house", {"structure": "simple", "floor_area": "80.00", "year_built": "1990"}, "year_built"),
    ("construction_land", {"use": "farming"}, "use"),
    ("forest", {"species": "杨树", "stand_age": 12, "fire_insurance_policy": "P-1"}, "fire_insurance_until"),
    ("forest", {"species": "杨树", "stand_age": -1, "fire_insurance_policy": "P-1",
                "fire_insurance_until": "2027-01-01"}, "stand_age"),
    ("water_facility", {"capacity": "10.00", "build_cost": "12.345", "year_built": 2015}, "build_cost"),
    ("water_facility", {"capacity": "10.00", "build_cost": 1.5e3, "year_built": 2015}, None),  # a number is fine
])
def test_invalid_attributes_are_422_naming_them(client, registrar, parties, kind, attributes, bad):
    resp = client.post(f"{API}/rights", headers=registrar,
                       json=body(kind, parties[HOLDER[kind]].id, attributes=attributes))
    if bad is None:
        assert resp.status_code == 201, resp.get_json()
        return
    assert bad in error_fields(resp, 422, "validation_failed")["attributes"]


def test_unknown_attribute_keys_are_named(client, registrar, parties):
    attrs = {**ATTRIBUTES["land_management"], "plots": 3, "colour": "green"}
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body(holder=parties["household"].id, attributes=attrs)), 422)
    assert set(fields["attributes"]) == {"plots", "colour"}
    # an attribute of another kind is unknown too
    attrs = {**ATTRIBUTES["construction_land"], "land_class": "cropland"}
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body("construction_land", parties["enterprise"].id, attributes=attrs)), 422)
    assert set(fields["attributes"]) == {"land_class"}


def test_house_built_in_the_future_is_refused(client, registrar, parties):
    attrs = {**ATTRIBUTES["house"], "year_built": OPEN_DATE.year + 1}
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body("house", parties["household"].id, attributes=attrs)), 422)
    assert "year_built" in fields["attributes"]


@pytest.mark.parametrize("area", ["0", "0.00", "-5.00", "1.234", "abc", None, True, "1e400"])
def test_area_must_be_positive_with_two_decimals(client, db, registrar, parties, area):
    before = count(db, Right)
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body(holder=parties["household"].id, area=area)), 422)
    assert "area" in fields
    assert count(db, Right) == before


def test_duplicate_certificate_is_409(client, db, registrar, register, parties):
    first = register()
    again = body(holder=parties["household"].id, certificate_no=first["certificate_no"])
    fields = error_fields(client.post(f"{API}/rights", headers=registrar, json=again), 409, "duplicate")
    assert "certificate_no" in fields
    assert count(db, Right) == 1


def test_certificate_number_is_trimmed_before_the_duplicate_check(client, registrar, register, parties):
    first = register()
    again = body(holder=parties["household"].id, certificate_no=f"  {first['certificate_no']} ")
    error_fields(client.post(f"{API}/rights", headers=registrar, json=again), 409, "duplicate")


# --- holders

@pytest.mark.parametrize("kind, holder", [
    ("house", "enterprise"), ("house", "collective"),
    ("construction_land", "household"),
    ("water_facility", "enterprise"),
])
def test_wrong_holder_kind_is_422(client, registrar, parties, kind, holder):
    fields = error_fields(client.post(f"{API}/rights", headers=registrar, json=body(kind, parties[holder].id)),
                          422, "rule_violation")
    assert list(fields) == ["holder_id"]


@pytest.mark.parametrize("kind, holder", [
    ("land_management", "household"), ("land_management", "enterprise"), ("land_management", "collective"),
    ("construction_land", "collective"), ("forest", "household"), ("forest", "enterprise"),
    ("water_facility", "household"),
])
def test_allowed_holder_kinds(register, parties, kind, holder):
    changes = {}
    if kind == "land_management" and holder != "household":  # a transferee names the contracted right
        changes["attributes"] = {**ATTRIBUTES[kind], "contract_right_id": register()["id"]}
    assert register(kind, holder=parties[holder], **changes)["holder_id"] == parties[holder].id


def test_unknown_holder_is_422(client, registrar):
    fields = error_fields(client.post(f"{API}/rights", headers=registrar, json=body(holder=987654)), 422)
    assert "holder_id" in fields


def test_area_unit_follows_the_kind(client, registrar, parties):
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body(holder=parties["household"].id, area_unit="m2")), 422)
    assert list(fields) == ["area_unit"]


# --- terms

@pytest.mark.parametrize("use, years", [("industrial", 50), ("warehouse", 50), ("other", 50),
                                        ("commercial", 40), ("tourism", 40), ("entertainment", 40)])
def test_construction_land_term_limits(client, registrar, register, use, years):
    ok = register("construction_land", attributes={"use": use}, term_start="2026-03-15",
                  term_end=f"{2026 + years}-03-15")
    assert ok["term_end"] == f"{2026 + years}-03-15"
    fields = register("construction_land", attributes={"use": use}, term_start="2026-03-15",
                      term_end=f"{2026 + years}-03-16", expect=422)["error"]["fields"]
    assert list(fields) == ["term_end"] and f"at most {years} years" in fields["term_end"][0]


def test_land_management_past_thirty_years_for_cropland_is_refused(register):
    register(term_start="2018-01-01", term_end="2048-01-01")
    fields = register(term_start="2018-01-01", term_end="2048-01-02", expect=422)["error"]["fields"]
    assert list(fields) == ["term_end"]
    register(attributes={"land_class": "grassland"}, term_start="2018-01-01", term_end="2068-01-01")
    register(attributes={"land_class": "forest_land"}, term_start="2018-01-01", term_end="2088-01-01")
    register(attributes={"land_class": "forest_land"}, term_start="2018-01-01", term_end="2088-01-02", expect=422)


def test_term_must_end_after_it_starts(register):
    fields = register("forest", term_start="2026-01-01", term_end="2026-01-01", expect=422)["error"]["fields"]
    assert fields == {"term_end": ["must be after term_start"]}
    register("forest", term_start="2026-01-01", term_end="2025-01-01", expect=422)


def test_term_is_required_where_the_kind_has_one(register):
    fields = register("land_management", term_start=None, term_end=None, expect=422)["error"]["fields"]
    assert set(fields) == {"term_start", "term_end"}
    assert register("house")["term_end"] is None


def test_every_broken_rule_is_named_at_once(client, registrar, parties):
    data = body("construction_land", parties["household"].id, area_unit="mu", term_end="2076-01-02")
    assert set(error_fields(client.post(f"{API}/rights", headers=registrar, json=data), 422)) == \
        {"holder_id", "area_unit", "term_end"}


# --- reading: whole right, list, history, as of

def test_list_filters(client, registrar, register, parties):
    land = register()
    house = register("house")
    other_village = register("construction_land")  # the enterprise has no village
    water = register("water_facility")

    def ids(query):
        resp = client.get(f"{API}/rights?{query}", headers=registrar)
        assert resp.status_code == 200, resp.get_json()
        return [r["id"] for r in resp.get_json()["items"]]

    assert ids(f"holder_id={parties['household'].id}") == [land["id"], house["id"]]
    assert ids("kind=house") == [house["id"]]
    assert ids(f"certificate_no={land['certificate_no']}") == [land["id"]]
    assert ids("village=宅科村") == [land["id"], house["id"], water["id"]]
    assert ids("kind=construction_land") == [other_village["id"]]
    assert ids("status=frozen") == []
    page = client.get(f"{API}/rights?per_page=2&page=2", headers=registrar).get_json()
    assert page["total"] == 4 and page["page"] == 2 and len(page["items"]) == 2
    assert error_fields(client.get(f"{API}/rights?status=lost", headers=registrar), 422)


def test_history_and_as_of(client, db, registrar, register, parties):
    right = register()
    rid = right["id"]
    day0 = OPEN_DATE
    cob.run_to(day0, actor="test")  # the right was registered on day0; day0 + 1 is open
    resp = client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "法院冻结 (2026)鲁0103执1号"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "frozen"

    events = client.get(f"{API}/rights/{rid}/history", headers=registrar).get_json()
    assert events["total"] == 2
    registered, frozen = events["items"]
    assert (registered["kind"], registered["status_before"], registered["status_after"]) == \
        ("registered", None, "active")
    assert (frozen["kind"], frozen["status_before"], frozen["status_after"]) == ("frozen", "active", "frozen")
    assert frozen["details"] == {"reason": "法院冻结 (2026)鲁0103执1号", "return_to": "active"}
    assert frozen["actor"] == "registrar:registrar_r"
    assert registered["business_date"] == day0.isoformat()
    assert frozen["business_date"] == (day0 + timedelta(days=1)).isoformat()
    assert frozen["occurred_at"]

    then = client.get(f"{API}/rights/{rid}?as_of={day0.isoformat()}", headers=registrar).get_json()
    assert then["status"] == "active" and then["as_of"] == day0.isoformat()
    assert then["certificate_no"] == right["certificate_no"] and then["attributes"] == right["attributes"]
    now = client.get(f"{API}/rights/{rid}?as_of={(day0 + timedelta(days=1)).isoformat()}", headers=registrar)
    assert now.get_json()["status"] == "frozen"
    before = client.get(f"{API}/rights/{rid}?as_of={(day0 - timedelta(days=1)).isoformat()}", headers=registrar)
    error_fields(before, 404, "not_found")
    error_fields(client.get(f"{API}/rights/{rid}?as_of=yesterday", headers=registrar), 422)


def test_as_of_shows_the_consents_recorded_by_then(client, registrar, register, parties):
    right = register()
    consent = {"kind": "collective_filing", "party_id": parties["collective"].id, "document_ref": "备案-2026-001",
               "signed_on": OPEN_DATE.isoformat()}
    assert client.post(f"{API}/rights/{right['id']}/consents", headers=registrar, json=consent).status_code == 201
    cob.run_to(OPEN_DATE, actor="test")
    consent["document_ref"] = "备案-2026-002"
    assert client.post(f"{API}/rights/{right['id']}/consents", headers=registrar, json=consent).status_code == 201
    then = client.get(f"{API}/rights/{right['id']}?as_of={OPEN_DATE.isoformat()}", headers=registrar).get_json()
    assert [c["document_ref"] for c in then["consents"]] == ["备案-2026-001"]
    now = client.get(f"{API}/rights/{right['id']}", headers=registrar).get_json()
    assert [c["document_ref"] for c in now["consents"]] == ["备案-2026-001", "备案-2026-002"]


def test_missing_right_is_404(client, registrar):
    for path in ("/rights/987654", "/rights/987654/history", "/rights/99999999999"):
        error_fields(client.get(f"{API}{path}", headers=registrar), 404)
    error_fields(client.post(f"{API}/rights/987654/freeze", headers=registrar, json={"reason": "x"}), 404)


# --- who sees what

def test_farmer_sees_only_their_households_rights(client, make_party, register, parties, farmer_header):
    own = register()
    neighbour = make_party("household", name="王五", collective_id=parties["collective"].id)
    theirs = register(holder=neighbour)
    header = farmer_header(parties["household"])
    listed = client.get(f"{API}/rights", headers=header).get_json()
    assert [r["id"] for r in listed["items"]] == [own["id"]] and listed["total"] == 1
    assert client.get(f"{API}/rights?holder_id={neighbour.id}", headers=header).get_json()["total"] == 0
    assert client.get(f"{API}/rights/{own['id']}", headers=header).status_code == 200
    assert client.get(f"{API}/rights/{own['id']}/history", headers=header).status_code == 200
    hidden = client.get(f"{API}/rights/{theirs['id']}", headers=header)
    missing = client.get(f"{API}/rights/987654", headers=header)
    assert error_fields(hidden, 404) == error_fields(missing, 404) == {}
    assert theirs["certificate_no"] not in hidden.get_data(as_text=True)
    error_fields(client.get(f"{API}/rights/{theirs['id']}/history", headers=header), 404)


@pytest.mark.parametrize("role", ["appraiser", "loan_officer", "bank_manager", "guarantor", "fund_manager"])
def test_institution_users_read_the_registry(client, make_user, auth_header, register, role):
    right = register()
    header = auth_header(make_user(role))
    assert client.get(f"{API}/rights/{right['id']}", headers=header).status_code == 200
    assert client.get(f"{API}/rights", headers=header).get_json()["total"] == 1


WRITES = [("/rights", {"kind": 5, "area": "-1", "junk": True}),
          ("/rights/{id}/consents", {"kind": "bribe"}),
          ("/rights/{id}/freeze", {"reason": ""}),
          ("/rights/{id}/unfreeze", {"reason": 7}),
          ("/rights/{id}/withdraw", {})]


@pytest.mark.parametrize("role", ["appraiser", "loan_officer", "bank_manager", "guarantor", "fund_manager", "farmer"])
def test_non_registrars_get_403_before_the_body_is_validated(client, db, make_user, auth_header, register, parties,
                                                             role):
    right = register()
    extra = {"party_id": parties["household"].id, "username": "13700000009"} if role == "farmer" else {}
    header = auth_header(make_user(role, **extra))
    before = count(db, AuditRecord)
    for path, bad in WRITES:
        resp = client.post(f"{API}{path.format(id=right['id'])}", headers=header, json=bad)
        assert error_fields(resp, 403, "forbidden") == {}, path
    assert count(db, AuditRecord) == before


def test_no_token_is_401(client, register):
    right = register()
    for path, bad in WRITES:
        error_fields(client.post(f"{API}{path.format(id=right['id'])}", json=bad), 401)
    error_fields(client.get(f"{API}/rights/{right['id']}"), 401)


def test_admin_may_register(client, admin, auth_header, parties):
    resp = client.post(f"{API}/rights", headers=auth_header(admin), json=body(holder=parties["household"].id))
    assert resp.status_code == 201


# --- consents

def consent(party, kind="collective_filing", **changes):
    return {"kind": kind, "party_id": party.id, "document_ref": "备案-2026-0042", "signed_on": "2026-11-01",
            **changes}


def test_record_consents(client, db, registrar, register, parties):
    right = register()
    resp = client.post(f"{API}/rights/{right['id']}/consents", headers=registrar, json=consent(parties["collective"]))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["id"] and got["kind"] == "collective_filing" and got["party_id"] == parties["collective"].id
    assert got["signed_on"] == "2026-11-01" and got["document_ref"] == "备案-2026-0042"
    whole = client.get(f"{API}/rights/{right['id']}", headers=registrar).get_json()
    assert [c["id"] for c in whole["consents"]] == [got["id"]]
    event = client.get(f"{API}/rights/{right['id']}/history", headers=registrar).get_json()["items"][-1]
    assert event["kind"] == "consent_recorded" and event["status_before"] == event["status_after"] == "active"
    assert event["details"]["consent_id"] == got["id"]
    assert right_service.missing_consents(db.session.get(Right, right["id"])) == []


def test_a_house_needs_every_co_owner_and_proof_of_another_residence(client, db, registrar, register, parties,
                                                                      make_member, make_party):
    household = parties["household"]
    wife, son = make_member(household, "李梅"), make_member(household, "孙小明", "子女")
    rid = register("house")["id"]
    url = f"{API}/rights/{rid}/consents"

    def missing():
        return right_service.missing_consents(db.session.get(Right, rid))
    assert missing() == ["collective_consent", "co_owner", "other_residence"]
    for kind in ("collective_consent", "other_residence"):
        assert client.post(url, headers=registrar, json=consent(parties["collective"], kind)).status_code == 201
    resp = client.post(url, headers=registrar, json=consent(household, "co_owner", member_id=wife.id))
    assert resp.status_code == 201 and resp.get_json()["member_id"] == wife.id
    assert missing() == ["co_owner"]  # the son has not signed
    assert client.post(url, headers=registrar, json=consent(household, "co_owner", member_id=son.id)).status_code == 201
    assert missing() == []
    event = client.get(f"{API}/rights/{rid}/history", headers=registrar).get_json()["items"][-1]
    assert event["details"]["member_id"] == son.id

    stranger = make_member(make_party("household", name="邻居"), "邻居之妻")
    for bad, field in ((consent(household, "co_owner"), "member_id"),
                       (consent(household, "co_owner", member_id=stranger.id), "member_id"),
                       (consent(household, "co_owner", member_id=987654), "member_id"),
                       (consent(stranger.household, "co_owner", member_id=wife.id), "party_id"),
                       (consent(parties["collective"], "collective_consent", member_id=wife.id), "member_id"),
                       (consent(household, "other_residence"), "party_id")):
        assert list(error_fields(client.post(url, headers=registrar, json=bad), 422)) == [field], bad
    assert db.session.scalar(select(func.count()).select_from(Consent).where(Consent.right_id == rid)) == 4


def test_a_house_of_a_household_without_members_needs_no_co_owner(db, register, client, registrar, parties):
    rid = register("house")["id"]
    assert right_service.missing_consents(db.session.get(Right, rid)) == ["collective_consent", "other_residence"]


def test_a_transferee_names_the_contract_and_the_contractor_consents(client, db, registrar, register, parties,
                                                                    make_party):
    contract = register(term_end="2040-12-31")
    leased_attributes = {**ATTRIBUTES["land_management"], "contract_right_id": contract["id"]}
    fields = error_fields(client.post(f"{API}/rights", headers=registrar,
                                      json=body(holder=parties["enterprise"].id)), 422)
    assert list(fields) == ["attributes"] and list(fields["attributes"]) == ["contract_right_id"]
    fields = error_fields(client.post(f"{API}/rights", headers=registrar, json=body(
        holder=parties["enterprise"].id, term_end="2041-01-01", attributes=leased_attributes)), 422)
    assert fields == {"term_end": ["must not be after the contract term's end, 2040-12-31"]}

    leased = register(holder=parties["enterprise"], term_start="2026-01-01", term_end="2040-12-31",
                      attributes=leased_attributes)
    lid = leased["id"]
    assert leased["attributes"]["contract_right_id"] == contract["id"]
    assert right_service.missing_consents(db.session.get(Right, lid)) == ["collective_filing", "contractor"]
    client.post(f"{API}/rights/{lid}/consents", headers=registrar, json=consent(parties["collective"]))
    someone_else = make_party("household", name="周八", collective_id=parties["collective"].id)
    resp = client.post(f"{API}/rights/{lid}/consents", headers=registrar, json=consent(someone_else, "contractor"))
    assert list(error_fields(resp, 422)) == ["party_id"]
    resp = client.post(f"{API}/rights/{lid}/consents", headers=registrar,
                       json=consent(parties["household"], "contractor"))
    assert resp.status_code == 201
    assert right_service.missing_consents(db.session.get(Right, lid)) == []


@pytest.mark.parametrize("kind, right_kind", [("collective_filing", "land_management"),
                                              ("collective_consent", "house"),
                                              ("villagers_meeting", "construction_land")])
def test_collective_consents_come_from_a_collective(client, registrar, register, parties, kind, right_kind):
    right = register(right_kind)
    for party in (parties["household"], parties["enterprise"]):
        resp = client.post(f"{API}/rights/{right['id']}/consents", headers=registrar, json=consent(party, kind))
        assert list(error_fields(resp, 422, "rule_violation")) == ["party_id"]


def test_consent_rules(client, db, registrar, register, parties):
    rid = register()["id"]
    url = f"{API}/rights/{rid}/consents"
    not_a_household = consent(parties["collective"], "contractor")
    assert "party_id" in error_fields(client.post(url, headers=registrar, json=not_a_household), 422)
    assert "party_id" in error_fields(client.post(url, headers=registrar, json={**consent(parties["collective"]),
                                                                                "party_id": 987654}), 422)
    future = consent(parties["collective"], signed_on=(OPEN_DATE + timedelta(days=1)).isoformat())
    assert "signed_on" in error_fields(client.post(url, headers=registrar, json=future), 422)
    for bad in ({"kind": "approval"}, {"document_ref": ""}, {"signed_on": "soon"}, {"party_id": "1"}, {"extra": 1}):
        resp = client.post(url, headers=registrar, json={**consent(parties["collective"]), **bad})
        assert set(error_fields(resp, 422, "validation_failed")) == set(bad)
    assert client.get(f"{API}/rights/{rid}", headers=registrar).get_json()["consents"] == []


# --- freeze, unfreeze, withdraw

def add_lien(db, right_id, amount="100000.00", status="live"):
    """A lien as the lien service would leave it (that service is not what these tests are about)."""
    lien = Lien(kind="mortgage", right_id=right_id, rank=1, secured_amount=Decimal(amount), secures_type="loan",
                secures_id="L-1", status=status)
    db.session.add(lien)
    right = db.session.get(Right, right_id)
    if status == "live":
        right.status = "encumbered"
    db.session.commit()
    return lien


def test_freeze_and_unfreeze_an_active_right(client, registrar, register):
    rid = register()["id"]
    frozen = client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "司法冻结"})
    assert frozen.status_code == 200 and frozen.get_json()["status"] == "frozen"
    error_fields(client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "again"}), 409)
    error_fields(client.post(f"{API}/rights/{rid}/withdraw", headers=registrar, json={"reason": "x"}), 409)
    back = client.post(f"{API}/rights/{rid}/unfreeze", headers=registrar)  # no body at all
    assert back.status_code == 200 and back.get_json()["status"] == "active"
    error_fields(client.post(f"{API}/rights/{rid}/unfreeze", headers=registrar, json={}), 409, "invalid_status")
    kinds = [e["kind"] for e in client.get(f"{API}/rights/{rid}/history", headers=registrar).get_json()["items"]]
    assert kinds == ["registered", "frozen", "unfrozen"]


def test_freeze_an_encumbered_right_returns_to_encumbered(client, db, registrar, register):
    rid = register()["id"]
    add_lien(db, rid)
    frozen = client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "司法冻结"}).get_json()
    assert frozen["status"] == "frozen" and len(frozen["liens"]) == 1
    assert frozen["liens"][0]["secured_amount"] == "100000.00"
    history = client.get(f"{API}/rights/{rid}/history", headers=registrar).get_json()["items"]
    assert history[-1]["details"]["return_to"] == "encumbered"
    back = client.post(f"{API}/rights/{rid}/unfreeze", headers=registrar, json={"reason": "解除冻结"})
    assert back.get_json()["status"] == "encumbered"


def test_unfreeze_follows_a_lien_released_while_frozen(client, db, registrar, register):
    rid = register()["id"]
    lien = add_lien(db, rid)
    client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "司法冻结"})
    lien.status = "released"
    db.session.commit()
    assert client.post(f"{API}/rights/{rid}/unfreeze", headers=registrar).get_json()["status"] == "active"


def test_withdraw(client, db, registrar, register):
    rid = register()["id"]
    resp = client.post(f"{API}/rights/{rid}/withdraw", headers=registrar, json={"reason": "证书注销"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    for action, data in (("withdraw", {"reason": "again"}), ("freeze", {"reason": "x"}), ("unfreeze", {})):
        error_fields(client.post(f"{API}/rights/{rid}/{action}", headers=registrar, json=data), 409)
    error_fields(client.post(f"{API}/rights/{rid}/consents", headers=registrar,
                             json={"kind": "co_owner", "party_id": db.session.get(Right, rid).holder_id,
                                   "document_ref": "x", "signed_on": "2026-11-01"}), 409)


def test_a_right_with_a_live_lien_cannot_be_withdrawn(client, db, registrar, register):
    rid = register()["id"]
    lien = add_lien(db, rid)
    assert "live lien" in client.post(f"{API}/rights/{rid}/withdraw", headers=registrar,
                                      json={"reason": "x"}).get_json()["error"]["message"]
    assert db.session.get(Right, rid).status == "encumbered"
    lien.status = "released"
    db.session.get(Right, rid).status = "active"
    db.session.commit()
    assert client.post(f"{API}/rights/{rid}/withdraw", headers=registrar, json={"reason": "x"}).status_code == 200


def test_released_liens_are_not_shown(client, db, registrar, register):
    rid = register()["id"]
    add_lien(db, rid, status="released")
    assert client.get(f"{API}/rights/{rid}", headers=registrar).get_json()["liens"] == []


def test_freeze_needs_a_reason(client, registrar, register):
    rid = register()["id"]
    for data in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": None}):
        assert "reason" in error_fields(client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json=data), 422)


# --- malformed input never crashes

@pytest.mark.parametrize("data", [
    None, [], "text", 5, {"kind": None}, {"attributes": "flat"}, {"attributes": [1, 2]},
    {"kind": "house", "attributes": None}, {"holder_id": 2**40}, {"holder_id": 1.5}, {"term_start": "2026-02-30"},
    {"area": "NaN"}, {"area": "Infinity"}, {"area": "１２"}, {"certificate_no": "x" * 101}, {"certificate_no": "a\x00b"},
    {"attributes": {"land_class": "cropland", "crop": {"nested": [1]}}}, {"attributes": {"": 1}},
])
def test_malformed_bodies_are_4xx(client, db, registrar, parties, data):
    good = body(holder=parties["household"].id)
    payload = {**good, **data} if isinstance(data, dict) else data
    resp = client.post(f"{API}/rights", headers=registrar, json=payload)
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)[:500]
    assert set(resp.get_json()["error"]) == {"code", "message", "fields"}
    assert count(db, Right) == 0


@pytest.mark.parametrize("query", ["as_of=2026-13-01", "holder_id=abc", "holder_id=99999999999", "page=0",
                                   "kind=rocket", "per_page=1000", "village=" + "x" * 101])
def test_malformed_queries_are_422(client, registrar, register, query):
    rid = register()["id"]
    path = f"/rights/{rid}?{query}" if query.startswith("as_of") else f"/rights?{query}"
    error_fields(client.get(f"{API}{path}", headers=registrar), 422)


def test_malformed_json_is_400(client, registrar, register):
    rid = register()["id"]
    for path in ("/rights", f"/rights/{rid}/consents", f"/rights/{rid}/freeze"):
        resp = client.post(f"{API}{path}", headers=registrar, data="{bad", content_type="application/json")
        error_fields(resp, 400, "malformed")


# --- expiry in close of business

def make_right(db, holder, term_end, status="active", cert=None):
    right = Right(kind="land_management", certificate_no=cert or f"EXP-{next(_certs)}", holder_id=holder.id,
                  region_code="370103", area=Decimal("10.00"), area_unit="mu", term_start=date(2000, 1, 1),
                  term_end=term_end, attributes={"land_class": "grassland"}, status=status)
    db.session.add(right)
    db.session.commit()
    return right


def events_of(db, right, kind):
    return db.session.execute(select(RightEvent).where(RightEvent.right_id == right.id, RightEvent.kind == kind)
                              .order_by(RightEvent.id)).scalars().all()


def test_cob_expires_rights_whose_term_has_ended(db, parties):
    hh = parties["household"]
    ended = make_right(db, hh, OPEN_DATE - timedelta(days=1))
    ends_today = make_right(db, hh, OPEN_DATE)
    running = make_right(db, hh, OPEN_DATE + timedelta(days=400))
    frozen = make_right(db, hh, OPEN_DATE - timedelta(days=10), status="frozen")
    pledged = make_right(db, hh, OPEN_DATE - timedelta(days=1))
    add_lien(db, pledged.id)

    summary = cob.run_to(OPEN_DATE, actor="test")
    assert summary["closed"][0]["steps"]["registry.expiry"] == {"expired": 1, "expiry_warnings": 1}
    for right in (ended, ends_today, running, frozen, pledged):
        db.session.refresh(right)
    assert (ended.status, ends_today.status, running.status, frozen.status, pledged.status) == \
        ("expired", "active", "active", "frozen", "encumbered")
    (event,) = events_of(db, ended, "expired")
    assert (event.status_before, event.status_after, event.business_date) == ("active", "expired", OPEN_DATE)
    assert event.snapshot["status"] == "expired" and event.actor == "system:cob"

    cob.run_to(OPEN_DATE + timedelta(days=1), actor="test")  # the day after its term end, the next one expires
    db.session.refresh(ends_today)
    assert ends_today.status == "expired" and len(events_of(db, ended, "expired")) == 1
    assert events_of(db, pledged, "expired") == []  # a right with a live lien never expires silently


def test_cob_warns_once_180_days_before_a_pledged_right_ends(client, db, registrar, parties):
    hh = parties["household"]
    soon = make_right(db, hh, OPEN_DATE + timedelta(days=180))
    later = make_right(db, hh, OPEN_DATE + timedelta(days=182))
    unpledged = make_right(db, hh, OPEN_DATE + timedelta(days=30))
    for right in (soon, later):
        add_lien(db, right.id)

    cob.run_to(OPEN_DATE, actor="test")
    assert len(events_of(db, soon, "expiry_warning")) == 1
    assert events_of(db, later, "expiry_warning") == events_of(db, unpledged, "expiry_warning") == []
    summary = cob.run_to(OPEN_DATE + timedelta(days=3), actor="test")
    assert [d["steps"]["registry.expiry"]["expiry_warnings"] for d in summary["closed"]] == [0, 1, 0]
    assert len(events_of(db, soon, "expiry_warning")) == 1  # never repeated
    assert len(events_of(db, later, "expiry_warning")) == 1
    (warning,) = events_of(db, later, "expiry_warning")
    assert warning.business_date == OPEN_DATE + timedelta(days=2)
    assert warning.status_before == warning.status_after == "encumbered"
    assert warning.details["term_end"] == later.term_end.isoformat()
    history = client.get(f"{API}/rights/{later.id}/history", headers=registrar).get_json()["items"]
    assert [e["kind"] for e in history] == ["expiry_warning"]


def test_a_term_at_the_end_of_the_calendar_is_accepted_not_a_crash(register):
    """9990-9999 is within the 30-year cropland limit: the limit's own date would overflow the calendar."""
    got = register(term_start="9990-01-01", term_end="9999-12-31")
    assert got["term_end"] == "9999-12-31"


def test_a_right_moves_to_a_new_holder_with_its_event(client, db, registrar, register, parties, make_party):
    rid = register("construction_land")["id"]
    buyer = make_party("enterprise", name="新泉农业有限公司", village=None)
    resp = client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                       json={"to_holder_id": buyer.id, "document_ref": "转让合同-2026-01"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["holder_id"] == buyer.id
    last = client.get(f"{API}/rights/{rid}/history", headers=registrar).get_json()["items"][-1]
    assert last["kind"] == "transferred"
    assert last["details"]["from_holder_id"] == parties["enterprise"].id
    assert last["details"]["to_holder_id"] == buyer.id


def test_a_transfer_is_refused_when_frozen_encumbered_or_to_the_wrong_kind(client, db, registrar, register, parties):
    from finplat.registry import lien_service
    other = parties["collective"]
    rid = register("construction_land")["id"]
    error_fields(client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                             json={"to_holder_id": parties["household"].id, "document_ref": "x"}), 422)
    client.post(f"{API}/rights/{rid}/freeze", headers=registrar, json={"reason": "法院冻结"})
    error_fields(client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                             json={"to_holder_id": other.id, "document_ref": "x"}), 409, "collateral_frozen")
    client.post(f"{API}/rights/{rid}/unfreeze", headers=registrar, json={})
    client.post(f"{API}/rights/{rid}/consents", headers=registrar, json=consent(other, "villagers_meeting"))
    lien_service.create_lien("test", right_id=rid, kind="mortgage", secured_amount="100000.00",
                             max_secured="700000.00", secures_type="loan", secures_id="1")
    error_fields(client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                             json={"to_holder_id": other.id, "document_ref": "x"}), 409, "encumbered")
    assert db.session.get(Right, rid).holder_id == parties["enterprise"].id


def test_a_consent_must_concern_the_rights_kind(client, registrar, register, parties):
    house = register("house")
    resp = client.post(f"{API}/rights/{house['id']}/consents", headers=registrar,
                       json=consent(parties["collective"], "villagers_meeting"))
    assert list(error_fields(resp, 422, "rule_violation")) == ["kind"]


def test_a_filing_comes_from_the_holders_own_collective(client, registrar, register, parties, make_party):
    land = register("land_management")  # held by a household of parties["collective"]
    elsewhere = make_party("collective", name="邻村股份经济合作社")
    resp = client.post(f"{API}/rights/{land['id']}/consents", headers=registrar,
                       json=consent(elsewhere, "collective_filing"))
    assert list(error_fields(resp, 422, "rule_violation")) == ["party_id"]
    ok = client.post(f"{API}/rights/{land['id']}/consents", headers=registrar,
                     json=consent(parties["collective"], "collective_filing"))
    assert ok.status_code == 201, ok.get_json()


def test_a_collective_right_takes_its_own_villagers_meeting(client, db, registrar, register, parties, make_party):
    other = make_party("collective", name="东坡村股份经济合作社")
    rid = register("construction_land", holder=parties["collective"])["id"]
    resp = client.post(f"{API}/rights/{rid}/consents", headers=registrar, json=consent(other, "villagers_meeting"))
    assert list(error_fields(resp, 422)) == ["party_id"]
    resp = client.post(f"{API}/rights/{rid}/consents", headers=registrar,
                       json=consent(parties["collective"], "villagers_meeting"))
    assert resp.status_code == 201


def test_a_transferees_filing_comes_from_the_collective_that_let_the_land(client, db, registrar, register, parties,
                                                                         make_party):
    contract = register()  # the household of 宅科村's collective
    leased = register(holder=parties["enterprise"], term_start="2026-01-01", attributes={
        **ATTRIBUTES["land_management"], "contract_right_id": contract["id"]})
    other = make_party("collective", name="东坡村股份经济合作社")
    url = f"{API}/rights/{leased['id']}/consents"
    assert list(error_fields(client.post(url, headers=registrar, json=consent(other)), 422)) == ["party_id"]
    assert client.post(url, headers=registrar, json=consent(parties["collective"])).status_code == 201


def test_a_contracted_right_moves_only_to_a_household(client, db, registrar, register, parties, make_party):
    rid = register()["id"]
    resp = client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                       json={"to_holder_id": parties["enterprise"].id, "document_ref": "流转-1"})
    assert list(error_fields(resp, 422)) == ["to_holder_id"]
    neighbour = make_party("household", name="周八", collective_id=parties["collective"].id)
    resp = client.post(f"{API}/rights/{rid}/transfer", headers=registrar,
                       json={"to_holder_id": neighbour.id, "document_ref": "互换-1"})
    assert resp.status_code == 200 and resp.get_json()["holder_id"] == neighbour.id
