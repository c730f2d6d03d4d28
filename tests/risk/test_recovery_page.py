"""The recovery form on the claims page (`POST /risk/recoveries`): the loan's officer records a recovery that
lowers the net loss of the loan's filed claim, then, once the fund has paid, one that flows back by the claim's
shares; the flash says what each did; the claims page (the bank's and the fund manager's) and the loan page
list them. Refusals re-show the form with the message on the field and write nothing; only the bank posts.

The loan is the `active` fixture (120,000.00, disbursed on 2026-11-23) under the 4321 program, as in
tests/risk/test_recoveries.py: 2026-11-23 is closed first, since money on the disbursement date would be a
prepayment, which is refused that day. On 2026-11-24, 20,000.00 pays the period's interest through the day,
11.67, and 19,988.33 of principal.
"""
from decimal import Decimal

from sqlalchemy import func, select

from finplat.auth.models import Institution
from finplat.loans.models import Loan
from finplat.risk.models import Claim, Fund, Recovery
from tests.conftest import csrf_token
from tests.risk.conftest import API
from tests.web.pages import page

D = Decimal


def _close(client, admin, day):
    resp = client.post(f"{API}/admin/cob", json={"business_date": day}, headers=admin)
    assert resp.status_code == 200, resp.get_json()


def _post(browser, loan_id, amount, source="disposal", received_on="2026-11-24", token=None):
    token = token or csrf_token(browser.get("/risk/claims").get_data(as_text=True))
    return browser.post("/risk/recoveries", data={"loan_id": loan_id, "amount": amount, "source": source,
                                                  "received_on": received_on, "csrf_token": token})


def test_the_officer_records_recoveries_before_and_after_the_payment(client, db, browser, people, covered,
                                                                     make_user, auth_header):
    admin = auth_header(make_user("admin"))
    fund_id, loan_id, manager = covered["make"]("1000000.00"), covered["loan"]["id"], covered["manager"]
    _close(client, admin, "2026-11-23")  # open date 2026-11-24
    db.session.get(Loan, loan_id).classification = "substandard"
    db.session.commit()
    claim_id = client.post(f"{API}/claims", json={"loan_id": loan_id, "fund_id": fund_id},
                           headers=people["manager"][1]).get_json()["id"]

    officer = browser(people["officer"][0])
    form = page(officer.get("/risk/claims"))
    assert form.by_id["recovery-received_on"].attrs["value"] == "2026-11-24"  # the open business date
    assert [o.attrs["value"] for o in form.by_id["recovery-source"].find_all("option")] == [
        "disposal", "borrower", "guarantor", "other"]
    assert form.by_id["recovery-source"].text == "处置抵押物 借款人还款 担保人代偿 其他"

    resp = _post(officer, loan_id, "20000.00")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/risk/claims")
    row = db.session.execute(select(Recovery)).scalar_one()
    assert (row.loan_id, row.amount, row.source, row.received_on.isoformat(), row.claim_id, row.claim_effect,
            row.shared, row.recorded_by) == (loan_id, D("20000.00"), "disposal", "2026-11-24", claim_id,
                                             "lowered_net_loss", D("20000.00"), people["officer"][0].id)
    db.session.expire_all()
    assert db.session.get(Loan, loan_id).principal_outstanding == D("100011.67")
    assert db.session.get(Claim, claim_id).net_loss == D("100000.00")
    shown = page(officer.get("/risk/claims"))
    assert f"已登记贷款 {loan_id} 的追偿回收 20,000.00 元，冲减第 {claim_id} 号代偿申请的净损失 20,000.00 元" \
        in " ".join(el.text for el in shown.find_all(role="status"))
    assert "2026-11-24 处置抵押物 20,000.00 元：冲减净损失 20,000.00 元" in shown.by_id[f"recovery-{row.id}"].text

    # the fund pays 10 % of the 100,000.00 left; the next day 50,000.00 from the borrower flows back 40/30/20/10
    client.post(f"{API}/claims/{claim_id}/approve", headers=manager)
    assert client.post(f"{API}/claims/{claim_id}/pay", headers=manager).status_code == 200
    _close(client, admin, "2026-11-24")
    resp = _post(officer, loan_id, "50000.00", source="borrower", received_on="2026-11-25")
    assert resp.status_code == 302
    second = db.session.execute(select(Recovery).order_by(Recovery.id.desc()).limit(1)).scalar_one()
    assert (second.source, second.claim_effect, second.shared, second.split["fund"]) == (
        "borrower", "shared_back", D("50000.00"), "5000.00")
    assert client.get(f"{API}/funds/{fund_id}", headers=manager).get_json()["balance"] == "995000.00"
    flashed = page(officer.get("/risk/claims"))
    assert (f"已登记贷款 {loan_id} 的追偿回收 50,000.00 元，按分担比例退回 50,000.00 元，其中风险补偿基金 5,000.00 元"
            in " ".join(el.text for el in flashed.find_all(role="status")))

    # both the bank and the fund manager see the claim's recoveries: before the payment and after
    administrator = db.session.get(Institution, db.session.get(Fund, fund_id).administrator_id)
    fund_manager = browser(make_user("fund_manager", institution=administrator))
    for who in (officer, fund_manager):
        listing = page(who.get("/risk/claims"))
        cell = listing.by_id[f"claim-{claim_id}-recoveries"].text
        assert "代偿前冲减净损失 20,000.00 元；代偿后按比例退回 50,000.00 元，其中基金 5,000.00 元" in cell
        assert ("2026-11-25 借款人还款 50,000.00 元：退回 50,000.00 元（担保 20000.00；再担保 15000.00；银行 10000.00；"
                "基金 5000.00）") in cell
    assert "recovery-amount" not in page(fund_manager.get("/risk/claims")).by_id  # the form is the bank's

    loan_page = page(officer.get(f"/loans/{loan_id}"))
    assert [el.text for el in loan_page.by_id["recoveries"].find_all("li")] == [
        f"2026-11-24 处置抵押物 20,000.00 元：冲减第 {claim_id} 号代偿申请的净损失 20,000.00 元",
        f"2026-11-25 借款人还款 50,000.00 元：按第 {claim_id} 号代偿申请的分担比例退回 50,000.00 元"]


