"""Fund statements by period, worked by hand to the fen.

The fund (济南市农村产权抵押贷款风险补偿基金, 4321 program: the fund bears 10 %) moves over three business
dates, closed with POST /admin/cob:

  2026-11-23  budget allocation            +1,000,000.00   the fund covers the 120,000.00 loan; its claim
                                                           is filed (the fund's share 12,000.00) and approved
  2026-11-24  interest on the deposit          +1,234.56
              other money                     +50,000.00
  2026-11-25  the claim paid                  -12,000.00
              recovered on the claim           +3,456.78
              budget allocation               +20,000.00

The statement from 2026-11-24 to 2026-11-25 opens with the close of 2026-11-23 (1,000,000.00), has five
lines and closes at 1,000,000.00 + 74,691.34 - 12,000.00 = 1,062,691.34, the fund's balance.
"""
import csv
import io
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from finplat.ledger import service as ledger
from finplat.loans.models import Loan
from finplat.risk.models import Fund
from finplat.risk.statement_service import Movement, tally, years_after
from tests.risk.conftest import API

D = Decimal
FUND_NAME = "济南市农村产权抵押贷款风险补偿基金"
LINES = [  # booked_on, kind, category, source, in, out, balance after
    ("2026-11-24", "contribution", "interest", "interest", "1234.56", "0.00", "1001234.56"),
    ("2026-11-24", "contribution", "contributions", "other", "50000.00", "0.00", "1051234.56"),
    ("2026-11-25", "payout", "payouts", None, "0.00", "12000.00", "1039234.56"),
    ("2026-11-25", "recovery", "recoveries", None, "3456.78", "0.00", "1042691.34"),
    ("2026-11-25", "contribution", "contributions", "budget", "20000.00", "0.00", "1062691.34"),
]
PERIOD = {"from": "2026-11-24", "to": "2026-11-25"}


def _ok(resp, status=200):
    assert resp.status_code == status, resp.get_data(as_text=True)[:1000]
    return resp


@pytest.fixture
def moved(client, db, people, active, agency, program, make_institution, make_user, auth_header):
    """The fund and its movements of the module docstring; the open date is then 2026-11-25."""
    administrator = make_institution("fund_administrator", name="济南市财政局")
    manager_user = make_user("fund_manager", institution=administrator)
    manager, admin = auth_header(manager_user), auth_header(make_user("admin"))
    fund = _ok(client.post(f"{API}/funds", json={"name": FUND_NAME, "region_code": "370100",
                                                 "program_id": program["id"]}, headers=manager), 201).get_json()
    url = f"{API}/funds/{fund['id']}"

    def contribute(amount, source, received_on):
        _ok(client.post(f"{url}/contributions", json={"amount": amount, "source": source,
                                                      "received_on": received_on}, headers=manager), 201)

    def close(day):
        _ok(client.post(f"{API}/admin/cob", json={"business_date": day}, headers=admin))

    contribute("1000000.00", "budget", "2026-11-20")
    asked = _ok(client.post(f"{API}/guarantees", json={"loan_id": active["id"], "agency_id": agency["institution"].id,
                                                        "program_id": program["id"]}, headers=people["manager"][1]), 201)
    _ok(client.post(f"{API}/guarantees/{asked.get_json()['id']}/accept", headers=agency["header"]))
    db.session.get(Loan, active["id"]).classification = "substandard"  # as COB would class it
    db.session.commit()
    claim = _ok(client.post(f"{API}/claims", json={"loan_id": active["id"], "fund_id": fund["id"]},
                            headers=people["manager"][1]), 201).get_json()
    assert claim["split"]["fund"] == "12000.00"  # 120,000.00 x 10 %
    _ok(client.post(f"{API}/claims/{claim['id']}/approve", headers=manager))
    # back to the class COB computes for a loan disbursed today, so that closing the date records no change
    db.session.get(Loan, active["id"]).classification = "normal"
    db.session.commit()
    close("2026-11-23")
    contribute("1234.56", "interest", "2026-11-24")
    contribute("50000.00", "other", "2026-11-23")
    close("2026-11-24")
    _ok(client.post(f"{API}/claims/{claim['id']}/pay", headers=manager))
    # the fund's part of a recovery on the paid claim, booked as recoveries book it (Dr cash, Cr recoveries)
    row = db.session.get(Fund, fund["id"])
    amount = D("3456.78")
    ledger.post("test", "fund_recovery", date(2026, 11, 25), amount, [
        ledger.Leg(ledger.fund_account(row.administrator_id, row.id, "cash"), amount, active["id"]),
        ledger.Leg(ledger.fund_account(row.administrator_id, row.id, "recoveries"), -amount, active["id"])],
        loan_id=active["id"], memo=f"追偿 claim {claim['id']}")
    db.session.commit()
    contribute("20000.00", "budget", "2026-11-25")
    return {"fund": fund, "url": url, "manager": manager, "manager_user": manager_user, "admin": admin,
            "claim": claim, "loan_id": active["id"], "administrator": administrator}


