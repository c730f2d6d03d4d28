"""Valuation records over the API (API.md "Valuation"): preview, derived inputs and their sources, the
certification rules, supersession, expiry at close of business, who sees what."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.audit import AuditRecord
from finplat.registry.models import ShareRegister, Shareholding
from finplat.valuation import service
from finplat.valuation.models import CollectiveNetAssets, Valuation
from tests.conftest import OPEN_DATE
from tests.valuation.conftest import IN_FORCE, right_of as _right

API = "/api/v1"


def error_fields(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:800]
    return resp.get_json()["error"]["fields"]


# --- preview

def test_preview_gives_the_journey_figure(client, appraiser):
    resp = client.post(f"{API}/valuations/preview", headers=appraiser, json={
        "method": "income_capitalisation", "inputs": {"annual_net_income": "40000.00", "rate": "0.06", "years": 20}})
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    # 40,000 x (1 - 1.06^-20) / 0.06 = 40,000 x 11.46992122 = 458,796.85
    assert got["value"] == "458796.85"
    assert Decimal(got["low"]) < Decimal(got["value"]) < Decimal(got["high"])
    assert isinstance(got["details"], dict) and got["details"]


def test_preview_errors_name_the_input(client, appraiser):
    resp = client.post(f"{API}/valuations/preview", headers=appraiser, json={
        "method": "income_capitalisation", "inputs": {"annual_net_income": "40000.00", "rate": "0", "years": 20}})
    assert list(error_fields(resp, 422)["inputs"]) == ["rate"]
    resp = client.post(f"{API}/valuations/preview", headers=appraiser, json={
        "method": "market_comparison", "inputs": {"area": "10.00", "comparables": [
            {"price": "100000.00", "area": "10.00", "factors": ["1.00"]}]}})
    assert "comparables" in error_fields(resp, 422)["inputs"]
    resp = client.post(f"{API}/valuations/preview", headers=appraiser, json={"method": "guess", "inputs": {}})
    assert "method" in error_fields(resp, 422)
    resp = client.post(f"{API}/valuations/preview", headers=appraiser, json={
        "method": "share_nav", "inputs": {"net_assets": "1000.00"}})
    assert set(error_fields(resp, 422)["inputs"]) == {"total_shares", "shares"}


def test_preview_needs_a_login(client):
    assert client.post(f"{API}/valuations/preview", json={"method": "share_nav", "inputs": {}}).status_code == 401


# --- requesting: inputs derived from the registry and reference data

def test_inputs_left_out_come_from_the_registry_and_reference_data(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"])
    resp = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "income_capitalisation", "note": "实地查看：小麦长势良好"})
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    # A = 1,200/mu x 30 mu = 36,000.00; r = 0.06 (Jinan's rate, found from 370103 by the city's 370100);
    # n = 7,708 days from 2026-11-23 to 2047-12-31 / 365.25 = 21.10 years (rounded down).
    # 1.06^21.10 = 3.41943031, so P = 36,000 / 0.06 x (1 - 0.29244638) = 600,000 x 0.70755362 = 424,532.17
    assert {name: Decimal(value) for name, value in got["inputs"].items()} == {
        "annual_net_income": Decimal("36000.00"), "rate": Decimal("0.06"), "years": Decimal("21.10")}
    assert got["input_sources"] == {"annual_net_income": "reference", "rate": "reference", "years": "registry"}
    assert got["value"] == "424532.17" and got["status"] == "draft"
    assert {ref["table"] for ref in got["references"]} == {"ref_net_incomes", "ref_capitalisation_rates"}
    assert got["note"] == "实地查看：小麦长势良好" and got["valuation_date"] == OPEN_DATE.isoformat()
    saved = db.session.get(Valuation, got["id"])
    assert (saved.value, saved.status, saved.certified_by_id) == (Decimal("424532.17"), "draft", None)
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "valuation.requested")) == 1


def test_the_appraisers_inputs_win_and_are_marked_so(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"])
    got = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "income_capitalisation", "inputs": {"rate": "0.05"}}).get_json()
    assert got["input_sources"] == {"annual_net_income": "reference", "rate": "appraiser", "years": "registry"}
    assert Decimal(got["inputs"]["rate"]) == Decimal("0.05")


def test_nothing_to_derive_from_is_a_422_naming_the_input(client, db, appraiser, parties):
    right = _right(db, parties["household"])  # no reference data loaded
    resp = client.post(f"{API}/valuations", headers=appraiser, json={"right_id": right.id,
                                                                     "method": "income_capitalisation"})
    fields = error_fields(resp, 422)["inputs"]
    assert set(fields) == {"annual_net_income", "rate"}
    assert "370103" in fields["rate"][0]
    assert db.session.scalar(select(func.count()).select_from(Valuation)) == 0


def test_years_may_not_outrun_the_right(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"])
    resp = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "income_capitalisation", "inputs": {"years": 30}})
    assert error_fields(resp, 422)["inputs"] == {"years": ["must not exceed the right's remaining term, 21.10 years"]}


def test_a_method_must_suit_the_kind(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"])
    resp = client.post(f"{API}/valuations", headers=appraiser, json={"right_id": right.id, "method": "cost"})
    assert list(error_fields(resp, 422)) == ["method"]


def test_construction_land_by_land_price_coefficient(client, db, appraiser, parties, reference):
    right = _right(db, parties["enterprise"], "construction_land")
    got = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "land_price_coefficient"}).get_json()
    # 800/m2 (industrial, grade 2) x (1 + 0) x K x 5,000 m2; m = 17,935 days / 365.25 = 49.10 years, n = 50:
    # K = (1 - 1/1.06^49.10) / (1 - 1/1.06^50) = (1 - 1/17.47905643) / (1 - 1/18.42015427) = 0.99690924
    # P = 800 x 0.99690924 x 5,000 = 3,987,636.97
    assert got["value"] == "3987636.97", got
    assert got["input_sources"] == {"base_price": "reference", "area": "registry", "factor_corrections": "default",
                                    "rate": "reference", "remaining_years": "registry", "max_years": "registry"}
    assert got["inputs"]["max_years"] == 50


def test_house_by_cost_with_its_homestead(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"], "house")
    got = client.post(f"{API}/valuations", headers=appraiser, json={"right_id": right.id, "method": "cost"}).get_json()
    # brick-concrete: 50 years, 2 % residual; built 2008, valued 2026: t = 18, d = 0.98 x 18 / 50 = 0.3528
    # building 1,800/m2 x 180.50 m2 x (1 - 0.3528) = 210,275.28; homestead 200 m2 x 300/m2 = 60,000.00
    assert got["value"] == "270275.28", got
    assert Decimal(got["inputs"]["land_value"]) == Decimal("60000.00")
    assert got["input_sources"]["land_value"] == "reference" and got["input_sources"]["age_years"] == "registry"


def test_a_shareholding_by_net_asset_value(client, db, appraiser, parties):
    collective, household = parties["collective"], parties["household"]
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    db.session.flush()
    holding = Shareholding(collective_id=collective.id, member_id=household.id, shares=250)
    db.session.add_all([holding, CollectiveNetAssets(collective_id=collective.id, net_assets=Decimal("3600000.00"),
                                                     effective_date=IN_FORCE)])
    db.session.commit()
    got = client.post(f"{API}/valuations", headers=appraiser, json={
        "shareholding_id": holding.id, "method": "share_nav"}).get_json()
    # 3,600,000.00 / 1,000 shares x 250 shares = 900,000.00
    assert got["value"] == "900000.00" and got["shareholding_id"] == holding.id
    assert got["input_sources"] == {"net_assets": "reference", "total_shares": "registry", "shares": "registry"}


def test_one_collateral_exactly(client, appraiser):
    resp = client.post(f"{API}/valuations", headers=appraiser, json={"method": "share_nav"})
    assert "right_id" in error_fields(resp, 422)


def test_only_appraisers_request(client, db, officer, parties, reference):
    right = _right(db, parties["household"])
    resp = client.post(f"{API}/valuations", headers=officer, json={"right_id": right.id,
                                                                   "method": "income_capitalisation"})
    assert resp.status_code == 403


def test_a_withdrawn_right_is_not_valued(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"], status="withdrawn")
    resp = client.post(f"{API}/valuations", headers=appraiser, json={"right_id": right.id,
                                                                     "method": "income_capitalisation"})
    assert resp.status_code == 409


# --- certifying

def _draft(client, appraiser, right_id, income="60000.00"):
    resp = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right_id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": income, "rate": "0.06", "years": "20"}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_certify_makes_it_valid_for_twelve_months(client, db, appraiser, parties):
    right = _right(db, parties["household"])
    draft = _draft(client, appraiser, right.id)
    resp = client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser, json={})
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["status"] == "certified" and got["certified_on"] == "2026-11-23" and got["valid_until"] == "2027-11-22"
    shown = client.get(f"{API}/rights/{right.id}", headers=appraiser).get_json()
    # 60,000 x (1 - 1.06^-20) / 0.06 = 60,000 x 11.46992122 = 688,195.27
    assert shown["certified_value"] == got["value"] == "688195.27"
    assert client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser).status_code == 409


def test_a_newer_certified_valuation_supersedes_the_old(client, db, appraiser, parties):
    right = _right(db, parties["household"])
    first = _draft(client, appraiser, right.id)
    client.post(f"{API}/valuations/{first['id']}/certify", headers=appraiser)
    second = _draft(client, appraiser, right.id, income="50000.00")
    assert client.post(f"{API}/valuations/{second['id']}/certify", headers=appraiser).status_code == 200
    old = client.get(f"{API}/valuations/{first['id']}", headers=appraiser).get_json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == second["id"]
    assert service.current_certified(right_id=right.id).id == second["id"]
    # 50,000 x 11.46992122 = 573,496.06
    assert client.get(f"{API}/rights/{right.id}", headers=appraiser).get_json()["certified_value"] == "573496.06"
    listed = client.get(f"{API}/valuations?right_id={right.id}", headers=appraiser).get_json()
    assert [(v["id"], v["status"]) for v in listed["items"]] == [(second["id"], "certified"),
                                                                  (first["id"], "superseded")]


@pytest.mark.parametrize("changes, code", [
    ({"certification_no": None}, "agency_not_certified"),
    ({"certified_until": None}, "agency_not_certified"),
    ({"certified_until": date(2026, 11, 22)}, "certification_expired"),
])
def test_an_uncertified_agency_cannot_certify(client, db, appraiser, agency, parties, changes, code):
    right = _right(db, parties["household"])
    draft = _draft(client, appraiser, right.id)
    for name, value in changes.items():
        setattr(agency, name, value)
    db.session.commit()
    resp = client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == code
    assert db.session.get(Valuation, draft["id"]).status == "draft"


def test_certification_valid_through_today_still_certifies(client, db, appraiser, agency, parties):
    agency.certified_until = OPEN_DATE
    db.session.commit()
    draft = _draft(client, appraiser, _right(db, parties["household"]).id)
    assert client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser).status_code == 200


def test_another_agency_neither_sees_nor_certifies_a_draft(client, db, appraiser, make_user, make_institution,
                                                           auth_header, officer, parties):
    other = auth_header(make_user("appraiser", institution=make_institution(
        "appraisal_agency", certification_no="鲁评协-2026-0200", certified_until=date(2028, 1, 1))))
    draft = _draft(client, appraiser, _right(db, parties["household"]).id)
    assert client.post(f"{API}/valuations/{draft['id']}/certify", headers=other).status_code == 404
    assert client.get(f"{API}/valuations/{draft['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/valuations/{draft['id']}", headers=officer).status_code == 404
    client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    assert client.get(f"{API}/valuations/{draft['id']}", headers=officer).get_json()["status"] == "certified"
    assert client.get(f"{API}/valuations/{draft['id']}", headers=other).status_code == 200


def test_a_farmer_sees_the_valuations_of_their_own(client, db, appraiser, make_user, auth_header, parties,
                                                   make_party):
    mine = _right(db, parties["household"])
    neighbour = make_party("household", name="周八", collective_id=parties["collective"].id)
    theirs = _right(db, neighbour, certificate_no="370103-LM-N")
    ids = []
    for right in (mine, theirs):
        draft = _draft(client, appraiser, right.id)
        client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
        ids.append(draft["id"])
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=parties["household"].id))
    listed = client.get(f"{API}/valuations", headers=farmer).get_json()
    assert [v["id"] for v in listed["items"]] == [ids[0]]
    assert client.get(f"{API}/valuations/{ids[1]}", headers=farmer).status_code == 404


# --- expiry

def test_a_valuation_expires_at_the_close_of_its_last_valid_day(client, db, appraiser, parties):
    right = _right(db, parties["household"])
    draft = _draft(client, appraiser, right.id)
    client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    cob.run_to(date(2027, 11, 21), actor="test")
    assert db.session.get(Valuation, draft["id"]).status == "certified"
    assert service.current_certified(right_id=right.id) is not None
    cob.run_to(date(2027, 11, 22), actor="test")
    db.session.expire_all()
    assert db.session.get(Valuation, draft["id"]).status == "expired"
    assert service.current_certified(right_id=right.id) is None  # cannot back a new loan
    assert client.get(f"{API}/rights/{right.id}", headers=appraiser).get_json()["certified_value"] is None
    # as it stood on a day it was in force
    past = client.get(f"{API}/rights/{right.id}?as_of=2027-01-01", headers=appraiser)
    assert past.status_code == 200, past.get_json()
    assert past.get_json()["certified_value"] == "688195.27"


def test_valid_until_is_twelve_months_less_a_day():
    assert service.valid_until(date(2026, 11, 23)) == date(2027, 11, 22)
    assert service.valid_until(date(2024, 2, 29)) == date(2025, 2, 27)  # 28 Feb 2025 is the anniversary
    assert service.valid_until(date(2026, 1, 31)) == date(2027, 1, 30)
    assert service.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


# --- the review's cases: stale drafts, an older draft over a newer certificate, who requests, overrides

def test_validity_runs_from_the_valuation_date(client, db, appraiser, parties):
    draft = _draft(client, appraiser, _right(db, parties["household"]).id)
    db.session.get(Valuation, draft["id"]).valuation_date = date(2026, 6, 1)  # drafted in June, certified now
    db.session.commit()
    got = client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser).get_json()
    assert (got["certified_on"], got["valid_until"]) == ("2026-11-23", "2027-05-31")


def test_a_draft_past_its_twelve_months_is_not_certified(client, db, appraiser, parties):
    draft = _draft(client, appraiser, _right(db, parties["household"]).id)
    db.session.get(Valuation, draft["id"]).valuation_date = date(2025, 11, 22)  # valid through 2026-11-21
    db.session.commit()
    resp = client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "stale_valuation"
    assert db.session.get(Valuation, draft["id"]).status == "draft"


def test_an_older_draft_does_not_replace_a_newer_certified_valuation(client, db, appraiser, parties):
    right = _right(db, parties["household"])
    older, newer = _draft(client, appraiser, right.id), _draft(client, appraiser, right.id, income="50000.00")
    db.session.get(Valuation, older["id"]).valuation_date = date(2026, 10, 1)
    db.session.commit()
    assert client.post(f"{API}/valuations/{newer['id']}/certify", headers=appraiser).status_code == 200
    resp = client.post(f"{API}/valuations/{older['id']}/certify", headers=appraiser)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "newer_valuation_certified"
    assert service.current_certified(right_id=right.id).id == newer["id"]


def test_only_an_appraisal_agency_requests(client, db, make_user, auth_header, parties):
    admin = auth_header(make_user("admin"))
    right = _right(db, parties["household"])
    resp = client.post(f"{API}/valuations", headers=admin, json={
        "right_id": right.id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": "1000.00", "rate": "0.06", "years": 5}})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_an_appraiser"
    assert db.session.scalar(select(func.count()).select_from(Valuation)) == 0


def test_a_structure_given_by_the_appraiser_takes_its_own_replacement_cost(client, db, appraiser, parties, reference):
    right = _right(db, parties["household"], "house")  # registered brick-concrete
    resp = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "cost", "inputs": {"structure": "simple"}})
    fields = error_fields(resp, 422)["inputs"]  # Jinan has no figure for a simple structure in this fixture
    assert list(fields) == ["replacement_cost_per_m2"] and "simple" in fields["replacement_cost_per_m2"][0]


def test_a_shareholding_valuation_records_the_shares_valued(client, db, appraiser, parties):
    collective, household = parties["collective"], parties["household"]
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    db.session.flush()
    holding = Shareholding(collective_id=collective.id, member_id=household.id, shares=250)
    db.session.add(holding)
    db.session.commit()
    got = client.post(f"{API}/valuations", headers=appraiser, json={
        "shareholding_id": holding.id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": "3000.00", "rate": "0.06", "years": 10}}).get_json()
    assert got["shares"] == 250 and db.session.get(Valuation, got["id"]).shares == 250


def test_the_calculator_is_for_institution_users(client, make_user, auth_header, parties):
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=parties["household"].id))
    resp = client.post(f"{API}/valuations/preview", headers=farmer, json={
        "method": "share_nav", "inputs": {"net_assets": "1000.00", "total_shares": 10, "shares": 1}})
    assert resp.status_code == 403