def _nothing_written(db, loan_id):
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Recovery)).scalar_one() == 0
    assert db.session.get(Loan, loan_id).principal_outstanding == D("120000.00")


def test_bad_recoveries_reshow_the_form_and_write_nothing(db, client, browser, people, active, make_user,
                                                          auth_header):
    _close(client, auth_header(make_user("admin")), "2026-11-23")
    loan_id = active["id"]
    officer = browser(people["officer"][0])
    token = csrf_token(officer.get("/risk/claims").get_data(as_text=True))
    for amount, message in (("abc", "不是有效的小数"), ("0", "须大于 0"), ("1.001", "最多 2 位小数"),
                            ("999999.00", "超过今日结清金额")):
        resp = _post(officer, loan_id, amount, token=token)
        assert resp.status_code == 422, amount
        shown = page(resp)
        assert message in shown.error_of("recovery-amount"), amount
        assert shown.by_id["recovery-amount"].attrs["value"] == amount  # what was typed, to correct
        assert shown.by_id["loan_id"].attrs.get("value", "") == ""  # the claim form is not filled from this post
    resp = _post(officer, loan_id, "100.00", received_on="2026-11-30", token=token)
    assert resp.status_code == 422 and "不能晚于当前营业日 2026-11-24" in page(resp).error_of("recovery-received_on")
    resp = _post(officer, loan_id, "100.00", source="lottery", token=token)
    assert resp.status_code == 422 and page(resp).error_of("recovery-source")
    resp = _post(officer, "", "100.00", token=token)
    assert resp.status_code == 422 and "必填" in page(resp).error_of("recovery-loan_id")
    stranger = browser(people["stranger"][0])  # an officer of another bank
    resp = _post(stranger, loan_id, "100.00")
    assert resp.status_code == 404 and "未找到该记录" in page(resp).form_alert()
    _nothing_written(db, loan_id)

    # a loan with no claim: the payoff closes it; a recovery on it then is a conflict
    payoff = client.get(f"{API}/loans/{loan_id}/payoff-quote", headers=people["officer"][1]).get_json()["total"]
    resp = _post(officer, loan_id, payoff, source="guarantor", token=token)
    assert resp.status_code == 302
    flashed = page(officer.get("/risk/claims"))
    assert f"已登记贷款 {loan_id} 的追偿回收 {D(payoff):,.2f} 元" in " ".join(
        el.text for el in flashed.find_all(role="status"))
    assert db.session.execute(select(Recovery.claim_effect)).scalar_one() is None
    resp = _post(officer, loan_id, "10.00", token=token)
    assert resp.status_code == 409 and "paid_off" in page(resp).form_alert()
    assert db.session.execute(select(func.count()).select_from(Recovery)).scalar_one() == 1


def test_only_the_bank_records_a_recovery(db, client, browser, people, covered, agency, make_user, auth_header):
    _close(client, auth_header(make_user("admin")), "2026-11-23")
    loan_id = covered["loan"]["id"]
    fund_id = covered["make"]("1000000.00")
    administrator = db.session.get(Institution, db.session.get(Fund, fund_id).administrator_id)
    guarantor = make_user("guarantor", institution=agency["institution"])
    for user, start in ((make_user("fund_manager", institution=administrator), "/risk/claims"),
                        (guarantor, "/risk/guarantees")):
        who = browser(user)
        token = csrf_token(who.get(start).get_data(as_text=True))
        assert _post(who, loan_id, "100.00", token=token).status_code == 403, user.role
    _nothing_written(db, loan_id)
