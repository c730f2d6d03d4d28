"""Repayments: the order of application (a pure function, by hand), the payoff quote after a missed
instalment, the payoff closing the loan and releasing its lien, refusals naming the payoff, idempotent
replays, and the farmer's view of their loans."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.ledger.models import LedgerAccount, LedgerPosting
from finplat.loans import allocation
from finplat.loans.models import Loan, LoanInstalment
from finplat.registry.models import Lien, Right
from tests.loans.conftest import API, repay

D = Decimal
TODAY = date(2026, 12, 25)
OWED = [allocation.Owed(1, date(2026, 12, 23), D("9840.60"), D("350.00")),  # overdue
        allocation.Owed(2, date(2026, 12, 25), D("9869.30"), D("321.30")),  # due today
        allocation.Owed(3, date(2027, 1, 23), D("9898.08"), D("20.73"))]  # future: accrued so far


def test_a_repayment_pays_penalty_then_overdue_interest_and_principal_then_current():
    split = allocation.allocate(D("5000.00"), D("2.98"), OWED, TODAY)
    # 2.98 of penalty, 350.00 of overdue interest, then 4,647.02 of the overdue principal
    assert (split.penalty, split.interest, split.principal) == (D("2.98"), {1: D("350.00")}, {1: D("4647.02")})
    split = allocation.allocate(D("11000.00"), D("2.98"), OWED, TODAY)
    # ... all 9,840.60 of it (10,193.58 so far), then today's interest 321.30 and 485.12 of today's principal
    assert split.interest == {1: D("350.00"), 2: D("321.30")} and split.principal == {1: D("9840.60"), 2: D("485.12")}
    due = allocation.due_now(D("2.98"), OWED, TODAY)  # 2.98 + 10,190.60 + 10,190.60
    assert due == D("20384.18") and allocation.allocate(due, D("2.98"), OWED, TODAY).total == due
    payoff = allocation.payoff(D("2.98"), OWED)  # and the future instalment's principal and accrued interest
    assert payoff == D("30302.99")
    assert allocation.allocate(payoff, D("2.98"), OWED, TODAY).principal[3] == D("9898.08")
    with pytest.raises(ValueError):
        allocation.allocate(D("20384.19"), D("2.98"), OWED, TODAY)  # a prepayment


def test_after_a_missed_instalment_the_payoff_closes_the_loan_and_frees_the_right(client, db, people, active,
                                                                                    valued):
    cob.run_to(date(2026, 12, 24))  # the first instalment (10,190.60) fell due on 12-23 and was not paid
    loan = client.get(f"{API}/loans/{active['id']}", headers=people["officer"][1]).get_json()
    assert (loan["dpd"], loan["classification"]) == (1, "special_mention")
    assert (loan["overdue_amount"], loan["penalty_due"]) == ("10192.09", "1.49")  # 10,190.60 + 1.49
    quote = client.get(f"{API}/loans/{active['id']}/payoff-quote", headers=people["officer"][1]).get_json()
    # interest: the first instalment's 350.00, and one day (12-24) of the second's 321.30 over its 31 days,
    # 10.36; penalty: (9,840.60 + 350.00) x 3.50 % x 1.5 / 360 = 1.49 for 12-24
    assert quote == {"as_of": "2026-12-25", "principal": "120000.00", "interest": "360.36", "penalty": "1.49",
                     "total": "120361.85"}
    assert repay(client, people, active, "120361.86", "over").get_json()["error"]["fields"]["payoff"] == \
        ["120361.85"]
    resp = repay(client, people, active, "120361.85", "payoff")
    assert resp.status_code == 201, resp.get_json()
    paid = resp.get_json()
    assert (paid["status"], paid["principal"], paid["interest"], paid["penalty"]) == \
        ("paid_off", "120000.00", "360.36", "1.49")
    row = db.session.get(Loan, active["id"])
    assert (row.status, row.closed_on, row.principal_outstanding) == ("paid_off", date(2026, 12, 25), D("0.00"))
    assert db.session.execute(select(Lien.status).where(Lien.right_id == valued.id)).scalar_one() == "released"
    assert db.session.get(Right, valued.id).status == "active"
    principal = db.session.scalar(select(func.sum(LedgerPosting.amount)).join(LedgerAccount).where(
        LedgerPosting.loan_id == active["id"], LedgerAccount.code == "loan_principal"))
    assert principal == 0
    kinds = [i["kind"] for i in client.get(f"{API}/loans/{active['id']}/transactions",
                                           headers=people["officer"][1]).get_json()["items"]]
    assert kinds == ["disbursement", "repayment"]
    assert repay(client, people, active, "1.00", "after").status_code == 409  # paid off


def test_a_repayment_on_the_due_date_pays_the_instalment(client, db, people, active):
    cob.run_to(date(2026, 12, 22))  # open on the due date, 12-23: 29 of the first period's 30 days accrued
    resp = repay(client, people, active, "10190.60", "first")
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["interest"], resp.get_json()["principal"]) == ("350.00", "9840.60")
    cob.run_to(date(2026, 12, 24))
    loan = db.session.get(Loan, active["id"])
    assert (loan.dpd, loan.classification, loan.penalty_accrued) == (0, "normal", D("0.00"))
    assert loan.principal_outstanding == D("110159.40")
    income = db.session.scalar(select(func.sum(LedgerPosting.amount)).join(LedgerAccount).where(
        LedgerAccount.code == "interest_income"))
    # 350.00 of the first period, booked once (29 days by the close, the last day by the repayment), and one day
    # of the second's 321.30 / 31 = 10.36
    assert income == D("-360.36")


def test_refusals_and_replays(client, db, people, active):
    cob.run_to(date(2026, 12, 24))
    resp = repay(client, people, active, "15000.00", "between")  # more than the 10,192.09 due, less than payoff
    assert resp.status_code == 422 and "prepayment" in resp.get_json()["error"]["fields"]  # which kind?
    resp = repay(client, people, active, "100.00", "dated", paid_on="2026-12-24")
    assert resp.status_code == 422 and "paid_on" in resp.get_json()["error"]["fields"]
    first = repay(client, people, active, "100.00", "part")
    again = repay(client, people, active, "100.00", "part")
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert repay(client, people, active, "200.00", "part").status_code == 409
    # 1.49 of penalty, 98.51 of the first instalment's interest, once
    assert db.session.get(Loan, active["id"]).penalty_paid == D("1.49")
    assert repay(client, people, active, "100.001", "fen").status_code == 422


def test_the_farmer_sees_their_loans_and_nobody_elses(client, db, people, active, village, make_user, auth_header):
    cob.run_to(date(2026, 12, 24))
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=village["household"].id))
    mine = client.get(f"{API}/me/loans", headers=farmer).get_json()
    assert [(i["id"], i["principal_outstanding"], i["next_due_date"], i["next_due_amount"], i["overdue_amount"],
             i["dpd"], i["classification"]) for i in mine["items"]] == \
        [(active["id"], "120000.00", "2027-01-23", "10190.60", "10192.09", 1, "special_mention")]
    neighbour = auth_header(make_user("farmer", username="13700000002", party_id=village["neighbour"].id))
    assert client.get(f"{API}/me/loans", headers=neighbour).get_json()["items"] == []
    assert client.get(f"{API}/me/loans", headers=people["officer"][1]).status_code == 403
    assert client.get(f"{API}/loans/{active['id']}/payoff-quote", headers=neighbour).status_code == 404


def test_the_pages_record_a_repayment_list_the_overdue_and_show_the_farmer(browser, db, people, active, village,
                                                                           make_user):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    cob.run_to(date(2026, 12, 24))
    officer = browser(people["officer"][0])
    overdue = page(officer.get("/loans/overdue"))
    assert "1" in overdue.by_id[f"loan-{active['id']}"].text and "10,192.09" in overdue.by_id[f"loan-{active['id']}"].text
    shown = page(officer.get(f"/loans/{active['id']}"))
    assert shown.by_id["payoff-total"].text == "120,361.85" and "关注" in shown.by_id["classification"].text
    token = csrf_token(officer.get(f"/loans/{active['id']}").get_data(as_text=True))
    resp = officer.post(f"/loans/{active['id']}/repay", data={"amount": "120361.86", "csrf_token": token})
    assert resp.status_code == 422 and "120361.85" in page(resp).error_of("amount")
    resp = officer.post(f"/loans/{active['id']}/repay", data={"amount": "100.00", "csrf_token": token})
    assert resp.status_code == 302
    assert db.session.get(Loan, active["id"]).penalty_paid == D("1.49")
    farmer = browser(make_user("farmer", username="13700000001", party_id=village["household"].id))
    card = page(farmer.get("/loans/mine")).by_id[f"loan-{active['id']}"]
    assert "120,000.00" in card.text and "2027-01-23 应还 10,190.60 元" in card.text
    assert "已逾期 1 天" in card.text and "10,092.09" in card.text  # 10,192.09 less the 100.00 paid
    assert farmer.get("/loans/overdue").status_code == 403


def test_a_manager_reverses_a_mistaken_repayment_through_the_ledger(client, db, people, active):
    cob.run_to(date(2026, 12, 22))  # open on the first due date
    paid = repay(client, people, active, "10190.60", "due").get_json()
    url = f"{API}/loans/{active['id']}/repayments/{paid['id']}/reverse"
    assert client.post(url, json={"reason": "错账"}, headers=people["officer"][1]).status_code == 403  # a manager
    resp = client.post(url, json={"reason": "错账：应入另一笔贷款"}, headers=people["manager"][1])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["principal_outstanding"] == "120000.00"
    loan = db.session.get(Loan, active["id"])
    first = db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == loan.id,
                                                            LoanInstalment.number == 1)).scalar_one()
    # back as before: nothing paid, 29 of 30 days accrued (338.33), so tonight's close accrues the last day
    assert (first.principal_paid, first.interest_paid, first.interest_accrued) == (D("0.00"), D("0.00"), D("338.33"))
    items = client.get(f"{API}/loans/{loan.id}/transactions", headers=people["officer"][1]).get_json()["items"]
    assert [(i["kind"], i["amount"]) for i in items] == [("disbursement", "120000.00"), ("repayment", "10190.60"),
                                                         ("reversal", "10190.60")]
    for code in ("loan_principal", "interest_receivable", "interest_income", "funding"):
        net = db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(LedgerAccount)
                                .where(LedgerAccount.code == code))
        assert net == {"loan_principal": D("120000.00"), "interest_receivable": D("338.33"),
                       "interest_income": D("-338.33"), "funding": D("-120000.00")}[code], code
    assert client.post(url, json={"reason": "again"}, headers=people["manager"][1]).status_code == 409
    cob.run_to(date(2026, 12, 24))
    assert db.session.get(Loan, active["id"]).dpd == 1  # unpaid again: it fell due on 12-23


def test_only_todays_latest_repayment_is_reversed_by_another_than_its_recorder(client, db, people, active):
    cob.run_to(date(2026, 12, 24))
    first = repay(client, people, active, "50.00", "one").get_json()
    second = repay(client, people, active, "60.00", "two").get_json()
    url = f"{API}/loans/{active['id']}/repayments"
    resp = client.post(f"{url}/{first['id']}/reverse", json={"reason": "x"}, headers=people["manager"][1])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_the_latest"
    mine = client.post(f"{url}/{second['id']}/reverse", json={"reason": "x"}, headers=people["manager"][1])
    assert mine.status_code == 200
    cob.run_to(date(2026, 12, 25))
    resp = client.post(f"{url}/{first['id']}/reverse", json={"reason": "x"}, headers=people["manager"][1])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_today"
    listed = client.get(url, headers=people["officer"][1]).get_json()["items"]
    assert [(r["amount"], r["reversed_by"] is not None) for r in listed] == [("50.00", False), ("60.00", True)]
    own = client.post(url, json={"amount": "10.00"}, headers={**people["manager"][1], "Idempotency-Key": "m"})
    resp = client.post(f"{url}/{own.get_json()['id']}/reverse", json={"reason": "x"}, headers=people["manager"][1])
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "maker_checker"