def test_the_statement_by_hand(client, moved):
    got = _ok(client.get(f"{moved['url']}/statement", query_string=PERIOD, headers=moved["manager"])).get_json()
    assert (got["from"], got["to"], got["as_of"], got["opening_on"]) == ("2026-11-24", "2026-11-25", "2026-11-25",
                                                                          "2026-11-23")
    assert got["fund"]["name"] == FUND_NAME and got["fund"]["administrator"] == "济南市财政局"
    assert got["opening_balance"] == "1000000.00"
    assert [(x["booked_on"], x["kind"], x["category"], x["source"], x["amount_in"], x["amount_out"], x["balance"])
            for x in got["lines"]] == LINES
    claim_id, loan_id = moved["claim"]["id"], moved["loan_id"]
    assert [(x["claim_id"], x["loan_id"]) for x in got["lines"]] == [
        (None, None), (None, None), (claim_id, loan_id), (claim_id, loan_id), (None, None)]
    assert got["totals"] == {
        "contributions": {"in": "70000.00", "out": "0.00"}, "interest": {"in": "1234.56", "out": "0.00"},
        "payouts": {"in": "0.00", "out": "12000.00"}, "recoveries": {"in": "3456.78", "out": "0.00"},
        "other": {"in": "0.00", "out": "0.00"}, "in": "74691.34", "out": "12000.00"}
    assert got["closing_balance"] == "1062691.34"
    assert D(got["opening_balance"]) + D(got["totals"]["in"]) - D(got["totals"]["out"]) == D(got["closing_balance"])
    fund = _ok(client.get(moved["url"], headers=moved["manager"])).get_json()
    assert fund["balance"] == got["closing_balance"]  # the ledger agrees

    first = _ok(client.get(f"{moved['url']}/statement", query_string={"from": "2026-11-23", "to": "2026-11-23"},
                           headers=moved["manager"])).get_json()
    assert (first["opening_balance"], first["closing_balance"]) == ("0.00", "1000000.00")
    assert [(x["kind"], x["source"], x["amount_in"]) for x in first["lines"]] == [
        ("contribution", "budget", "1000000.00")]
    month = _ok(client.get(f"{moved['url']}/statement", headers=moved["manager"])).get_json()  # month to date
    assert (month["from"], month["to"], month["opening_balance"], len(month["lines"])) == (
        "2026-11-01", "2026-11-25", "0.00", 6)
    assert month["closing_balance"] == "1062691.34"
    assert _ok(client.get(f"{moved['url']}/statement", query_string=PERIOD, headers=moved["admin"]))


def test_the_csv(client, moved):
    resp = _ok(client.get(f"{moved['url']}/statement.csv", query_string=PERIOD, headers=moved["manager"]))
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="fund-{moved["fund"]["id"]}-statement-2026-11-24-2026-11-25.csv"')
    assert resp.data.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[1][:2] == ["基金", FUND_NAME] and rows[2][:3] == ["期间", "2026-11-24", "2026-11-25"]
    head = rows.index(["记账日", "类型", "明细", "代偿申请编号", "贷款编号", "收入（元）", "支出（元）", "余额（元）", "凭证号", "摘要"])
    table = rows[head + 1:]
    assert table[0][:2] == ["2026-11-23", "期初余额"] and table[0][7] == "1000000.00"
    claim, loan = str(moved["claim"]["id"]), str(moved["loan_id"])
    assert [r[:8] for r in table[1:6]] == [
        ["2026-11-24", "注资", "存款利息", "", "", "1234.56", "0.00", "1001234.56"],
        ["2026-11-24", "注资", "其他来源", "", "", "50000.00", "0.00", "1051234.56"],
        ["2026-11-25", "代偿支出", f"代偿申请 {claim}，贷款 {loan}", claim, loan, "0.00", "12000.00", "1039234.56"],
        ["2026-11-25", "追偿收回", f"代偿申请 {claim}，贷款 {loan}", claim, loan, "3456.78", "0.00", "1042691.34"],
        ["2026-11-25", "注资", "财政预算拨款", "", "", "20000.00", "0.00", "1062691.34"]]
    assert [(r[1], r[2], r[5], r[6]) for r in table[6:11]] == [
        ("小计", "注资（预算拨款及其他）", "70000.00", "0.00"), ("小计", "存款利息", "1234.56", "0.00"),
        ("小计", "代偿支出", "0.00", "12000.00"), ("小计", "追偿收回", "3456.78", "0.00"),
        ("本期合计", "", "74691.34", "12000.00")]
    assert table[11][:2] == ["2026-11-25", "期末余额"] and table[11][7] == "1062691.34"
    assert len(table) == 12


def test_the_pdf(client, moved):
    resp = _ok(client.get(f"{moved['url']}/statement.pdf", query_string=PERIOD, headers=moved["manager"]))
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    text = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True).stdout.decode()
    assert FUND_NAME in text and "1,062,691.34" in text and "1,000,000.00" in text


