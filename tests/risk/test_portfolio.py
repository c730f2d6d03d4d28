"""Portfolio risk over the API on a small hand-made portfolio, read off the risk summary as of the last close.

The agency guarantees five loans under 4321 (coverage 0.80), the bank holds one more unguaranteed:

    loan  bank   borrower (region)   principal   class            dpd  collateral  interest due
    L1    ours   张建国 (370103)     120,000.00  normal             0  688,195.27  0
    L2    ours   合作社 B (370112)   200,000.00  substandard      120  none        583.33
    L3    ours   合作社 B (370112)    50,000.00  special_mention   45  none        0
    L4    ours   户 C (370302)        80,000.00  loss             400  none        0
    L6    other  户 D (370103)       100,000.00  normal             0  none        0
    L5    ours   户 D (370103)       300,000.00  normal, no guarantee

Expected loss = PD x max(0, EAD - value x 0.70): L1 0.01 x max(0, 120,000 - 481,736.69) = 0; L2 0.25 x
200,000 = 50,000.00; L3 0.05 x 50,000 = 2,500.00; L4 1 x 80,000 = 80,000.00; L6 0.01 x 100,000 = 1,000.00:
133,500.00 in all. NPL principal 280,000.00 of 550,000.00: 0.50909 -> 0.5091.
"""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from finplat.loans.models import LoanInstalment
from finplat.risk import summary_service
from finplat.risk.models import Guarantee
from tests.loans.conftest import write_loan
from tests.risk.conftest import API

D = Decimal
CLOSED = date(2026, 11, 23)


@pytest.fixture
def book(db, client, people, active, valued, agency, program, bank, products, make_party, make_institution,
         make_user):
    product = products["LAND-MORTGAGE"].id
    maker = people["officer"][0].id
    other_bank = make_institution("bank", name="淄博农商银行")
    b = make_party("collective", name="合作社 B", region_code="370112")
    c = make_party("household", name="户 C", region_code="370302")
    d = make_party("household", name="户 D", region_code="370103")
    loans = {"L1": active["id"]}
    for name, borrower, amount, cls, dpd, bank_id in (
            ("L2", b, "200000.00", "substandard", 120, bank.id), ("L3", b, "50000.00", "special_mention", 45, bank.id),
            ("L4", c, "80000.00", "loss", 400, bank.id), ("L5", d, "300000.00", "normal", 0, bank.id),
            ("L6", d, "100000.00", "normal", 0, other_bank.id)):
        loan = write_loan(db, borrower.id, bank_id, product, maker, amount)
        loan.classification, loan.dpd = cls, dpd
        loans[name] = loan.id
    first = db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == loans["L2"],
                                                            LoanInstalment.number == 1)).scalar_one()
    assert first.interest == D("583.33")  # 200,000.00 x 3.50 % / 12
    first.interest_accrued = first.interest
    for name in ("L1", "L2", "L3", "L4", "L6"):
        db.session.add(Guarantee(loan_id=loans[name], agency_id=agency["institution"].id, program_id=program["id"],
                                 fee_rate=D("0.008"), coverage=D("0.80"), status="active", requested_by=maker))
    db.session.commit()
    return loans


