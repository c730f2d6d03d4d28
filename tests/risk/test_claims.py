"""Claims on a fund: only for a loan classed substandard or worse that the fund covers, the net loss and its
4321 split by hand, approval and payment out of the fund's ledger, a payment beyond the balance refused with
the figures, rejection with a reason, and scoping.

The loan is the `active` fixture (120,000.00, disbursed on the open date, so no interest is due yet), under
an accepted 4321 guarantee; its class is set to substandard directly (the close of business that would set
it is tested in tests/loans)."""
from decimal import Decimal

from sqlalchemy import select

from finplat.auth.models import Institution
from finplat.loans.models import Loan
from finplat.risk.models import Claim, Fund
from tests.risk.conftest import API

D = Decimal


def _file(client, people, loan_id, fund_id, who="manager"):
    return client.post(f"{API}/claims", json={"loan_id": loan_id, "fund_id": fund_id}, headers=people[who][1])


def test_a_claim_is_split_approved_and_paid(client, db, people, covered):
    fund_id, loan_id = covered["make"]("1000000.00"), covered["loan"]["id"]
    resp = _file(client, people, loan_id, fund_id)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_non_performing"  # normal
    db.session.get(Loan, loan_id).classification = "substandard"
    db.session.commit()
    resp = _file(client, people, loan_id, fund_id)
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    # 120,000.00 of principal, no interest due on the disbursement date: 40 / 30 / 20 / 10 %
    assert (claim["status"], claim["net_loss"], claim["interest"]) == ("filed", "120000.00", "0.00")
    assert claim["split"] == {"guarantor": "48000.00", "reguarantor": "36000.00", "bank": "24000.00",
                              "fund": "12000.00"}
    assert _file(client, people, loan_id, fund_id).status_code == 409  # one open claim a loan
    assert _file(client, people, loan_id, fund_id, who="stranger").status_code == 404
    url, manager = f"{API}/claims/{claim['id']}", covered["manager"]
    assert client.get(f"{API}/loans/{loan_id}", headers=manager).status_code == 200  # a loan it is claimed for
    assert client.post(f"{url}/pay", headers=manager).status_code == 409  # not approved yet
    assert client.post(f"{url}/approve", headers=people["manager"][1]).status_code == 403
    assert client.post(f"{url}/approve", headers=manager).get_json()["status"] == "approved"
    resp = client.post(f"{url}/pay", headers=manager)
    assert resp.status_code == 200 and resp.get_json()["status"] == "paid"
    fund = client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()
    assert fund["balance"] == "988000.00"  # 1,000,000.00 - the fund's 12,000.00
    rows = client.get(f"{API}/funds/{fund_id}/ledger", headers=manager).get_json()["items"]
    assert [(r["kind"], r["amount"], r["balance"]) for r in rows][-1] == ("fund_payout", "-12000.00", "988000.00")
    assert client.post(f"{url}/pay", headers=manager).status_code == 409  # paid once


def test_a_payment_beyond_the_balance_is_refused_and_a_claim_rejected(client, db, people, covered):
    fund_id, loan_id = covered["make"]("5000.00"), covered["loan"]["id"]
    db.session.get(Loan, loan_id).classification = "doubtful"
    db.session.commit()
    manager = covered["manager"]
    zibo = client.post(f"{API}/funds", json={"name": "淄博基金", "region_code": "370300", "program_id": db.session.get(
        Fund, fund_id).program_id}, headers=manager).get_json()
    resp = _file(client, people, loan_id, zibo["id"])  # a fund of another region does not cover the loan
    assert resp.status_code == 422 and "fund_id" in resp.get_json()["error"]["fields"]
    claim = _file(client, people, loan_id, fund_id).get_json()
    client.post(f"{API}/claims/{claim['id']}/approve", headers=manager)
    resp = client.post(f"{API}/claims/{claim['id']}/pay", headers=manager)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"] == {"balance": ["5000.00"],
                                                                              "fund_share": ["12000.00"]}
    assert client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()["balance"] == "5000.00"

    other_fund = covered["make"]("100.00")
    resp = _file(client, people, loan_id, other_fund)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "claim_exists"
    resp = client.post(f"{API}/claims/{claim['id']}/reject", json={"reason": "抵押物尚未处置"}, headers=manager)
    assert resp.status_code == 409  # approved: only a filed claim is rejected


def test_the_claims_page(browser, db, people, covered, make_user):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    fund_id, loan_id = covered["make"]("1000000.00"), covered["loan"]["id"]
    officer = browser(people["officer"][0])
    token = csrf_token(officer.get("/risk/claims").get_data(as_text=True))
    resp = officer.post("/risk/claims", data={"loan_id": loan_id, "fund_id": fund_id, "csrf_token": token})
    assert resp.status_code == 409 and "次级及以下方可申请代偿" in page(resp).form_alert()
    db.session.get(Loan, loan_id).classification = "loss"
    db.session.commit()
    assert officer.post("/risk/claims", data={"loan_id": loan_id, "fund_id": fund_id,
                                              "csrf_token": token}).status_code == 302
    claim = db.session.execute(select(Claim)).scalar_one()
    administrator = db.session.get(Institution, db.session.get(Fund, fund_id).administrator_id)
    manager = browser(make_user("fund_manager", institution=administrator))
    listing = manager.get("/risk/claims")
    assert "基金 12000.00" in page(listing).by_id[f"claim-{claim.id}"].text
    token = csrf_token(listing.get_data(as_text=True))
    assert manager.post(f"/risk/claims/{claim.id}/approve", data={"csrf_token": token}).status_code == 302
    assert manager.post(f"/risk/claims/{claim.id}/pay", data={"csrf_token": token}).status_code == 302
    db.session.refresh(claim)
    assert claim.status == "paid"
