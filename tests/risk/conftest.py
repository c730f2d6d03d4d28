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
