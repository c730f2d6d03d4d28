"""Partial prepayment: the new schedule both ways (a pure function, checked against figures worked by hand
with the annuity formula), the API regenerating the schedule as a new version with the old kept, the close
of business accruing on the new one, and a same-day reversal putting the old one back.

The loan is the `active` fixture: 120,000.00 over 12 months, equal instalments at 3.50 % (i = 0.035 / 12),
disbursed 2026-11-23. Its instalment is 10,190.60; the first (due 2026-12-23) is 350.00 interest + 9,840.60
principal, the second (due 2027-01-23, 31 days) 321.30 interest on 110,159.40."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.ledger.models import LedgerAccount, LedgerPosting
from finplat.loans import prepayment
from finplat.loans.models import Loan, LoanInstalment
from tests.loans.conftest import API, repay

D = Decimal
MONTHLY_DUES = tuple(date(2027, m, 23) for m in range(1, 12))  # 2027-01-23 .. 2027-11-23


def _rows(plan):
    return [(r.due_date, r.principal, r.interest, r.payment, r.balance) for r in plan]


def test_shorter_term_keeps_the_instalment_and_ends_sooner():
    # 90,159.40 left on 2026-12-23 at the instalment of 10,190.60: interest 90,159.40 x i = 262.96, principal
    # 10,190.60 - 262.96 = 9,927.64, ... n = -ln(1 - P i / M) / ln(1 + i) = 8.98: nine instalments, the last
    # 9,922.80 + 28.94; maturity 2027-09-23 instead of 2027-11-23
    plan = prepayment.regenerate(D("90159.40"), D("0.035"), "equal_instalment", date(2026, 12, 23),
                                 date(2026, 12, 23), MONTHLY_DUES, "shorter_term", keep=D("10190.60"))
    assert len(plan) == 9 and plan[-1].due_date == date(2027, 9, 23)
    assert _rows(plan)[:2] == [(date(2027, 1, 23), D("9927.64"), D("262.96"), D("10190.60"), D("80231.76")),
                               (date(2027, 2, 23), D("9956.59"), D("234.01"), D("10190.60"), D("70275.17"))]
    assert _rows(plan)[-2:] == [(date(2027, 8, 23), D("10132.11"), D("58.49"), D("10190.60"), D("9922.80")),
                                (date(2027, 9, 23), D("9922.80"), D("28.94"), D("9951.74"), D("0.00"))]
    assert sum(r.principal for r in plan) == D("90159.40") and sum(r.interest for r in plan) == D("1317.14")


def test_lower_instalment_keeps_the_maturity_from_mid_period():
    # on 2027-01-08, 16 of the current period's 31 days gone: the new first period carries its last 15 days,
    # 90,159.40 x i x 15 / 31 = 127.24; M' = 90,159.40 i (1+i)^11 / ((1+i)^11 - 1) = 8,340.4407... -> 8,340.44
    plan = prepayment.regenerate(D("90159.40"), D("0.035"), "equal_instalment", date(2027, 1, 8),
                                 date(2026, 12, 23), MONTHLY_DUES, "lower_instalment")
    assert len(plan) == 11 and plan[-1].due_date == date(2027, 11, 23)
    assert plan[0].period_start == date(2027, 1, 8) and plan[1].period_start == date(2027, 1, 23)
    assert _rows(plan)[:2] == [(date(2027, 1, 23), D("8213.20"), D("127.24"), D("8340.44"), D("81946.20")),
                               (date(2027, 2, 23), D("8101.43"), D("239.01"), D("8340.44"), D("73844.77"))]
    assert _rows(plan)[-1] == (date(2027, 11, 23), D("8176.87"), D("23.85"), D("8200.72"), D("0.00"))
    assert prepayment.settled_interest(D("321.30"), date(2026, 12, 23), date(2027, 1, 23), date(2027, 1, 8)) \
        == D("165.83")  # 321.30 x 16 / 31 = 165.832...


def test_equal_principal_and_bullets():
    dues = (date(2027, 1, 23), date(2027, 2, 23), date(2027, 3, 23))
    # 30,000.00 over three months at 3.6 %: lower instalment 10,000.00 a month (interest 90.00, 60.00, 30.00)
    plan = prepayment.regenerate(D("30000.00"), D("0.036"), "equal_principal", date(2026, 12, 23),
                                 date(2026, 12, 23), dues, "lower_instalment")
    assert [(r.principal, r.interest) for r in plan] == [(D("10000.00"), D("90.00")), (D("10000.00"), D("60.00")),
                                                         (D("10000.00"), D("30.00"))]
    # shorter term keeping 12,000.00 of principal a month: 12,000.00, 12,000.00 (interest on 18,000.00: 54.00),
    # then the 6,000.00 left (18.00)
    plan = prepayment.regenerate(D("30000.00"), D("0.036"), "equal_principal", date(2026, 12, 23),
                                 date(2026, 12, 23), dues, "shorter_term", keep=D("12000.00"))
    assert [(r.principal, r.interest) for r in plan] == [(D("12000.00"), D("90.00")), (D("12000.00"), D("54.00")),
                                                         (D("6000.00"), D("18.00"))]
    # a lump sum: principal at maturity; interest by actual days / 360 from today (59 days x 3.6 % on 50,000)
    plan = prepayment.regenerate(D("50000.00"), D("0.036"), "lump_sum", date(2027, 1, 23), date(2026, 11, 23),
                                 (date(2027, 3, 23),), "lower_instalment")
    assert _rows(plan) == [(date(2027, 3, 23), D("50000.00"), D("295.00"), D("50295.00"), D("0.00"))]
    assert "only lower_instalment" in prepayment.choice_error("shorter_term", "lump_sum")
    assert prepayment.choice_error("smaller", "equal_instalment") == "choose shorter_term or lower_instalment"
    with pytest.raises(ValueError):
        prepayment.regenerate(D("1.00"), D("0.036"), "lump_sum", date(2027, 1, 23), date(2026, 11, 23),
                              (date(2027, 3, 23),), "shorter_term")
    with pytest.raises(ValueError, match="less than a fen for each of the 11 instalments"):  # 0.05 over 11
        prepayment.regenerate(D("0.05"), D("0.035"), "equal_instalment", date(2027, 1, 8), date(2026, 12, 23),
                              MONTHLY_DUES, "lower_instalment")


def _schedule(client, people, loan, version=None):
    query = f"?version={version}" if version else ""
    resp = client.get(f"{API}/loans/{loan['id']}/schedule{query}", headers=people["officer"][1])
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _net(code):
    from finplat.extensions import db
    return db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(LedgerAccount)
                             .where(LedgerAccount.code == code))


def test_a_prepayment_on_the_due_date_shortens_the_term(client, db, people, active):
    cob.run_to(date(2026, 12, 22))  # open on the first due date
    resp = repay(client, people, active, "30190.60", "short", prepayment="shorter_term")
    assert resp.status_code == 201, resp.get_json()
    paid = resp.get_json()
    # the instalment due today (350.00 + 9,840.60), then 20,000.00 ahead of the schedule
    assert (paid["interest"], paid["principal"], paid["prepaid_principal"]) == ("350.00", "29840.60", "20000.00")
    assert (paid["principal_outstanding"], paid["schedule_version"], paid["maturity_date"]) == \
        ("90159.40", 2, "2027-09-23")
    shown = _schedule(client, people, active)
    assert (shown["version"], shown["in_force"], shown["versions"]) == (2, 2, [1, 2])
    rows = [(r["number"], r["due_date"], r["principal"], r["interest"], r["balance"]) for r in shown["instalments"]]
    # the instalment due today carries the prepaid principal; nine instalments from the next due date
    assert rows[0] == (1, "2026-12-23", "29840.60", "350.00", "90159.40")
    assert rows[1] == (2, "2027-01-23", "9927.64", "262.96", "80231.76")
    assert rows[-1] == (10, "2027-09-23", "9922.80", "28.94", "0.00") and len(rows) == 10
    old = _schedule(client, people, active, version=1)
    assert len(old["instalments"]) == 12 and old["instalments"][1]["interest"] == "321.30"  # kept as it was
    assert client.get(f"{API}/loans/{active['id']}/schedule?version=3", headers=people["officer"][1]).status_code \
        == 404
    cob.run_to(date(2026, 12, 24))
    loan = db.session.get(Loan, active["id"])
    assert (loan.dpd, loan.classification) == (0, "normal")
    # one day of the new first period: 262.96 / 31 = 8.48; the old schedule's 321.30 accrues nothing
    assert _net("interest_income") == D("-358.48")
    assert _net("loan_principal") == D("90159.40")


def test_a_prepayment_mid_period_lowers_the_instalment_and_a_reversal_restores_the_schedule(client, db, people,
                                                                                            active):
    cob.run_to(date(2026, 12, 22))
    assert repay(client, people, active, "10190.60", "first").status_code == 201
    cob.run_to(date(2027, 1, 7))  # open on 2027-01-08: 15 of the second period's 31 days accrued (155.47)
    resp = repay(client, people, active, "165.83", "small", prepayment="lower_instalment")  # no principal
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "prepayment_too_small"
    resp = repay(client, people, active, "20165.83", "none")
    assert resp.status_code == 422 and "prepayment" in resp.get_json()["error"]["fields"]
    resp = repay(client, people, active, "20165.83", "lower", prepayment="lower_instalment")
    assert resp.status_code == 201, resp.get_json()
    paid = resp.get_json()
    # interest through today on the balance before it: 321.30 x 16 / 31 = 165.83; 20,000.00 of principal
    assert (paid["interest"], paid["principal"], paid["principal_outstanding"], paid["maturity_date"]) == \
        ("165.83", "20000.00", "90159.40", "2027-11-23")
    rows = _schedule(client, people, active)["instalments"]
    assert [(r["number"], r["period_start"], r["due_date"], r["principal"], r["interest"], r["interest_paid"])
            for r in rows[1:3]] == [(2, "2026-12-23", "2027-01-08", "20000.00", "165.83", "165.83"),
                                    (3, "2027-01-08", "2027-01-23", "8213.20", "127.24", "0.00")]
    assert len(rows) == 13 and rows[-1]["payment"] == "8200.72"
    assert _net("interest_income") == D("-515.83")  # 350.00 + 165.83 (the 16th day accrued by the payment)

    url = f"{API}/loans/{active['id']}/repayments/{paid['id']}/reverse"
    resp = client.post(url, json={"reason": "金额有误"}, headers=people["manager"][1])
    assert resp.status_code == 200, resp.get_json()
    loan = db.session.get(Loan, active["id"])
    assert (loan.schedule_version, loan.maturity_date, loan.principal_outstanding) == \
        (1, date(2027, 11, 23), D("110159.40"))
    second = db.session.execute(select(LoanInstalment).where(
        LoanInstalment.loan_id == loan.id, LoanInstalment.version == 1, LoanInstalment.number == 2)).scalar_one()
    assert (second.interest_accrued, second.interest_paid) == (D("155.47"), D("0.00"))
    assert _schedule(client, people, active)["versions"] == [1, 2]  # the undone one stays as history
    assert _net("interest_income") == D("-505.47") and _net("loan_principal") == D("110159.40")

    resp = repay(client, people, active, "20165.83", "again", prepayment="lower_instalment")
    assert resp.status_code == 201 and resp.get_json()["schedule_version"] == 3
    cob.run_to(date(2027, 1, 9))
    # the settled period accrues nothing more; the new one 127.24 / 15 a day: 8.48 on 01-09 (01-08 was paid)
    assert _net("interest_income") == D("-524.31")  # 350.00 + 165.83 + 8.48

    # a second prepayment in the same calendar period, on 01-15: the period 01-08 -> 01-23 (127.24) settles
    # 7 of its 15 days, 59.38; the new first period keeps 8 of the calendar month's 31 days on the 80,159.40
    # left: 80,159.40 x i x 8 / 31 = 60.335... -> 60.34 (not 8 / 15, the cut period's days)
    cob.run_to(date(2027, 1, 14))
    resp = repay(client, people, active, "10059.38", "second", prepayment="lower_instalment")
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["interest"], resp.get_json()["principal_outstanding"]) == ("59.38", "80159.40")
    rows = _schedule(client, people, active)["instalments"]
    assert [(r["period_start"], r["due_date"], r["principal"], r["interest"]) for r in rows[2:4]] == \
        [("2027-01-08", "2027-01-15", "10000.00", "59.38"), ("2027-01-15", "2027-01-23", rows[3]["principal"], "60.34")]


def test_the_loan_page_takes_a_prepayment_and_shows_both_schedules(browser, db, people, active):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    cob.run_to(date(2026, 12, 22))
    officer = browser(people["officer"][0])
    url = f"/loans/{active['id']}"
    token = csrf_token(officer.get(url).get_data(as_text=True))
    resp = officer.post(f"{url}/repay", data={"amount": "30190.60", "prepayment": "", "csrf_token": token})
    assert resp.status_code == 422 and "缩短期限或减少每期还款" in page(resp).error_of("prepayment")
    resp = officer.post(f"{url}/repay", data={"amount": "30190.60", "prepayment": "shorter_term", "csrf_token": token})
    assert resp.status_code == 302
    shown = page(officer.get(url))
    assert "第 2 版" in shown.by_id["schedule"].text and "2027-09-23" in shown.by_id["schedule"].text
    old = page(officer.get(f"{url}?schedule=1"))
    assert "已不执行，现行为第 2 版" in old.by_id["schedule"].text and "2027-11-23" in old.by_id["schedule"].text
    assert officer.get(f"{url}?schedule=9").status_code == 404
