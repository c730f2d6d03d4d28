"""Recoveries end to end, by hand: a claim filed on the 4321 program, a recovery before its payment lowering the
net loss, the payment calling the guarantee, and recoveries after it flowing back by the same shares until the
fund has got back exactly what it paid; a recovery on a loan with no claim; refusals and scoping.

The loan is the `active` fixture: 120,000.00 over 12 months, equal instalments at 3.50 %, disbursed on
2026-11-23, first due 2026-12-23, so its first period's interest is 120,000.00 x 3.5 % / 12 = 350.00 over 30
days. On 2026-11-24 no interest is due yet (accrued through the closed 2026-11-23: none), and money paid that
day settles the period's interest through it, 350.00 / 30 = 11.67, before principal.
"""
from decimal import Decimal

from finplat.loans.models import Loan
from finplat.risk.models import Guarantee, Recovery
from tests.risk.conftest import API

D = Decimal


def _close(client, admin, day):
    resp = client.post(f"{API}/admin/cob", json={"business_date": day}, headers=admin)
    assert resp.status_code == 200, resp.get_json()


def _recover(client, people, loan_id, amount, source="disposal", received_on="2026-11-24", who="officer"):
    return client.post(f"{API}/loans/{loan_id}/recoveries", json={
        "amount": amount, "source": source, "received_on": received_on}, headers=people[who][1])


def test_recoveries_lower_the_claim_then_flow_back_by_its_shares(client, db, people, covered, make_user,
                                                                 auth_header):
    admin = auth_header(make_user("admin"))
    fund_id, loan_id, manager = covered["make"]("1000000.00"), covered["loan"]["id"], covered["manager"]
    _close(client, admin, "2026-11-23")  # open date 2026-11-24
    db.session.get(Loan, loan_id).classification = "substandard"
    db.session.commit()

    claim = client.post(f"{API}/claims", json={"loan_id": loan_id, "fund_id": fund_id},
                        headers=people["manager"][1]).get_json()
    assert (claim["net_loss"], claim["interest"]) == ("120000.00", "0.00")
    assert claim["split"] == {"guarantor": "48000.00", "reguarantor": "36000.00", "bank": "24000.00",
                              "fund": "12000.00"}

    # before payment: 20,000.00 from disposing of part of the collateral pays the 11.67 of interest and
    # 19,988.33 of principal, and lowers the net loss to 100,000.00
    resp = _recover(client, people, loan_id, "20000.00")
    assert resp.status_code == 201, resp.get_json()
    first = resp.get_json()
    assert (first["claim_id"], first["claim_effect"], first["shared"], first["split"]) == (
        claim["id"], "lowered_net_loss", "20000.00", {})
    loan = client.get(f"{API}/loans/{loan_id}", headers=people["officer"][1]).get_json()
    assert loan["principal_outstanding"] == "100011.67"
    claim = client.get(f"{API}/claims/{claim['id']}", headers=manager).get_json()
    assert (claim["recoveries"], claim["net_loss"]) == ("20000.00", "100000.00")
    assert claim["split"] == {"guarantor": "40000.00", "reguarantor": "30000.00", "bank": "20000.00",
                              "fund": "10000.00"}

    client.post(f"{API}/claims/{claim['id']}/approve", headers=manager)
    assert client.post(f"{API}/claims/{claim['id']}/pay", headers=manager).status_code == 200
    fund = client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()
    assert (fund["balance"], fund["covered_balance"]) == ("990000.00", "0.00")  # the paid loan is no exposure
    assert db.session.execute(db.select(Guarantee.status).where(Guarantee.loan_id == loan_id)).scalar_one() == "called"

    # after payment, the next day: 50,000.00 flows back 40 / 30 / 20 / 10 %
    _close(client, admin, "2026-11-24")
    resp = _recover(client, people, loan_id, "50000.00", source="borrower", received_on="2026-11-25")
    assert resp.status_code == 201, resp.get_json()
    second = resp.get_json()
    assert (second["claim_effect"], second["shared"]) == ("shared_back", "50000.00")
    assert second["split"] == {"guarantor": "20000.00", "reguarantor": "15000.00", "bank": "10000.00",
                               "fund": "5000.00"}
    assert client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()["balance"] == "995000.00"

    # the payoff: only the 50,000.00 of net loss not yet recovered is shared, so that the fund has its 10,000.00
    # back; the interest beyond it is the bank's
    quote = client.get(f"{API}/loans/{loan_id}/payoff-quote", headers=people["officer"][1]).get_json()
    assert D(quote["total"]) > D("50000.00")
    third = _recover(client, people, loan_id, quote["total"], received_on="2026-11-25").get_json()
    assert third["shared"] == "50000.00"
    assert third["split"] == {"guarantor": "20000.00", "reguarantor": "15000.00", "bank": "10000.00",
                              "fund": "5000.00"}
    assert client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()["balance"] == "1000000.00"
    assert db.session.get(Loan, loan_id).status == "paid_off"

    rows = client.get(f"{API}/funds/{fund_id}/ledger", headers=manager).get_json()["items"]
    assert [(r["kind"], r["amount"]) for r in rows] == [
        ("fund_contribution", "1000000.00"), ("fund_payout", "-10000.00"), ("fund_recovery", "5000.00"),
        ("fund_recovery", "5000.00")]
    kinds = [t["kind"] for t in client.get(f"{API}/loans/{loan_id}/transactions",
                                           headers=people["officer"][1]).get_json()["items"]]
    assert kinds.count("recovery") == 3
    listed = client.get(f"{API}/loans/{loan_id}/recoveries", headers=people["officer"][1]).get_json()["items"]
    assert [r["amount"] for r in listed] == ["20000.00", "50000.00", quote["total"]]
    # a fourth recovery finds no loan to apply it to
    assert _recover(client, people, loan_id, "10.00", received_on="2026-11-25").status_code == 409


