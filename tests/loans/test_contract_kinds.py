"""Each kind of collateral through contracts and disbursement: the right security contract for each, every
contract rendered from the registry's facts, signed and validating, and the loan paid out."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from finplat.contracts import service as contracts
from finplat.contracts import storage
from finplat.loans.models import Loan
from finplat.registry import right_service, share_service
from finplat.registry.models import Consent, Shareholding
from finplat.valuation import service as valuations
from tests.loans.conftest import API, file

FIRE_COVER = "2031-12-31"


def register(db, kind, holder, collective, attributes, area="30.00", unit="mu", term=(date(2018, 1, 1), date(2047, 12, 31)),
             consents=()):
    right = right_service.register_right("test", {
        "kind": kind, "certificate_no": f"370112-{kind}-1", "holder_id": holder.id, "region_code": "370112",
        "area": Decimal(area), "area_unit": unit, "term_start": term[0], "term_end": term[1], "attributes": attributes})
    for consent in consents:
        db.session.add(Consent(right_id=right.id, kind=consent, party_id=collective.id, document_ref=f"{consent}-1",
                               signed_on=date(2026, 11, 1)))
    db.session.commit()
    return right


def certify(appraiser, key, method, inputs):
    draft = valuations.request_valuation(appraiser, {**key, "method": method, "inputs": inputs})
    return valuations.certify(appraiser, draft.id)


def forest(db, village, appraiser):
    right = register(db, "forest", village["household"], village["collective"], {
        "species": "杨树", "stand_age": 8, "fire_insurance_policy": "PICC-1", "fire_insurance_until": FIRE_COVER},
        term=(date(2010, 1, 1), date(2059, 12, 31)))
    certify(appraiser, {"right_id": right.id}, "income_capitalisation",
            {"annual_net_income": Decimal("30000.00"), "rate": Decimal("0.06"), "years": Decimal(30)})
    return "FOREST-MORTGAGE", [{"right_id": right.id}], village["household"]


def house(db, village, appraiser):
    right = register(db, "house", village["household"], village["collective"], {
        "structure": "brick_concrete", "floor_area": "160.00", "year_built": 2012, "homestead_area": "200.00"},
        area="160.00", unit="m2", term=(None, None), consents=("collective_consent", "other_residence"))
    certify(appraiser, {"right_id": right.id}, "cost",
            {"replacement_cost_per_m2": Decimal("2000.00"), "floor_area": Decimal("160.00"),
             "structure": "brick_concrete", "age_years": Decimal(14), "land_value": Decimal("200000.00")})
    return "HOUSE-MORTGAGE", [{"right_id": right.id}], village["household"]


def construction_land(db, village, appraiser):
    right = register(db, "construction_land", village["collective"], village["collective"],
                     {"use": "industrial", "grade": "2"}, area="5000.00", unit="m2",
                     term=(date(2026, 1, 1), date(2075, 12, 31)), consents=("villagers_meeting",))
    certify(appraiser, {"right_id": right.id}, "land_price_coefficient",
            {"base_price": Decimal("800.00"), "area": Decimal("5000.00"), "factor_corrections": [Decimal("0.02")],
             "rate": Decimal("0.06"), "remaining_years": Decimal("49"), "max_years": 50})
    return "CONSTRUCTION-LAND-MORTGAGE", [{"right_id": right.id}], village["collective"]


def shares(db, village, appraiser):
    share_service.put_register("test", village["collective"].id, {
        "total_shares": 1000, "allocations": [{"member_id": village["household"].id, "shares": 600},
                                              {"member_id": village["neighbour"].id, "shares": 400}]})
    holding = db.session.execute(select(Shareholding).where(
        Shareholding.member_id == village["household"].id)).scalar_one()
    certify(appraiser, {"shareholding_id": holding.id}, "share_nav",
            {"net_assets": Decimal("3600000.00"), "total_shares": 1000, "shares": 600})
    return "EQUITY-PLEDGE", [{"shareholding_id": holding.id, "shares": 300}], village["household"]


@pytest.mark.parametrize("setup, security", [
    (forest, "forest_mortgage"), (house, "house_mortgage"), (construction_land, "construction_land_mortgage"),
    (shares, "share_pledge")])
def test_every_kind_is_contracted_and_disbursed(client, db, products, people, village, appraiser, setup, security):
    code, collateral, borrower = setup(db, village, appraiser)
    loan = file(client, people, {"product_id": products[code].id, "borrower_id": borrower.id,
                                 "amount": "100000.00" if code != "CONSTRUCTION-LAND-MORTGAGE" else "500000.00",
                                 "term_months": 36, "repayment_method": "quarterly_interest_bullet",
                                 "purpose": "扩大生产", "collateral": collateral})
    url = f"{API}/loans/{loan['id']}"
    resp = client.post(f"{url}/submit", headers=people["officer"][1])
    assert resp.status_code == 200, resp.get_json()
    assert client.post(f"{url}/approve", headers=people["manager"][1]).status_code == 200
    resp = client.post(f"{url}/contracts", headers=people["officer"][1])
    assert resp.status_code == 201, resp.get_json()
    signed = resp.get_json()["contracts"]
    assert [c["kind"] for c in signed] == ["loan", security, "schedule_annex"]
    for c in signed:
        assert contracts.verify("test", storage.load(c["sha256"]))["valid"] is True
    resp = client.post(f"{url}/disburse", headers={**people["manager"][1], "Idempotency-Key": "k"}, json={})
    assert resp.status_code == 200, resp.get_json()
    assert db.session.get(Loan, loan["id"]).status == "active"
    # quarterly interest: 12 quarters, the principal at maturity
    sched = client.get(f"{url}/schedule", headers=people["officer"][1]).get_json()["instalments"]
    assert len(sched) == 12 and sched[-1]["principal"] == loan["amount"]
