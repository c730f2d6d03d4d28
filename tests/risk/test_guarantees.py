"""Guarantees: the bank requests, the agency accepts within its cap (net assets x multiple, refused with the
figures), scoping (a bank its loans', an agency its own), the fee accrued at close of business by hand, and a
product that requires a guarantee disbursed only with an active one.

The loan is the loans' `active` fixture: 120,000.00 disbursed 2026-11-23; the 4321 program covers 0.80 of it,
96,000.00 of guaranteed balance."""
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from finplat import cob
from finplat.ledger.models import LedgerAccount, LedgerPosting
from finplat.loans.models import Loan
from finplat.risk.models import Guarantee
from tests.loans.conftest import application, file
from tests.risk.conftest import API

D = Decimal


def _request(client, people, loan_id, agency, program, who="manager", **extra):
    return client.post(f"{API}/guarantees", json={"loan_id": loan_id, "agency_id": agency["institution"].id,
                                                   "program_id": program["id"], **extra}, headers=people[who][1])


def test_the_bank_requests_and_the_agency_accepts(client, db, people, active, agency, program, make_institution,
                                                  make_user, auth_header):
    resp = _request(client, people, active["id"], agency, program)
    assert resp.status_code == 201, resp.get_json()
    asked = resp.get_json()
    assert (asked["status"], asked["coverage"], asked["fee_rate"]) == ("requested", "0.80000000", "0.00800000")
    assert _request(client, people, active["id"], agency, program).status_code == 409  # one live at a time
    resp = _request(client, people, active["id"], agency, program, fee_rate="1")
    assert resp.status_code == 422 and "fee_rate" in resp.get_json()["error"]["fields"]
    assert _request(client, people, active["id"], agency, program, who="stranger").status_code == 404

    other = auth_header(make_user("guarantor", institution=make_institution(
        "guarantee_agency", net_assets=D("1.00"), guarantee_multiple=D("1"))))
    assert client.get(f"{API}/guarantees/{asked['id']}", headers=other).status_code == 404
    assert client.post(f"{API}/guarantees/{asked['id']}/accept", headers=other).status_code == 404
    assert client.post(f"{API}/guarantees/{asked['id']}/accept", headers=people["manager"][1]).status_code == 403
    # the agency now sees the loan it was asked to guarantee; the other agency does not
    assert client.get(f"{API}/loans/{active['id']}", headers=agency["header"]).status_code == 200
    assert client.get(f"{API}/loans/{active['id']}", headers=other).status_code == 404

    resp = client.post(f"{API}/guarantees/{asked['id']}/accept", headers=agency["header"])
    assert resp.status_code == 200 and resp.get_json()["status"] == "active"
    from finplat.risk.guarantee_service import guaranteed_balance
    assert guaranteed_balance(agency["institution"].id) == D("96000.00")  # 120,000.00 x 0.80
    listed = client.get(f"{API}/guarantees?loan_id={active['id']}", headers=people["officer"][1]).get_json()
    assert [g["status"] for g in listed["items"]] == ["active"]


def test_the_cap_refuses_with_the_figures(client, db, people, active, agency, program):
    inst = agency["institution"]
    inst.net_assets, inst.guarantee_multiple = D("50000.00"), D("1.5")  # a cap of 75,000.00
    db.session.commit()
    asked = _request(client, people, active["id"], agency, program).get_json()
    resp = client.post(f"{API}/guarantees/{asked['id']}/accept", headers=agency["header"])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guarantee_cap"
    assert resp.get_json()["error"]["fields"] == {"guaranteed_balance": ["0.00"], "this_guarantee": ["96000.00"],
                                                  "cap": ["75000.00"]}
    assert db.session.get(Guarantee, asked["id"]).status == "requested"
    resp = client.post(f"{API}/guarantees/{asked['id']}/reject", json={"reason": "超过担保放大倍数"},
                       headers=agency["header"])
    assert resp.status_code == 200 and resp.get_json()["decision_reason"] == "超过担保放大倍数"
    assert _request(client, people, active["id"], agency, program).status_code == 201  # a new request may follow