def test_scoping(client, moved, make_institution, make_user, auth_header, people):
    other = auth_header(make_user("fund_manager", institution=make_institution("fund_administrator",
                                                                                name="淄博市财政局")))
    for suffix in ("", ".csv", ".pdf"):
        resp = client.get(f"{moved['url']}/statement{suffix}", query_string=PERIOD, headers=other)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
        resp = client.get(f"{moved['url']}/statement{suffix}", query_string=PERIOD, headers=people["officer"][1])
        assert resp.status_code == 403
    assert client.get(f"{moved['url']}/statement", query_string=PERIOD).status_code == 401
    assert client.get(f"{API}/funds/999999/statement", headers=moved["manager"]).status_code == 404


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-11-25", "to": "2026-11-24"}, "to"),  # ends before it starts
    ({"from": "2021-11-24", "to": "2026-11-25"}, "to"),  # more than five years
    ({"from": "2026-11-01", "to": "2026-11-26"}, "to"),  # after the open business date
    ({"from": "2026-11-26"}, "from"),
    ({"from": "2026-11-31"}, "from"),  # not a date
    ({"to": "yesterday"}, "to"),
])
def test_bad_dates_name_the_field(client, moved, query, field):
    resp = client.get(f"{moved['url']}/statement", query_string=query, headers=moved["manager"])
    assert resp.status_code == 422, resp.get_json()
    assert list(resp.get_json()["error"]["fields"]) == [field]
    resp = client.get(f"{moved['url']}/statement.csv", query_string=query, headers=moved["manager"])
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]


def test_five_years_exactly_is_allowed(client, moved):
    resp = client.get(f"{moved['url']}/statement", query_string={"from": "2021-11-25", "to": "2026-11-25"},
                      headers=moved["manager"])
    assert _ok(resp).get_json()["closing_balance"] == "1062691.34"


def test_the_statement_page(browser, moved):
    from tests.web.pages import page
    manager = browser(moved["manager_user"])
    fund_page = page(_ok(manager.get(f"/risk/funds/{moved['fund']['id']}")))
    url = fund_page.by_id["fund-statement-link"].attrs["href"]
    assert url == f"/risk/funds/{moved['fund']['id']}/statement"
    shown = page(_ok(manager.get(url, query_string=PERIOD)))
    assert shown.by_id["statement-opening"].text == "1,000,000.00 元"
    assert shown.by_id["statement-in"].text == "74,691.34 元"
    assert shown.by_id["statement-out"].text == "12,000.00 元"
    assert shown.by_id["statement-closing"].text == "1,062,691.34 元"
    lines = shown.by_id["statement-lines"].find_all("tr")[1:]
    assert [row.text for row in lines][2] == f"2026-11-25 代偿支出 代偿申请 {moved['claim']['id']}，贷款 " \
                                             f"{moved['loan_id']} 12,000.00 1,039,234.56"
    links = {a.text: a.attrs["href"] for a in shown.by_id["statement-downloads"].find_all("a")}
    csv_file = _ok(manager.get(links["下载 CSV（Excel）"]))
    assert csv_file.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "1062691.34" in csv_file.data.decode("utf-8-sig")
    pdf = _ok(manager.get(links["下载 PDF"]))
    assert pdf.data.startswith(b"%PDF")
    default = page(_ok(manager.get(url)))  # month to date, the dates filled in
    assert default.by_id["from"].attrs["value"] == "2026-11-01" and default.by_id["to"].attrs["value"] == "2026-11-25"

    resp = manager.get(url, query_string={"from": "2026-11-25", "to": "2026-11-24"})
    assert resp.status_code == 422 and page(resp).error_of("to") == "不能早于起始日期 2026-11-25"
    resp = manager.get(url, query_string={"from": "2021-11-24", "to": "2026-11-25"})
    assert resp.status_code == 422 and page(resp).error_of("to") == "对账期间最长 5 年，截止日期最晚为 2026-11-24"
    resp = manager.get(url, query_string={"from": "2026-11-31"})
    assert resp.status_code == 422 and page(resp).error_of("from")


def test_the_statement_page_is_scoped(browser, moved, make_institution, make_user, people):
    url = f"/risk/funds/{moved['fund']['id']}/statement"
    other = browser(make_user("fund_manager", institution=make_institution("fund_administrator", name="淄博市财政局")))
    assert other.get(url).status_code == 404
    assert other.get(f"{url}.csv").status_code == 404
    assert browser(people["officer"][0]).get(url).status_code == 403


def test_tally_is_exact():
    after, totals = tally(D("100.00"), [Movement("contributions", D("0.10")), Movement("interest", D("0.20")),
                                        Movement("payouts", D("-0.30")), Movement("contributions", D("-0.05"))])
    assert after == [D("100.10"), D("100.30"), D("100.00"), D("99.95")]
    assert totals["by_category"]["contributions"] == {"in": D("0.10"), "out": D("0.05")}
    assert (totals["in"], totals["out"], totals["closing"]) == (D("0.30"), D("0.35"), D("99.95"))
    assert years_after(date(2024, 2, 29), 5) == date(2029, 2, 28)
