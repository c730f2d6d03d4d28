"""Risk-sharing programs over the API: shares summing to 1 (refusals naming the field), admin only, read by
any institution, and the demo's two programs."""
from decimal import Decimal

from sqlalchemy import select

from finplat.risk.models import RiskProgram

API = "/api/v1"
SHARES = {"guarantor": "0.40", "reguarantor": "0.30", "bank": "0.20", "fund": "0.10"}


def test_an_admin_creates_a_4321_program(client, db, make_user, auth_header):
    admin = auth_header(make_user("admin"))
    resp = client.post(f"{API}/risk-programs", json={"name": "4321", "shares": SHARES}, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # rates come back with their eight places; a guarantee covers 1 - the bank's 0.20
    assert body["shares"] == {party: f"{share}000000" for party, share in SHARES.items()}
    assert body["coverage"] == "0.80000000"
    row = db.session.get(RiskProgram, body["id"])
    assert row.shares == {k: Decimal(v) for k, v in SHARES.items()}
    officer = auth_header(make_user("loan_officer"))
    assert client.get(f"{API}/risk-programs/{body['id']}", headers=officer).get_json()["name"] == "4321"
    assert client.post(f"{API}/risk-programs", json={"name": "x", "shares": SHARES}, headers=officer).status_code \
        == 403
    again = client.post(f"{API}/risk-programs", json={"name": "4321 ", "shares": SHARES}, headers=admin)
    assert again.status_code == 201 and again.get_json()["name"] == "4321"  # names need not be unique (API.md)


def test_shares_must_sum_to_one(client, db, make_user, auth_header):
    admin = auth_header(make_user("admin"))
    resp = client.post(f"{API}/risk-programs", json={"name": "bad", "shares": {**SHARES, "fund": "0.11"}},
                       headers=admin)
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["shares"] == \
        ["the shares sum to 1.01, not 1"]
    resp = client.post(f"{API}/risk-programs", json={"name": "bad", "shares": {"bank": "1"}}, headers=admin)
    assert resp.status_code == 422 and "shares" in str(resp.get_json()["error"]["fields"])
    assert db.session.execute(select(RiskProgram)).first() is None


def test_the_demo_seeds_4321_and_a_fund_only_program(app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    shares = {p.name: (p.guarantor_share, p.reguarantor_share, p.bank_share, p.fund_share)
              for p in db.session.execute(select(RiskProgram)).scalars()}
    assert sorted(shares.values()) == [(Decimal("0"), Decimal("0"), Decimal("0.8"), Decimal("0.2")),
                                       (Decimal("0.4"), Decimal("0.3"), Decimal("0.2"), Decimal("0.1"))]


def test_the_programs_page_lists_and_an_admin_sets_one_up(browser, db, make_user):
    from tests.conftest import csrf_token
    from tests.web.pages import page
    admin = browser(make_user("admin"))
    html = admin.get("/risk/programs").get_data(as_text=True)
    form = {"name": "4321", "guarantor": "0.40", "reguarantor": "0.30", "bank": "0.20", "fund": "0.11",
            "csrf_token": csrf_token(html)}
    resp = admin.post("/risk/programs", data=form)
    assert resp.status_code == 422 and "各方分担比例合计为 1.01，应为 1" in page(resp).form_alert()
    resp = admin.post("/risk/programs", data={**form, "fund": "1.5"})
    assert resp.status_code == 422 and page(resp).error_of("fund") == "须在 0 到 1 之间"
    assert admin.post("/risk/programs", data={**form, "fund": "0.10"}).status_code == 302
    program = db.session.execute(select(RiskProgram)).scalar_one()
    officer = browser(make_user("loan_officer"))
    row = page(officer.get("/risk/programs")).by_id[f"program-{program.id}"]
    assert "40.00%" in row.text and "80.00%" in row.text  # the guarantor's share; the coverage
    own = csrf_token(officer.get("/risk/programs").get_data(as_text=True))  # its own session's token
    assert officer.post("/risk/programs", data={**form, "csrf_token": own}).status_code == 403
