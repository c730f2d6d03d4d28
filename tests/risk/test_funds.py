"""Risk compensation funds: set up by a fund manager, fed by contributions on the ledger (balance and the
fund's ledger with the balance after each movement), the loans it covers by region and program (through an
active guarantee or the product's program), covered balance and leverage by hand, and scoping."""
from decimal import Decimal

from sqlalchemy import func, select

from finplat.ledger.models import LedgerPosting
from tests.risk.conftest import API

D = Decimal


def _fund_manager(make_institution, make_user, auth_header, name="济南市财政局"):
    return auth_header(make_user("fund_manager", institution=make_institution("fund_administrator", name=name)))


def test_contributions_make_the_balance(client, db, program, make_institution, make_user, auth_header):
    manager = _fund_manager(make_institution, make_user, auth_header)
    resp = client.post(f"{API}/funds", json={"name": "济南市农村产权抵押贷款风险补偿基金", "region_code": "370100",
                                             "program_id": program["id"]}, headers=manager)
    assert resp.status_code == 201, resp.get_json()
    fund = resp.get_json()
    assert (fund["balance"], fund["covered_balance"], fund["leverage"]) == ("0.00", "0.00", None)
    url = f"{API}/funds/{fund['id']}"
    for amount, source in (("1000000.00", "budget"), ("1234.56", "interest")):
        resp = client.post(f"{url}/contributions", json={"amount": amount, "source": source,
                                                         "received_on": "2026-11-20"}, headers=manager)
        assert resp.status_code == 201, resp.get_json()
    assert client.get(url, headers=manager).get_json()["balance"] == "1001234.56"
    rows = client.get(f"{url}/ledger", headers=manager).get_json()
    assert [(r["kind"], r["amount"], r["balance"]) for r in rows["items"]] == [
        ("fund_contribution", "1000000.00", "1000000.00"), ("fund_contribution", "1234.56", "1001234.56")]
    assert db.session.scalar(select(func.sum(LedgerPosting.amount))) == 0  # every transaction balances

    resp = client.post(f"{url}/contributions", json={"amount": "1.00", "source": "budget",
                                                     "received_on": "2026-11-24"}, headers=manager)
    assert resp.status_code == 422 and "received_on" in resp.get_json()["error"]["fields"]  # after the open date
    resp = client.post(f"{url}/contributions", json={"amount": "0.00", "source": "budget",
                                                     "received_on": "2026-11-20"}, headers=manager)
    assert resp.status_code == 422 and "amount" in resp.get_json()["error"]["fields"]
    other = _fund_manager(make_institution, make_user, auth_header, name="淄博市财政局")
    assert client.get(url, headers=other).status_code == 404
    again = client.post(f"{API}/funds", json={"name": "济南市农村产权抵押贷款风险补偿基金", "region_code": "370100",
                                              "program_id": program["id"]}, headers=manager)
    assert again.status_code == 201  # names need not be unique (API.md)


def test_covered_balance_and_leverage(client, db, people, active, agency, program, make_institution, make_user,
                                      auth_header):
    manager = _fund_manager(make_institution, make_user, auth_header)

    def fund(name, region):
        made = client.post(f"{API}/funds", json={"name": name, "region_code": region, "program_id": program["id"]},
                           headers=manager).get_json()
        client.post(f"{API}/funds/{made['id']}/contributions", json={"amount": "100000.00", "source": "budget",
                                                                     "received_on": "2026-11-23"}, headers=manager)
        return f"{API}/funds/{made['id']}"
    jinan, zibo = fund("济南基金", "370100"), fund("淄博基金", "370300")  # the borrower is in 370103 (Jinan)
    assert client.get(jinan, headers=manager).get_json()["covered_balance"] == "0.00"  # no guarantee yet
    asked = client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": agency["institution"].id,
                                                    "program_id": program["id"]}, headers=people["manager"][1])
    client.post(f"{API}/guarantees/{asked.get_json()['id']}/accept", headers=agency["header"])
    got = client.get(jinan, headers=manager).get_json()
    # 120,000.00 x the fund's 0.10 share = 12,000.00; leverage 12,000.00 / 100,000.00 = 0.12
    assert (got["covered_balance"], got["leverage"], got["top_up_alert"]) == ("12000.00", "0.1200", False)
    assert client.get(zibo, headers=manager).get_json()["covered_balance"] == "0.00"  # another region


def test_the_fund_pages(browser, db, program, make_institution, make_user):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    manager = browser(make_user("fund_manager", institution=make_institution("fund_administrator")))
    token = csrf_token(manager.get("/risk/funds").get_data(as_text=True))
    form = {"name": "济南基金", "region_code": "3701", "program_id": program["id"], "csrf_token": token}
    resp = manager.post("/risk/funds", data=form)
    assert resp.status_code == 422 and page(resp).error_of("region_code") == "六位行政区划代码"
    resp = manager.post("/risk/funds", data={**form, "region_code": "370100"})
    assert resp.status_code == 302
    url = resp.headers["Location"]
    resp = manager.post(url, data={"amount": "500000.00", "source": "budget", "received_on": "2026-11-30",
                                   "csrf_token": token})
    assert resp.status_code == 422 and "不能晚于当前营业日 2026-11-23" in page(resp).error_of("received_on")
    resp = manager.post(url, data={"amount": "500000.00", "source": "budget", "received_on": "2026-11-23",
                                   "csrf_token": token})
    assert resp.status_code == 302
    shown = page(manager.get(url))
    assert shown.by_id["fund-balance"].text.strip() == "500,000.00 元"
    assert "注资" in shown.by_id["fund-ledger"].text and "500,000.00" in shown.by_id["fund-ledger"].text


def test_new_coverage_beyond_ten_times_the_balance_is_refused(client, db, people, active, agency, program,
                                                              make_institution, make_user, auth_header):
    manager = _fund_manager(make_institution, make_user, auth_header)
    fund = client.post(f"{API}/funds", json={"name": "济南基金", "region_code": "370100", "program_id": program["id"]},
                       headers=manager).get_json()

    def contribute(amount):
        client.post(f"{API}/funds/{fund['id']}/contributions", json={"amount": amount, "source": "budget",
                                                                     "received_on": "2026-11-23"}, headers=manager)
    contribute("1000.00")
    asked = client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": agency["institution"].id,
                                                    "program_id": program["id"]}, headers=people["manager"][1])
    url = f"{API}/guarantees/{asked.get_json()['id']}/accept"
    resp = client.post(url, headers=agency["header"])
    # the loan would add 120,000.00 x 0.10 = 12,000.00 of coverage to a fund of 1,000.00 (cap 10,000.00)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "fund_leverage"
    assert resp.get_json()["error"]["fields"] == {"fund_id": [str(fund["id"])], "covered_balance": ["0.00"],
                                                  "this_coverage": ["12000.00"], "balance": ["1000.00"]}
    contribute("200.00")  # 1,200.00: a cap of 12,000.00, exactly enough
    assert client.post(url, headers=agency["header"]).status_code == 200
