"""Risk alerts, each over what the caller may see: an LTV breach from the revaluation, an agency near its cap,
a fund past 8 x leverage; a loan officer may not ask."""
from datetime import date
from decimal import Decimal

from finplat.valuation.models import LtvAlert
from tests.risk.conftest import API

D = Decimal


def test_alerts(client, db, people, active, agency, program, make_institution, make_user, auth_header):
    inst = agency["institution"]
    inst.net_assets, inst.guarantee_multiple = D("100000.00"), D("1")  # a cap of 100,000.00
    db.session.commit()
    asked = client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": inst.id,
                                                    "program_id": program["id"]}, headers=people["manager"][1])
    client.post(f"{API}/guarantees/{asked.get_json()['id']}/accept", headers=agency["header"])
    db.session.add(LtvAlert(secures_type="loan", secures_id=str(active["id"]), exposure=D("120000.00"),
                            collateral_value=D("150000.00"), ltv=D("0.80"), cap=D("0.70"),
                            business_date=date(2026, 11, 23)))
    db.session.commit()

    kinds = {a["kind"]: a for a in client.get(f"{API}/risk/alerts", headers=agency["header"]).get_json()["items"]}
    assert set(kinds) == {"ltv_breach", "guarantee_cap_near"}  # 96,000.00 of 100,000.00 is past 90 %
    assert (kinds["ltv_breach"]["loan_id"], kinds["ltv_breach"]["ltv"]) == (active["id"], "0.80000000")
    assert (kinds["guarantee_cap_near"]["guaranteed_balance"], kinds["guarantee_cap_near"]["cap"]) == \
        ("96000.00", "100000.00")
    bank = client.get(f"{API}/risk/alerts", headers=people["manager"][1]).get_json()["items"]
    assert [a["kind"] for a in bank] == ["ltv_breach"]

    manager = auth_header(make_user("fund_manager", institution=make_institution("fund_administrator")))
    fund = client.post(f"{API}/funds", json={"name": "济南基金", "region_code": "370100", "program_id": program["id"]},
                       headers=manager).get_json()
    client.post(f"{API}/funds/{fund['id']}/contributions", json={"amount": "1000.00", "source": "budget",
                                                                 "received_on": "2026-11-23"}, headers=manager)
    got = {a["kind"]: a for a in client.get(f"{API}/risk/alerts", headers=manager).get_json()["items"]}
    # covered 12,000.00 against 1,000.00: leverage 12, past 8
    assert got["fund_top_up"]["leverage"] == "12.0000" and "ltv_breach" in got
    assert client.get(f"{API}/risk/alerts", headers=people["officer"][1]).status_code == 403
    other = auth_header(make_user("guarantor", institution=make_institution("guarantee_agency")))
    assert client.get(f"{API}/risk/alerts", headers=other).get_json()["items"] == []
