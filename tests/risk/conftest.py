"""The loans' fixtures (products, a bank with its people, a village, a valued right, an active loan), and a
guarantee agency with a program."""
import pytest

from tests.loans.conftest import active, appraiser, bank, people, products, valued, village  # noqa: F401

API = "/api/v1"
SHARES_4321 = {"guarantor": "0.40", "reguarantor": "0.30", "bank": "0.20", "fund": "0.10"}


@pytest.fixture
def program(client, make_user, auth_header):
    resp = client.post(f"{API}/risk-programs", json={"name": "4321", "shares": SHARES_4321},
                       headers=auth_header(make_user("admin")))
    assert resp.status_code == 201
    return resp.get_json()


@pytest.fixture
def agency(make_institution, make_user, auth_header):
    """A guarantee agency of 1,000,000.00 net assets that may guarantee 10 times them, and its guarantor."""
    from decimal import Decimal
    inst = make_institution("guarantee_agency", name="山东省农业发展信贷担保有限责任公司",
                            net_assets=Decimal("1000000.00"), guarantee_multiple=Decimal("10"))
    return {"institution": inst, "header": auth_header(make_user("guarantor", institution=inst))}


@pytest.fixture
def covered(client, db, people, active, agency, program, make_institution, make_user, auth_header):  # noqa: F811
    """A Jinan fund under the 4321 program holding `balance`, covering the guaranteed loan."""
    manager = auth_header(make_user("fund_manager", institution=make_institution("fund_administrator")))
    asked = client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": agency["institution"].id,
                                                    "program_id": program["id"]}, headers=people["manager"][1])
    client.post(f"{API}/guarantees/{asked.get_json()['id']}/accept", headers=agency["header"])

    def make(balance):
        fund = client.post(f"{API}/funds", json={"name": f"基金 {balance}", "region_code": "370100",
                                                 "program_id": program["id"]}, headers=manager).get_json()
        client.post(f"{API}/funds/{fund['id']}/contributions", json={
            "amount": balance, "source": "budget", "received_on": "2026-11-23"}, headers=manager)
        return fund["id"]
    return {"make": make, "manager": manager, "loan": active}