def test_a_recovery_without_a_claim_is_applied_to_the_loan(client, db, people, active, make_user, auth_header):
    _close(client, auth_header(make_user("admin")), "2026-11-23")
    resp = _recover(client, people, active["id"], "1000.00", source="guarantor")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["claim_id"], body["claim_effect"], body["shared"], body["split"]) == (None, None, "0.00", {})
    # 11.67 of interest through today, the rest principal: 120,000.00 - 988.33
    assert db.session.get(Loan, active["id"]).principal_outstanding == D("119011.67")


def test_bad_recoveries_are_refused_naming_the_field(client, db, people, active, agency, make_user, auth_header):
    _close(client, auth_header(make_user("admin")), "2026-11-23")
    loan_id = active["id"]
    cases = [({"amount": "100.00", "source": "lottery", "received_on": "2026-11-24"}, 422, "source"),
             ({"amount": "0.00", "source": "disposal", "received_on": "2026-11-24"}, 422, "amount"),
             ({"amount": "100.00", "source": "disposal", "received_on": "2026-11-30"}, 422, "received_on"),
             ({"amount": "100.00", "source": "disposal", "received_on": "2026-11-01"}, 422, "received_on"),
             ({"amount": "99999999.00", "source": "disposal", "received_on": "2026-11-24"}, 422, "amount")]
    for body, status, field in cases:
        resp = client.post(f"{API}/loans/{loan_id}/recoveries", json=body, headers=people["officer"][1])
        assert resp.status_code == status and field in resp.get_json()["error"]["fields"], (body, resp.get_json())
    assert _recover(client, people, loan_id, "100.00", who="stranger").status_code == 404
    resp = client.post(f"{API}/loans/{loan_id}/recoveries", json={}, headers=agency["header"])
    assert resp.status_code == 403  # the role check runs before the body is validated
    assert db.session.execute(db.select(Recovery)).first() is None
    assert db.session.get(Loan, loan_id).principal_outstanding == D("120000.00")