def _get(client, path, header, status=200):
    resp = client.get(f"{API}{path}", headers=header)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def test_an_agencys_portfolio_as_of_the_last_close(client, db, book, agency):
    before = _get(client, "/risk/portfolio", agency["header"])
    assert (before["as_of"], before["totals"]["loan_count"]) == (None, 0)  # nothing closed: the summary is empty

    summary_service.refresh(CLOSED)
    db.session.commit()
    got = _get(client, "/risk/portfolio", agency["header"])
    assert (got["scope"], got["agency_id"], got["as_of"]) == ("agency", agency["institution"].id, "2026-11-23")
    assert got["totals"] == {
        "loan_count": 5, "principal_outstanding": "550000.00", "guaranteed_balance": "440000.00",
        "interest_due": "583.33", "collateral_value": "688195.27", "npl_principal": "280000.00", "npl_ratio": "0.5091",
        "expected_loss": "133500.00"}
    assert [(g["key"], g["loan_count"], g["principal_outstanding"], g["expected_loss"]) for g in got["groups"]] == [
        ("loss", 1, "80000.00", "80000.00"), ("normal", 2, "220000.00", "1000.00"),
        ("special_mention", 1, "50000.00", "2500.00"), ("substandard", 1, "200000.00", "50000.00")]
    assert [(b["bucket"], b["loan_count"], b["principal_outstanding"]) for b in got["dpd_buckets"]] == [
        ("0", 2, "220000.00"), ("1-30", 0, "0.00"), ("31-60", 1, "50000.00"), ("61-90", 0, "0.00"),
        ("91-180", 1, "200000.00"), ("181-270", 0, "0.00"), ("271-360", 0, "0.00"), ("361+", 1, "80000.00")]
    # L1: 120,000.00 / 688,195.27 = 0.1744; the rest have no collateral value
    assert [(b["bucket"], b["loan_count"]) for b in got["ltv_distribution"]] == [
        ("0-50%", 1), ("50-60%", 0), ("60-70%", 0), ("70-80%", 0), ("80-100%", 0), ("100%+", 0), ("none", 4)]
    # 250,000 / 550,000 = 0.4545; 120,000: 0.2182; 100,000: 0.1818; 80,000: 0.1455
    assert [(t["name"], t["loan_count"], t["principal_outstanding"], t["share"]) for t in got["top_borrowers"]] == [
        ("合作社 B", 2, "250000.00", "0.4545"), ("张建国", 1, "120000.00", "0.2182"), ("户 D", 1, "100000.00", "0.1818"),
        ("户 C", 1, "80000.00", "0.1455")]

    by_region = _get(client, "/risk/portfolio?group_by=region", agency["header"])
    assert [(g["key"], g["loan_count"], g["principal_outstanding"]) for g in by_region["groups"]] == [
        ("370103", 2, "220000.00"), ("370112", 2, "250000.00"), ("370302", 1, "80000.00")]
    by_kind = _get(client, "/risk/portfolio?group_by=collateral_kind", agency["header"])
    # L1 is on a land management right; the loans written without collateral count as share pledges
    assert [(g["key"], g["loan_count"]) for g in by_kind["groups"]] == [("collective_shares", 4),
                                                                         ("land_management", 1)]
    assert _get(client, "/risk/portfolio?group_by=product", agency["header"])["groups"][0]["key"] == "LAND-MORTGAGE"
    assert _get(client, "/risk/portfolio?group_by=borrower", agency["header"], 422)["error"]["fields"]["group_by"]


def test_stress_splits_each_non_performing_loss_by_its_shares(client, db, book, agency):
    summary_service.refresh(CLOSED)
    db.session.commit()
    got = _get(client, "/risk/stress?haircut=0.30", agency["header"])
    # L2: 200,000.00 + 583.33 = 200,583.33: re-guarantor 60,175.00 (60,174.999), bank 40,116.67, fund 20,058.33,
    # the guarantor the rest, 80,233.33; L4: 80,000.00: 32,000 / 24,000 / 16,000 / 8,000
    assert {k: got[k] for k in ("loan_count", "loss", "guarantor", "reguarantor", "bank", "fund")} == {
        "loan_count": 2, "loss": "280583.33", "guarantor": "112233.33", "reguarantor": "84175.00",
        "bank": "56116.67", "fund": "28058.33"}
    assert _get(client, "/risk/stress?haircut=1.5", agency["header"], 422)["error"]["fields"]["haircut"]


