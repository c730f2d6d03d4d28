"""The LPR table: the tenor a term prices from, the rate in force on a day (an announcement's own day and the
day before), the shipped history, the loader (all or none, idempotent, a published figure never edited, one
audit record), `finplat lpr`, the JSON routes and the page with its upload."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.loans import lpr
from finplat.loans.models import LprRate
from finplat.valuation.reference_loader import BadFile, InvalidRows
from finplat.web.forms import chinese
from tests.conftest import csrf_token
from tests.web.pages import location, page

API = "/api/v1"
HEADER = "effective_date,tenor,rate,source\n"


def count(db, model=LprRate, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def lpr_audits(db) -> list:
    return db.session.execute(select(AuditRecord).where(AuditRecord.action == "lpr.load")
                              .order_by(AuditRecord.id)).scalars().all()


@pytest.fixture
def shipped(db):
    return lpr.load_csv("test")


def row(day="2026-01-20", tenor="1y", rate="0.0290", **extra):
    return {"effective_date": day, "tenor": tenor, "rate": rate, **extra}


# --- tenor and lookups

@pytest.mark.parametrize("months, tenor", [(1, "1y"), (12, "1y"), (59, "1y"), (60, "1y"), (61, "5y"), (120, "5y"),
                                           (360, "5y")])
def test_a_term_of_up_to_five_years_prices_from_the_one_year_lpr(months, tenor):
    assert lpr.tenor_for(months) == tenor


@pytest.mark.parametrize("day, one_year, five_year", [
    (date(2019, 8, 19), None, None),  # before the first announcement under the reformed mechanism
    (date(2019, 8, 20), "0.0425", "0.0485"),
    (date(2019, 9, 19), "0.0425", "0.0485"),
    (date(2019, 9, 20), "0.0420", "0.0485"),
    (date(2024, 2, 19), "0.0345", "0.0420"),
    (date(2024, 2, 20), "0.0345", "0.0395"),
    (date(2024, 10, 20), "0.0335", "0.0385"),  # the day before an announcement: the previous figures
    (date(2024, 10, 21), "0.0310", "0.0360"),  # the announcement's own day: the new ones
    (date(2025, 5, 19), "0.0310", "0.0360"),
    (date(2025, 5, 20), "0.0300", "0.0350"),
    (date(2026, 11, 23), "0.0300", "0.0350"),  # the latest announcement stays in force
])
def test_the_rate_in_force_is_the_latest_announced_on_or_before_the_day(shipped, day, one_year, five_year):
    found = lpr.rates_on(day)
    assert [None if r is None else f"{r.rate:.4f}" for r in (found["1y"], found["5y"])] == [one_year, five_year]
    assert (lpr.rate("1y", day) is None) == (one_year is None)


def test_a_lookup_returns_the_announcement(shipped):
    announced = lpr.rate("5y", date(2024, 12, 31))
    assert (announced.tenor, announced.rate, announced.effective_date) == ("5y", Decimal("0.0360"), date(2024, 10, 21))
    assert announced.source == "2024年10月21日全国银行间同业拆借中心受权公布贷款市场报价利率（LPR）公告"
    assert lpr.rate("10y", date(2024, 12, 31)) is None
    assert lpr.rate("1y", None) is None


def test_the_shipped_history(db, shipped):
    assert (shipped.rows, shipped.loaded, shipped.unchanged) == (30, 30, 0)
    rows = db.session.execute(select(LprRate).order_by(LprRate.effective_date, LprRate.tenor)).scalars().all()
    assert rows[0].effective_date == date(2019, 8, 20) and rows[-1].effective_date == date(2025, 5, 20)
    assert {r.tenor for r in rows} == {"1y", "5y"}
    # Published figures only move in steps of 5 basis points, and every row names its announcement.
    assert all((r.rate * 10_000) % 5 == 0 and r.source and "LPR" in r.source for r in rows)
    [audit_record] = lpr_audits(db)
    after = json.loads(audit_record.after)
    assert audit_record.actor == "test" and (after["rows"], after["loaded"], after["unchanged"]) == (30, 30, 0)
    assert after["file"] == "lpr.csv" and len(after["sha256"]) == 64 and after["effective_dates"][-1] == "2025-05-20"


# --- the loader

def test_loading_again_changes_nothing_and_writes_no_audit_record(db, shipped):
    again = lpr.load_csv("test")
    assert (again.rows, again.loaded, again.unchanged) == (30, 0, 30)
    assert count(db) == 30 and len(lpr_audits(db)) == 1


def test_a_new_announcement_is_added_beside_the_published_ones(db, shipped):
    summary = lpr.load("test", [row("2026-01-20", "1y", "0.0290"), row("2025-05-20", "1y", "0.0300")])
    assert (summary.loaded, summary.unchanged) == (1, 1)
    assert lpr.rate("1y", date(2026, 1, 19)).rate == Decimal("0.0300")
    assert lpr.rate("1y", date(2026, 1, 20)).rate == Decimal("0.0290")
    assert lpr.rate("5y", date(2026, 1, 20)).rate == Decimal("0.0350")  # the other tenor stays as it was
    assert len(lpr_audits(db)) == 2


def test_a_published_figure_is_never_changed_and_nothing_of_the_load_is_written(db, shipped):
    with pytest.raises(InvalidRows) as refused:
        lpr.load("test", [row("2026-01-20"), row("2024-10-21", "1y", "0.0315")])
    [error] = refused.value.errors
    assert (error.row, error.field) == (1, "rate")
    assert error.message.startswith("0.0310 is already published for 2024-10-21: a published figure is not changed")
    assert "已公布的数据不能修改" in chinese(error.message)
    assert count(db) == 30  # the good row was not written either
    assert lpr.rate("1y", date(2024, 10, 21)).rate == Decimal("0.0310")
    assert len(lpr_audits(db)) == 1


@pytest.mark.parametrize("bad, field", [
    (row(tenor="10y"), "tenor"),
    (row(tenor=""), "tenor"),
    (row(rate="3.10"), "rate"),  # a percentage typed as published
    (row(rate="0"), "rate"),
    (row(rate="-0.01"), "rate"),
    (row(rate="0.03105"), "rate"),  # five places
    (row(rate="三"), "rate"),
    (row(day="2025-02-30"), "effective_date"),
    ({"tenor": "1y", "rate": "0.03"}, "effective_date"),
    (row(source="x" * 201), "source"),
    (row(colour="red"), "colour"),
])
def test_each_bad_row_is_named_by_number_and_field(db, bad, field):
    with pytest.raises(InvalidRows) as refused:
        lpr.load("test", [row("2026-02-20"), bad])
    assert {(e.row, e.field) for e in refused.value.errors} == {(1, field)}
    assert refused.value.fields["rows"]["1"][field]
    assert all(chinese(e.message) != e.message for e in refused.value.errors)
    assert count(db) == 0 and lpr_audits(db) == []


def test_a_tenor_and_date_given_twice_is_refused_on_both_rows(db):
    with pytest.raises(InvalidRows) as refused:
        lpr.load("test", [row(), row(tenor="5y", rate="0.0340"), row(rate="0.0290")])
    assert sorted((e.row, e.field, e.message) for e in refused.value.errors) == [
        (0, "rate", "also on row 2"), (2, "rate", "also on row 0")]
    assert count(db) == 0


def test_a_file_with_chinese_headers_in_gb18030_loads(db):
    data = "公布日期,期限,利率,来源\n2026-01-20,1y,0.0290,测试公告\n\n2026-01-20,5y,0.0340,\n".encode("gb18030")
    summary = lpr.load_csv("test", data, file_name="lpr-2026.csv")
    assert (summary.rows, summary.loaded) == (2, 2)
    assert lpr.rate("1y", date(2026, 1, 20)).source == "测试公告"
    assert lpr.rate("5y", date(2026, 1, 20)).source is None
    assert json.loads(lpr_audits(db)[0].after)["file"] == "lpr-2026.csv"


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (HEADER.encode(), "no rows: the file has a header only"),
    (b"effective_date,tenor\n2026-01-20,1y\n", "missing columns: rate"),
    (b"effective_date,tenor,rate,colour\n2026-01-20,1y,0.03,red\n", "unknown columns: colour (known: "
                                                                     "effective_date, tenor, rate, source)"),
    (b"effective_date,tenor,rate,rate\n2026-01-20,1y,0.03,0.03\n", "columns given twice: rate"),
    (b"\xff\xfe\x00\x00\xff" * 10, "the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(db, content, message):
    with pytest.raises(BadFile) as refused:
        lpr.load_csv("test", content)
    assert refused.value.message == message and chinese(message) != message
    assert count(db) == 0


def test_a_line_with_too_many_values_is_named(db):
    with pytest.raises(InvalidRows) as refused:
        lpr.load_csv("test", (HEADER + "2026-01-20,1y,0.0290,公告\n2026-01-20,5y,0.0340,公告,extra\n").encode())
    assert [(e.row, e.field, e.message) for e in refused.value.errors] == [(3, "-", "5 values for 4 columns")]


# --- the command

def test_finplat_lpr_load_and_show(app, db, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lpr", "load"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "lpr.csv: 30 row(s), 30 loaded, 0 unchanged"
    again = runner.invoke(args=["lpr", "load"])
    assert again.output.strip() == "lpr.csv: 30 row(s), 0 loaded, 30 unchanged"

    shown = runner.invoke(args=["lpr", "show", "--as-of", "2024-10-20"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0].startswith("1y: 0.0335 (3.35 %) since 2024-07-22")
    assert shown.output.splitlines()[1].startswith("5y: 0.0385 (3.85 %) since 2024-07-22")
    early = runner.invoke(args=["lpr", "show", "--as-of", "2019-01-01"])
    assert early.output.splitlines() == ["1y: none in force on 2019-01-01", "5y: none in force on 2019-01-01"]
    history = runner.invoke(args=["lpr", "show", "--history", "--as-of", "2019-12-31"])
    assert history.output.splitlines()[:3] == [
        "effective_date,tenor,rate,source",
        "2019-11-20,1y,0.0415,2019年11月20日全国银行间同业拆借中心受权公布贷款市场报价利率（LPR）公告",
        "2019-11-20,5y,0.0480,2019年11月20日全国银行间同业拆借中心受权公布贷款市场报价利率（LPR）公告"]
    assert len(history.output.splitlines()) == 7

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-01-20,1y,3.10,\n2024-10-21,5y,0.0365,\n", encoding="utf-8")
    refused = runner.invoke(args=["lpr", "load", str(bad)])
    assert refused.exit_code == 1
    assert "bad.csv row 2, rate: must be a decimal under 0.2: 3.10 % is 0.0310" in refused.output
    assert "bad.csv row 3, rate: " in refused.output and "already published for 2024-10-21" in refused.output
    assert "2 row(s) have errors: nothing written" in refused.output
    assert count(db) == 30


# --- the routes

@pytest.fixture
def header(make_user, auth_header, make_party):
    def make(role):
        extra = {"party_id": make_party().id, "username": "13700000077"} if role == "farmer" else {}
        return auth_header(make_user(role, **extra))
    return make


def test_get_lpr_as_of_a_date(client, shipped, header):
    h = header("farmer")  # any logged-in user
    body = client.get(f"{API}/lpr?as_of=2024-10-20&per_page=4", headers=h).get_json()
    assert body["as_of"] == "2024-10-20" and body["per_page"] == 4 and body["total"] == 26
    assert body["in_force"]["1y"]["rate"] == "0.0335" and body["in_force"]["5y"]["rate"] == "0.0385"
    assert body["in_force"]["1y"]["effective_date"] == "2024-07-22"
    assert [(i["effective_date"], i["tenor"], i["rate"]) for i in body["items"]] == [
        ("2024-07-22", "1y", "0.0335"), ("2024-07-22", "5y", "0.0385"),
        ("2024-02-20", "1y", "0.0345"), ("2024-02-20", "5y", "0.0395")]

    on_the_day = client.get(f"{API}/lpr?as_of=2024-10-21&tenor=1y", headers=h).get_json()
    assert on_the_day["in_force"]["1y"]["rate"] == "0.0310" and on_the_day["items"][0]["effective_date"] == "2024-10-21"
    assert {i["tenor"] for i in on_the_day["items"]} == {"1y"}

    today = client.get(f"{API}/lpr", headers=h).get_json()
    assert today["as_of"] == "2026-11-23" and today["in_force"]["1y"]["rate"] == "0.0300"
    before = client.get(f"{API}/lpr?as_of=2019-01-01", headers=h).get_json()
    assert before["in_force"] == {"1y": None, "5y": None} and before["items"] == []
    assert client.get(f"{API}/lpr").status_code == 401
    assert client.get(f"{API}/lpr?tenor=3y", headers=h).status_code == 422


def test_an_admin_loads_rows_through_the_api(client, db, header):
    h = header("admin")
    resp = client.post(f"{API}/admin/lpr", headers=h, json={"rows": [row(), row(tenor="5y", rate="0.0340")]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"rows": 2, "loaded": 2, "unchanged": 0}
    refused = client.post(f"{API}/admin/lpr", headers=h, json={"rows": [row("2026-02-20"), row(rate="0.0295")]})
    assert refused.status_code == 422
    assert "already published" in refused.get_json()["error"]["fields"]["rows"]["1"]["rate"][0]
    bad = client.post(f"{API}/admin/lpr", headers=h, json={"rows": [row(rate="3.10")]})
    assert bad.status_code == 422 and "rate" in str(bad.get_json()["error"]["fields"])
    assert count(db) == 2


@pytest.mark.parametrize("role", ["loan_officer", "bank_manager", "registrar", "appraiser", "guarantor",
                                  "fund_manager", "farmer"])
def test_only_an_admin_loads_and_the_role_is_checked_before_the_body(client, db, header, role):
    resp = client.post(f"{API}/admin/lpr", headers=header(role), json={"rows": "not a list", "x": 1})
    assert resp.status_code == 403 and resp.get_json()["error"]["fields"] == {}
    assert count(db) == 0


# --- the page

@pytest.fixture
def as_admin(client, make_user, login):
    login(make_user("admin"))
    return client


def upload(client, content: bytes, filename="lpr.csv"):
    token = csrf_token(client.get("/lpr/").get_data(as_text=True))
    return client.post("/lpr/upload", data={"file": (io.BytesIO(content), filename), "csrf_token": token},
                       content_type="multipart/form-data")


def test_an_institution_user_reads_the_lpr_page(client, shipped, make_user, login):
    login(make_user("loan_officer"))
    shown = page(client.get("/lpr/?as_of=2024-10-20"))
    in_force = [[td.text for td in tr.find_all("td")] for tr in shown.by_id["in-force"].find_all("tr")[1:]]
    assert in_force[0][:3] == ["1 年期 LPR", "3.35%", "2024-07-22"]
    assert in_force[1][:3] == ["5 年期以上 LPR", "3.85%", "2024-07-22"]
    assert "共 30 项" in shown.by_id["history"].text
    assert "upload" not in shown.by_id
    assert client.get("/lpr/?as_of=2024-13-01").status_code == 422
    assert client.post("/lpr/upload", data={}).status_code in (400, 403)


def test_a_farmer_has_no_lpr_page(client, make_user, make_party, login):
    login(make_user("farmer", party_id=make_party().id, username="13700000078"))
    assert client.get("/lpr/").status_code == 403


def test_an_admin_uploads_a_file_and_sees_each_refused_row_in_chinese(as_admin, db):
    resp = upload(as_admin, (HEADER + "2026-01-20,1y,0.0290,公告\n2026-01-20,5y,0.0340,公告\n").encode())
    assert location(resp) == "/lpr/"
    assert "已导入 LPR：共 2 行，新增 2 行" in page(as_admin.get("/lpr/")).text
    assert count(db) == 2 and len(lpr_audits(db)) == 1

    refused = upload(as_admin, (HEADER + "2026-02-20,1y,3.10,\n2026-01-20,5y,0.0345,\n").encode())
    assert refused.status_code == 422
    shown = page(refused)
    errors = [[td.text for td in tr.find_all("td")] for tr in shown.by_id["row-errors"].find_all("tr")[1:]]
    assert errors == [["2", "利率", "须为小于 0.2 的小数：3.10% 填 0.0310"],
                      ["3", "利率", "2026-01-20 生效的数值 0.0340 已公布，已公布的数据不能修改：新数值请使用新的生效日期"]]
    assert "有 2 行数据有误，未写入任何数据" in shown.form_alert()
    assert count(db) == 2

    empty = upload(as_admin, b"")
    assert empty.status_code == 422 and "文件是空的" in page(empty).text
