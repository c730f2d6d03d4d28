"""Applications over the API (API.md "Loans"): filing priced from the LPR, underwriting naming every failed
check, maker-checker approval, rejection, and who sees what."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.loans.models import Loan
from finplat.registry import right_service
from finplat.valuation import service as valuations
from tests.loans.conftest import API, application, file, land_right


def test_an_application_is_priced_from_the_lpr_and_approved_by_another_manager(client, db, products, people, village,
                                                                               valued):
    loan = file(client, people, application(products, village["household"], valued))
    # the 1-year LPR announced 2025-05-20 (3.00 %) is in force on 2026-11-23; the demo spread is 50 bp
    assert (loan["status"], loan["lpr_tenor"], Decimal(loan["lpr_rate"]), loan["spread_bps"]) == \
        ("draft", "1y", Decimal("0.03"), 50)
    assert Decimal(loan["annual_rate"]) == Decimal("0.035")
    assert Decimal(loan["ltv"]).quantize(Decimal("0.0001")) == Decimal("0.4359")  # 300,000 / 688,195.27
    url = f"{API}/loans/{loan['id']}"
    resp = client.post(f"{url}/submit", headers=people["officer"][1])
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted", resp.get_json()
    assert client.post(f"{url}/approve", headers=people["officer"][1]).status_code == 403  # not a manager
    resp = client.post(f"{url}/approve", headers=people["manager"][1])
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    row = db.session.get(Loan, loan["id"])
    assert (row.maker_id, row.approver_id) == (people["officer"][0].id, people["manager"][0].id)
    actions = db.session.execute(select(AuditRecord.action).where(AuditRecord.object_type == "loan",
                                                                  AuditRecord.object_id == str(loan["id"]))
                                 .order_by(AuditRecord.id)).scalars().all()
    assert actions == ["loan.applied", "loan.submitted", "loan.approved"]
    assert client.post(f"{url}/approve", headers=people["manager2"][1]).status_code == 409


def test_the_maker_may_not_decide(client, db, products, people, village, valued):
    loan = file(client, people, application(products, village["household"], valued), who="manager")
    url = f"{API}/loans/{loan['id']}"
    assert client.post(f"{url}/submit", headers=people["manager"][1]).status_code == 200
    resp = client.post(f"{url}/approve", headers=people["manager"][1])
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "maker_checker"
    resp = client.post(f"{url}/reject", headers=people["manager2"][1], json={"reason": "用途不明"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    assert db.session.get(Loan, loan["id"]).decision_reason == "用途不明"


def submit_checks(client, people, loan):
    resp = client.post(f"{API}/loans/{loan['id']}/submit", headers=people["officer"][1])
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "underwriting_failed"
    return resp.get_json()["error"]["fields"]["checks"]


def test_underwriting_names_the_missing_valuation_and_consent(client, db, products, people, village):
    right = land_right(db, village["household"], village["collective"], consent=False)
    loan = file(client, people, application(products, village["household"], right))
    assert submit_checks(client, people, loan) == ["valuation_missing", "consent_missing"]
    assert db.session.get(Loan, loan["id"]).status == "draft"


def test_underwriting_names_an_expired_valuation_and_a_loan_past_the_room(client, db, products, people, village,
                                                                          valued, appraiser):
    too_much = file(client, people, application(products, village["household"], valued, amount="481736.69"))
    assert submit_checks(client, people, too_much) == ["ltv_exceeded"]
    fits = file(client, people, application(products, village["household"], valued, amount="481736.68"))
    assert client.post(f"{API}/loans/{fits['id']}/submit", headers=people["officer"][1]).status_code == 200
    current = valuations.current_certified(right_id=valued.id)
    current.status = "expired"
    db.session.commit()
    assert submit_checks(client, people, too_much) == ["valuation_expired"]


def test_an_approval_checks_again(client, db, products, people, village, valued):
    loan = file(client, people, application(products, village["household"], valued))
    assert client.post(f"{API}/loans/{loan['id']}/submit", headers=people["officer"][1]).status_code == 200
    right_service.freeze("test", valued.id, "法院冻结")
    resp = client.post(f"{API}/loans/{loan['id']}/approve", headers=people["manager"][1])
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["checks"] == ["collateral_encumbered"]


@pytest.mark.parametrize("changes, field", [
    ({"amount": "300000.001"}, "amount"),
    ({"amount": "5000.00"}, "amount"),  # below the product's 10,000.00
    ({"term_months": 72}, "term_months"),  # LAND-MORTGAGE runs 6-60 months
    ({"repayment_method": "balloon"}, "repayment_method"),
    ({"collateral": []}, "collateral"),
])
def test_bad_terms_are_named(client, db, products, people, village, valued, changes, field):
    resp = client.post(f"{API}/loans", headers=people["officer"][1],
                       json=application(products, village["household"], valued, **changes))
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"], resp.get_json()
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 0


def test_collateral_of_someone_else_and_the_wrong_kind(client, db, products, people, village, valued):
    resp = client.post(f"{API}/loans", headers=people["officer"][1],
                       json=application(products, village["neighbour"], valued))
    assert resp.status_code == 422 and "collateral.0.right_id" in resp.get_json()["error"]["fields"]
    resp = client.post(f"{API}/loans", headers=people["officer"][1],
                       json=application(products, village["household"], valued,
                                        product_id=products["FOREST-MORTGAGE"].id))
    assert resp.status_code == 422 and "collateral" in resp.get_json()["error"]["fields"]


def test_who_sees_a_loan(client, db, products, people, village, valued, make_user, auth_header):
    loan = file(client, people, application(products, village["household"], valued))
    url = f"{API}/loans/{loan['id']}"
    assert client.get(url, headers=people["stranger"][1]).status_code == 404
    assert client.post(f"{url}/submit", headers=people["stranger"][1]).status_code == 404
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=village["household"].id))
    assert client.get(url, headers=farmer).get_json()["id"] == loan["id"]
    neighbour = auth_header(make_user("farmer", username="13700000002", party_id=village["neighbour"].id))
    assert client.get(url, headers=neighbour).status_code == 404
    assert client.post(f"{API}/loans", headers=farmer,
                       json=application(products, village["household"], valued)).status_code == 403
    listed = client.get(f"{API}/loans", headers=people["manager"][1]).get_json()
    assert [item["id"] for item in listed["items"]] == [loan["id"]]


def test_collateral_transferred_after_filing_fails_and_its_old_consents_do_not_count(client, db, products, people,
                                                                                     village, valued):
    loan = file(client, people, application(products, village["household"], valued))
    right_service.transfer("test", valued.id, {"to_holder_id": village["neighbour"].id, "document_ref": "互换-1"})
    # the household no longer holds it; the filing on record was made for the old holder
    assert submit_checks(client, people, loan) == ["collateral_encumbered", "consent_missing"]
    theirs = file(client, people, application(products, village["neighbour"], valued))
    assert submit_checks(client, people, theirs) == ["consent_missing"]