def test_the_fee_accrues_at_close_of_business(client, db, people, active, agency, program):
    asked = _request(client, people, active["id"], agency, program).get_json()
    client.post(f"{API}/guarantees/{asked['id']}/accept", headers=agency["header"])
    cob.run_to(date(2026, 11, 25))  # three dates closed: 11-23, 11-24, 11-25
    # 120,000.00 x 0.80 x 0.8 % / 360 = 2.1333... -> 2.13 a day
    row = db.session.get(Guarantee, asked["id"])
    assert (row.fee_accrued, row.fee_through) == (D("6.39"), date(2026, 11, 25))
    income = db.session.scalar(select(func.sum(LedgerPosting.amount)).join(LedgerAccount).where(
        LedgerAccount.code == "guarantee_fee_income", LedgerAccount.institution_id == agency["institution"].id))
    assert income == D("-6.39")


def test_a_product_requiring_a_guarantee_is_disbursed_only_with_one(client, db, people, products, village, valued,
                                                                    agency, program):
    products["LAND-MORTGAGE"].guarantee_required = True
    db.session.commit()
    loan = file(client, people, application(products, village["household"], valued, amount="120000.00"))
    url = f"{API}/loans/{loan['id']}"
    for path, who in (("submit", "officer"), ("approve", "manager"), ("contracts", "officer")):
        assert client.post(f"{url}/{path}", headers=people[who][1]).status_code in (200, 201)

    def disburse(key):
        return client.post(f"{url}/disburse", headers={**people["manager"][1], "Idempotency-Key": key}, json={})
    resp = disburse("first")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guarantee_missing"
    asked = _request(client, people, loan["id"], agency, program).get_json()
    assert disburse("requested").status_code == 409  # requested is not active
    client.post(f"{API}/guarantees/{asked['id']}/accept", headers=agency["header"])
    assert disburse("accepted").status_code == 200
    assert db.session.get(Loan, loan["id"]).status == "active"


def test_the_pages_request_and_decide_a_guarantee(browser, db, people, active, agency, program, make_user):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    officer = browser(people["officer"][0])
    shown = page(officer.get(f"/loans/{active['id']}"))
    assert "申请融资担保" in shown.by_id["guarantees"].text
    url = f"/risk/guarantees/new?loan_id={active['id']}"
    token = csrf_token(officer.get(url).get_data(as_text=True))
    form = {"agency_id": agency["institution"].id, "program_id": program["id"], "fee_rate": "1.2",
            "csrf_token": token}
    resp = officer.post(url, data=form)
    assert resp.status_code == 422 and page(resp).error_of("fee_rate") == "须小于 1"
    assert officer.post(url, data={**form, "fee_rate": "0.008"}).status_code == 302
    asked = db.session.execute(select(Guarantee)).scalar_one()
    assert "待担保机构审核" in page(officer.get(f"/loans/{active['id']}")).by_id["guarantees"].text

    guarantor = browser(make_user("guarantor", institution=agency["institution"]))
    listing = guarantor.get("/risk/guarantees")
    assert f"guarantee-{asked.id}" in page(listing).by_id and "担保上限 10,000,000.00 元" in \
        page(listing).by_id["agency-cap"].text
    token = csrf_token(listing.get_data(as_text=True))
    resp = guarantor.post(f"/risk/guarantees/{asked.id}/reject", data={"reason": "", "csrf_token": token})
    assert resp.status_code == 422 and page(resp).error_of("reason") == "必填"
    assert guarantor.post(f"/risk/guarantees/{asked.id}/accept", data={"csrf_token": token}).status_code == 302
    db.session.refresh(asked)
    assert asked.status == "active"
    assert "在保余额 96,000.00 元" in page(guarantor.get("/risk/guarantees")).by_id["agency-cap"].text
    own = csrf_token(officer.get("/risk/guarantees").get_data(as_text=True))
    assert officer.post(f"/risk/guarantees/{asked.id}/accept", data={"csrf_token": own}).status_code == 403
