"""The agency's portfolio and stress over the API on a hand-made case: the `active` loan (120,000.00 on a land
right certified at 688,195.27) guaranteed by the agency under 4321, then classed substandard."""
from decimal import Decimal

from finplat.loans.models import Loan
from finplat.valuation import service as valuations
from tests.risk.conftest import API

D = Decimal


def test_portfolio_and_stress(client, db, people, active, valued, agency, program, make_institution, make_user,
                              auth_header):
    asked = client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": agency["institution"].id,
                                                    "program_id": program["id"]}, headers=people["manager"][1])
    client.post(f"{API}/guarantees/{asked.get_json()['id']}/accept", headers=agency["header"])
    assert valuations.current_certified(right_id=valued.id).value == D("688195.27")
    got = client.get(f"{API}/risk/portfolio", headers=agency["header"]).get_json()
    assert got["totals"] == {"loan_count": 1, "principal_outstanding": "120000.00", "guaranteed_balance": "96000.00",
                             "npl_principal": "0.00", "npl_ratio": "0.0000", "expected_loss": "0.00"}
    db.session.get(Loan, active["id"]).classification = "substandard"
    db.session.commit()
    got = client.get(f"{API}/risk/portfolio?group_by=product", headers=agency["header"]).get_json()
    assert got["totals"]["npl_ratio"] == "1.0000"
    assert [(g["key"], g["loan_count"]) for g in got["groups"]] == [("LAND-MORTGAGE", 1)]
    # the collateral after a 30 % haircut, 481,736.69, covers the 120,000.00: no expected loss
    assert got["totals"]["expected_loss"] == "0.00"

    stressed = client.get(f"{API}/risk/stress?haircut=0.90", headers=agency["header"]).get_json()
    # 120,000.00 - 688,195.27 x 0.10 = 51,180.473 -> 51,180.47; re-guarantor 15,354.14, bank 10,236.09, fund
    # 5,118.05 (half-up), the guarantor the rest: 20,472.19
    assert {k: stressed[k] for k in ("loan_count", "loss", "guarantor", "reguarantor", "bank", "fund")} == {
        "loan_count": 1, "loss": "51180.47", "guarantor": "20472.19", "reguarantor": "15354.14", "bank": "10236.09",
        "fund": "5118.05"}
    assert client.get(f"{API}/risk/stress?haircut=1.5", headers=agency["header"]).status_code == 422

    other = auth_header(make_user("guarantor", institution=make_institution("guarantee_agency")))
    assert client.get(f"{API}/risk/portfolio?agency_id={agency['institution'].id}", headers=other).status_code == 404
    assert client.get(f"{API}/risk/portfolio", headers=other).get_json()["totals"]["loan_count"] == 0
    assert client.get(f"{API}/risk/portfolio", headers=people["manager"][1]).status_code == 403