def test_stress_on_collateral_cut_by_the_haircut(client, db, book, agency):
    """L1 classed substandard: at a 90 % haircut, 120,000.00 - 688,195.27 x 0.10 = 51,180.473 -> 51,180.47 is
    lost on it; re-guarantor 15,354.14, bank 10,236.09, fund 5,118.05 (half-up), the guarantor 20,472.19."""
    from finplat.loans.models import Loan
    for name in ("L2", "L4"):
        db.session.get(Loan, book[name]).classification = "normal"
    db.session.get(Loan, book["L1"]).classification = "substandard"
    summary_service.refresh(CLOSED)
    db.session.commit()
    got = _get(client, "/risk/stress?haircut=0.90", agency["header"])
    assert {k: got[k] for k in ("loan_count", "loss", "guarantor", "reguarantor", "bank", "fund")} == {
        "loan_count": 1, "loss": "51180.47", "guarantor": "20472.19", "reguarantor": "15354.14", "bank": "10236.09",
        "fund": "5118.05"}
    assert _get(client, "/risk/stress?haircut=0.10", agency["header"])["loss"] == "0.00"  # 619,375.74 covers it


def test_each_caller_sees_what_it_may(client, db, book, agency, people, program, make_institution, make_user,
                                      auth_header):
    summary_service.refresh(CLOSED)
    db.session.commit()
    agency_id = agency["institution"].id
    other = auth_header(make_user("guarantor", institution=make_institution("guarantee_agency")))
    assert _get(client, f"/risk/portfolio?agency_id={agency_id}", other, 404)
    assert _get(client, "/risk/portfolio", other)["totals"]["loan_count"] == 0
    assert _get(client, f"/risk/stress?haircut=0.3&agency_id={agency_id}", other, 404)

    # the bank: its own five loans (L6 is another bank's), or those the agency guarantees of them
    mine = _get(client, "/risk/portfolio", people["manager"][1])
    assert (mine["scope"], mine["totals"]["loan_count"], mine["totals"]["principal_outstanding"]) == (
        "bank", 5, "750000.00")
    assert _get(client, f"/risk/portfolio?agency_id={agency_id}", people["manager"][1])["totals"]["loan_count"] == 4

    # a Jinan fund under 4321 covers the guaranteed loans of borrowers in 3701: L1, L2, L3 and L6, not Zibo's L4
    administration = make_institution("fund_administrator")
    manager = auth_header(make_user("fund_manager", institution=administration))
    assert _get(client, "/risk/portfolio", manager)["totals"]["loan_count"] == 0  # no fund yet
    assert client.post(f"{API}/funds", json={"name": "济南市风险补偿基金", "region_code": "370100",
                                             "program_id": program["id"]}, headers=manager).status_code == 201
    funds = _get(client, "/risk/portfolio", manager)
    assert (funds["scope"], funds["totals"]["loan_count"], funds["totals"]["principal_outstanding"]) == (
        "funds", 4, "470000.00")

    admin = auth_header(make_user("admin"))
    assert _get(client, "/risk/portfolio", admin)["totals"]["loan_count"] == 6
    assert _get(client, f"/risk/portfolio?agency_id={agency_id}", admin)["totals"]["loan_count"] == 5
    assert _get(client, f"/risk/portfolio?agency_id={people['manager'][0].institution_id}", admin, 404)
    assert _get(client, "/risk/portfolio", people["officer"][1], 403)


def test_the_csv_export(client, db, book, agency):
    summary_service.refresh(CLOSED)
    db.session.commit()
    resp = client.get(f"{API}/risk/portfolio.csv?haircut=0.30", headers=agency["header"])
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert f'risk-portfolio-agency-{agency["institution"].id}-2026-11-23.csv' in resp.headers["Content-Disposition"]
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff组合风险报表")
    lines = text.splitlines()
    assert ",5,550000.00,440000.00,583.33,688195.27,280000.00,0.5091,133500.00" in lines
    assert "次级,1,200000.00,160000.00,583.33,0.00,200000.00,1.0000,50000.00" in lines
    assert "1. 合作社 B,%d,370112,2,250000.00,0.4545" % client.get(
        f"{API}/risk/portfolio", headers=agency["header"]).get_json()["top_borrowers"][0]["borrower_id"] in lines
    assert ",30.00%,2,280583.33,112233.33,84175.00,56116.67,28058.33" in lines
