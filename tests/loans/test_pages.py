"""The loan pages: the application form with its calculator, the underwriting result, a manager's queue and
decision, contracts and disbursement from the loan's page; errors at the fields in Chinese."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.contracts.models import Contract
from finplat.ledger.models import LedgerTransaction
from finplat.loans.models import Loan
from tests.conftest import csrf_token
from tests.loans.conftest import land_right
from tests.web.pages import location, page, post_form


@pytest.fixture
def officer(browser, people):
    return browser(people["officer"][0])


@pytest.fixture
def manager(browser, people):
    return browser(people["manager"][0])


def form_of(products, borrower, right, **changes):
    return {"product_id": products["LAND-MORTGAGE"].id, "borrower_id": borrower.id, "amount": "300000.00",
            "term_months": "36", "repayment_method": "equal_instalment", "purpose": "购买农机",
            "rights": str(right.id), "pledges": "", "action": "file", **changes}


def act(client, loan_id, action, data=None):
    """Press the loan page's `action` button, with the page's CSRF token."""
    token = csrf_token(client.get(f"/loans/{loan_id}").get_data(as_text=True))
    return client.post(f"/loans/{loan_id}/{action}", data={**(data or {}), "csrf_token": token})


def test_the_calculator_prices_from_the_lpr_and_saves_nothing(officer, db, products, village, valued):
    resp = post_form(officer, "/loans/new", form_of(products, village["household"], valued, action="quote",
                                                    purpose=""))
    assert resp.status_code == 200, page(resp).form_alert()
    shown = page(resp)
    assert shown.by_id["quote-rate"].text == "3.50%"  # 1-year LPR 3.00 % + 50 bp
    first = shown.by_id["quote-result"].find_all("tr")[1].text
    assert "2026-12-23" in first and "8,790.62" in first  # 300,000 at 3.50 % / 12 over 36 months
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 0


def test_a_loan_from_form_to_money(officer, manager, db, products, village, valued, people):
    resp = post_form(officer, "/loans/new", form_of(products, village["household"], valued))
    loan = db.session.execute(select(Loan)).scalar_one()
    assert location(resp).endswith(f"/loans/{loan.id}")
    assert page(officer.get(f"/loans/{loan.id}")).by_id["underwriting-ok"]
    assert act(officer, loan.id, "submit").status_code == 302
    queue = page(manager.get("/loans/?status=submitted"))
    assert f"loan-{loan.id}" in queue.by_id
    assert "approve" not in page(officer.get(f"/loans/{loan.id}")).by_id  # the maker sees no decision
    assert act(officer, loan.id, "approve").status_code == 403
    assert act(manager, loan.id, "approve").status_code == 302
    assert act(officer, loan.id, "contracts").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Contract).where(Contract.loan_id == loan.id)) == 3
    assert act(manager, loan.id, "disburse").status_code == 302
    shown = page(manager.get(f"/loans/{loan.id}"))
    assert shown.by_id["status"].text == "已放款" and shown.by_id["outstanding"].text == "300,000.00 元"
    assert "第 1 版" in shown.by_id["schedule"].text and "8,790.62" in shown.by_id["schedule"].text
    assert len(shown.by_id["contracts"].find_all("li")) == 3
    assert "放款 300,000.00" in shown.by_id["transactions"].text
    again = act(manager, loan.id, "disburse")  # a second click: refused, never paid twice
    assert again.status_code == 409 and "不能进行此操作" in page(again).text
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


def test_form_errors_are_at_their_fields(officer, db, products, village, valued):
    resp = post_form(officer, "/loans/new", form_of(products, village["household"], valued, amount="300000.001",
                                                    term_months="72"))
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.error_of("amount") == "最多 2 位小数"
    resp = post_form(officer, "/loans/new", form_of(products, village["neighbour"], valued))
    assert resp.status_code == 422 and page(resp).error_of("rights") == "该产权不属于借款人"
    resp = post_form(officer, "/loans/new", form_of(products, village["household"], valued, term_months="72"))
    assert resp.status_code == 422 and page(resp).error_of("term_months") == "产品 LAND-MORTGAGE 的贷款期限须为 6 到 60 个月"
    resp = post_form(officer, "/loans/new", form_of(products, village["household"], valued, rights="x1",
                                                    pledges="7-300"))
    shown = page(resp)
    assert shown.error_of("rights") == "“x1”不是产权编号" and shown.error_of("pledges") == "“7-300”应写作 持股编号:股数"
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 0


def test_the_underwriting_result_names_every_failed_check(officer, db, products, village):
    right = land_right(db, village["household"], village["collective"], consent=False)
    post_form(officer, "/loans/new", form_of(products, village["household"], right))
    loan = db.session.execute(select(Loan)).scalar_one()
    resp = act(officer, loan.id, "submit")
    assert resp.status_code == 422
    checks = [li.attrs["data-check"] for li in page(resp).by_id["underwriting"].find_all("li")]
    assert checks == ["valuation_missing", "consent_missing"]
    assert "缺少有效的认证评估" in page(resp).by_id["underwriting"].text
    assert db.session.get(Loan, loan.id).status == "draft"


def test_a_rejection_needs_a_reason(officer, manager, db, products, village, valued):
    post_form(officer, "/loans/new", form_of(products, village["household"], valued))
    loan = db.session.execute(select(Loan)).scalar_one()
    act(officer, loan.id, "submit")
    assert act(manager, loan.id, "reject", {"reason": "  "}).status_code == 422
    assert act(manager, loan.id, "reject", {"reason": "用途不明"}).status_code == 302
    row = db.session.get(Loan, loan.id)
    assert (row.status, row.decision_reason, Decimal(row.amount)) == ("rejected", "用途不明", Decimal("300000.00"))


def test_others_see_no_loan(browser, officer, db, products, village, valued, make_user):
    post_form(officer, "/loans/new", form_of(products, village["household"], valued))
    loan = db.session.execute(select(Loan)).scalar_one()
    stranger = browser(make_user("loan_officer"))
    assert stranger.get(f"/loans/{loan.id}").status_code == 404
    assert f"loan-{loan.id}" not in page(stranger.get("/loans/")).by_id
    farmer = browser(make_user("farmer", username="13700000001", party_id=village["household"].id))
    assert farmer.get(f"/loans/{loan.id}").status_code == 200
    assert farmer.get("/loans/new").status_code == 403


def test_a_manager_who_made_the_application_may_not_decide_it(manager, browser, db, products, village, valued,
                                                               people):
    post_form(manager, "/loans/new", form_of(products, village["household"], valued))
    loan = db.session.execute(select(Loan)).scalar_one()
    act(manager, loan.id, "submit")
    shown = page(manager.get(f"/loans/{loan.id}"))
    assert "approve" not in shown.by_id and "reject" not in shown.by_id
    assert act(manager, loan.id, "approve").status_code == 403
    assert act(manager, loan.id, "reject", {"reason": ""}).status_code == 403  # refused before the reason is read
    other = browser(people["manager2"][0])
    assert "approve" in page(other.get(f"/loans/{loan.id}")).by_id
    assert act(other, loan.id, "approve").status_code == 302
    assert db.session.get(Loan, loan.id).approver_id == people["manager2"][0].id
