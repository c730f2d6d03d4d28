"""From approval to money (API.md "Loans"): contracts signed with their liens in one transaction, and
disbursement under an Idempotency-Key booked to a balanced ledger."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.contracts import service as contracts
from finplat.contracts import storage
from finplat.contracts.models import Contract
from finplat.errors import Unavailable
from finplat.idempotency import IdempotencyKey
from finplat.ledger import service as ledger
from finplat.ledger.models import LedgerAccount, LedgerPosting, LedgerTransaction
from finplat.loans import origination_service
from finplat.loans.models import Loan, LoanInstalment
from finplat.registry import lien_service, right_service
from finplat.registry.models import Lien, Right
from tests.contracts.test_contracts import text_of
from tests.loans.conftest import API, application, certify, file, land_right


@pytest.fixture
def approved(client, db, products, people, village, valued):
    """An approved application: 300,000.00 over 36 months on the valued land right (room 481,736.68)."""
    loan = file(client, people, application(products, village["household"], valued))
    assert client.post(f"{API}/loans/{loan['id']}/submit", headers=people["officer"][1]).status_code == 200
    assert client.post(f"{API}/loans/{loan['id']}/approve", headers=people["manager"][1]).status_code == 200
    return loan


def sign(client, people, loan, who="officer"):
    return client.post(f"{API}/loans/{loan['id']}/contracts", headers=people[who][1])


def disburse(client, people, loan, key="k-1", who="manager", body=None):
    return client.post(f"{API}/loans/{loan['id']}/disburse", headers={**people[who][1], "Idempotency-Key": key},
                       json=body if body is not None else {})


def test_contracts_are_signed_with_the_liens(client, db, people, approved, valued, village, make_user, auth_header):
    resp = sign(client, people, approved)
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()["contracts"]
    assert [c["kind"] for c in got] == ["loan", "land_mortgage", "schedule_annex"]
    loan = db.session.get(Loan, approved["id"])
    assert (loan.status, loan.contracted_on) == ("contracted", cob.open_date())
    for c in got:  # each PDF is stored under its digest and its signature validates against the instance CA
        verdict = contracts.verify("test", storage.load(c["sha256"]))
        assert (verdict["valid"], verdict["intact"], verdict["on_record"]) == (True, True, True)
    mortgage = " ".join(text_of(storage.load(got[1]["sha256"])).split())
    number = f"FP{loan.bank_id:03d}-{loan.contracted_on.year}-DK-{loan.id:06d}"
    assert f"合同编号：{number.replace('DK', 'DY')}-1" in mortgage and number in mortgage
    assert "张建国" in mortgage and "370112-LM-1" in mortgage and "地类 耕地" in mortgage
    assert "人民币 688,195.27 元" in mortgage and "人民币 300,000.00 元" in mortgage and "43.59%" in mortgage
    lien = db.session.execute(select(Lien).where(Lien.right_id == valued.id)).scalar_one()
    assert (lien.status, lien.secured_amount, lien.secures_type, lien.secures_id, lien.holder_id) == \
        ("live", Decimal("300000.00"), "loan", str(loan.id), loan.bank_id)
    assert db.session.get(Right, valued.id).status == "encumbered"
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=village["household"].id))
    listed = client.get(f"{API}/loans/{loan.id}/contracts", headers=farmer).get_json()["contracts"]
    assert [c["id"] for c in listed] == [c["id"] for c in got]
    assert client.get(f"{API}/contracts/{got[0]['id']}/pdf", headers=farmer).status_code == 200
    assert sign(client, people, approved).status_code == 409  # contracted already


def test_a_contract_that_cannot_be_recorded_leaves_no_lien(client, db, people, approved, valued, monkeypatch):
    real = contracts.record

    def failing(actor, doc, **kwargs):
        if doc.kind == "schedule_annex":  # the last record, after the liens and two contracts
            raise Unavailable("the time-stamping authority did not answer", code="tsa_unavailable")
        return real(actor, doc, **kwargs)
    monkeypatch.setattr(contracts, "record", failing)
    assert sign(client, people, approved).status_code == 503
    assert db.session.scalar(select(func.count()).select_from(Lien)) == 0
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    assert db.session.get(Right, valued.id).status == "active"
    assert db.session.get(Loan, approved["id"]).status == "approved"


def test_collateral_without_room_at_contracting_is_a_conflict(client, db, people, approved, valued, make_institution):
    # another lender takes 200,000.00 of the right's 481,736.68 after the approval
    lien_service.create_lien("test", right_id=valued.id, kind="mortgage", secured_amount=Decimal("200000.00"),
                             max_secured=Decimal("481736.68"), secures_type="other", secures_id="x")
    resp = sign(client, people, approved)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"]["checks"] == ["ltv_exceeded"]
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    assert db.session.get(Loan, approved["id"]).status == "approved"


def test_the_loan_is_spread_over_its_collateral_by_room():
    rooms = [Decimal("481736.68"), Decimal("100000.01")]
    shares = origination_service.allocate(Decimal("300000.00"), rooms)
    # 300,000 x 481,736.68 / 581,736.69 = 248,430.271... and 300,000 x 100,000.01 / 581,736.69 = 51,569.728...:
    # 248,430.27 + 51,569.72 leave one fen, which goes to the first item
    assert shares == [Decimal("248430.28"), Decimal("51569.72")]
    assert sum(shares) == Decimal("300000.00")
    assert origination_service.allocate(Decimal("581736.69"), rooms) == rooms
    # a sliver of room still secures a fen, before the fen left over go in order
    assert origination_service.allocate(Decimal("1000.00"), [Decimal("999999.00"), Decimal("0.01")]) == \
        [Decimal("999.99"), Decimal("0.01")]
    for amount, bad in ((Decimal("581736.70"), rooms), (Decimal("100.00"), [Decimal("500.00"), Decimal("0.00")])):
        with pytest.raises(ValueError):
            origination_service.allocate(amount, bad)


def test_two_rights_each_secure_their_part(client, db, products, people, village, valued, appraiser):
    second = land_right(db, village["household"], village["collective"], cert="370112-LM-2")
    certify(appraiser, second, income="20000.00")  # 229,398.42 x 0.70 = 160,578.89 of room
    loan = file(client, people, application(products, village["household"], valued, amount="600000.00",
                                            collateral=[{"right_id": valued.id}, {"right_id": second.id}]))
    client.post(f"{API}/loans/{loan['id']}/submit", headers=people["officer"][1])
    client.post(f"{API}/loans/{loan['id']}/approve", headers=people["manager"][1])
    resp = sign(client, people, loan)
    assert [c["kind"] for c in resp.get_json()["contracts"]] == ["loan", "land_mortgage", "land_mortgage",
                                                                 "schedule_annex"]
    liens = {lien.right_id: lien.secured_amount for lien in db.session.execute(select(Lien)).scalars()}
    # 600,000 x 481,736.68 / 642,315.57 = 450,000.002...; 600,000 x 160,578.89 / 642,315.57 = 149,999.997...:
    # 450,000.00 + 149,999.99, and the fen left to the first
    assert liens == {valued.id: Decimal("450000.01"), second.id: Decimal("149999.99")}
    assert sum(liens.values()) == Decimal("600000.00")


def test_disbursement_books_the_principal_once(client, db, people, approved):
    sign(client, people, approved)
    first = disburse(client, people, approved)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["status"], body["principal_outstanding"], body["disbursed_on"]) == \
        ("active", "300000.00", cob.open_date().isoformat())
    replay = disburse(client, people, approved)
    assert replay.status_code == 200 and replay.get_json() == body
    assert replay.headers["Idempotent-Replayed"] == "true"
    other_body = disburse(client, people, approved, body={"note": "again"})
    assert other_body.status_code == 409 and other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    other_key = disburse(client, people, approved, key="k-2")
    assert other_key.status_code == 409 and other_key.get_json()["error"]["code"] == "invalid_status"

    loan = db.session.get(Loan, approved["id"])
    txns = db.session.execute(select(LedgerTransaction).where(LedgerTransaction.loan_id == loan.id)).scalars().all()
    assert [(t.kind, t.amount) for t in txns] == [("disbursement", Decimal("300000.00"))]
    legs = {p.account.code: p.amount for p in txns[0].postings}
    assert legs == {"loan_principal": Decimal("300000.00"), "funding": Decimal("-300000.00")}
    principal = db.session.execute(select(LedgerAccount).where(LedgerAccount.institution_id == loan.bank_id,
                                                               LedgerAccount.code == "loan_principal")).scalar_one()
    assert ledger.balance(principal.id, loan.id) == loan.principal_outstanding == Decimal("300000.00")
    listed = client.get(f"{API}/loans/{loan.id}/transactions", headers=people["officer"][1]).get_json()
    assert [(i["kind"], i["amount"], i["booked_on"]) for i in listed["items"]] == \
        [("disbursement", "300000.00", cob.open_date().isoformat())]

    # 300,000.00 at 3.50 % over 36 months: M = 300,000 x i (1+i)^36 / ((1+i)^36 - 1) = 8,790.6239..., i = 0.035/12
    sched = client.get(f"{API}/loans/{loan.id}/schedule", headers=people["officer"][1]).get_json()
    assert (sched["projected"], sched["version"], len(sched["instalments"])) == (False, 1, 36)
    assert sched["instalments"][0]["payment"] == "8790.62"
    assert sched["instalments"][0]["due_date"] == (cob.open_date().replace(month=12)).isoformat()
    assert sum(Decimal(i["principal"]) for i in sched["instalments"]) == Decimal("300000.00")
    assert db.session.scalar(select(func.count()).select_from(LoanInstalment)) == 36
    assert loan.maturity_date.isoformat() == sched["instalments"][-1]["due_date"]


def test_disbursement_needs_a_key_a_manager_and_contracts(client, db, people, approved):
    resp = client.post(f"{API}/loans/{approved['id']}/disburse", headers=people["manager"][1], json={})
    assert resp.status_code == 400 and "Idempotency-Key" in resp.get_json()["error"]["fields"]
    assert disburse(client, people, approved, who="officer").status_code == 403
    resp = disburse(client, people, approved)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_status"  # not contracted
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0  # a failure keeps no key
    sign(client, people, approved)
    assert disburse(client, people, approved, who="stranger").status_code == 403
    assert disburse(client, people, approved).status_code == 200  # the same key, now that it can succeed


def test_frozen_collateral_or_a_missing_guarantee_stops_the_money(client, db, people, approved, valued, products):
    sign(client, people, approved)
    right_service.freeze("test", valued.id, "法院保全")
    resp = disburse(client, people, approved)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"]["checks"] == ["collateral_encumbered"]
    right_service.unfreeze("test", valued.id)
    products["LAND-MORTGAGE"].guarantee_required = True
    db.session.commit()
    resp = disburse(client, people, approved, key="k-2")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "guarantee_missing"
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0


def test_a_later_drawdown_signs_a_new_annex(client, db, people, approved):
    sign(client, people, approved)
    cob.run_to(cob.open_date())
    day = cob.open_date()
    assert disburse(client, people, approved).status_code == 200
    annexes = db.session.execute(select(Contract).where(Contract.loan_id == approved["id"],
                                                        Contract.kind == "schedule_annex")
                                 .order_by(Contract.id)).scalars().all()
    assert [a.number[-3:] for a in annexes] == ["附件1", "附件2"]
    loan = db.session.get(Loan, approved["id"])
    assert loan.disbursed_on == day == loan.contracted_on + timedelta(days=1)
    assert origination_service.instalments(loan)[0].due_date == day.replace(month=day.month % 12 + 1)


@pytest.mark.postgres
def test_the_database_refuses_an_unbalanced_or_edited_ledger(app, committed_db):
    from sqlalchemy.exc import DBAPIError, IntegrityError

    from finplat.auth.models import Institution
    db = committed_db
    bank = Institution(kind="bank", name="账务测试银行")
    db.session.add(bank)
    db.session.commit()
    funding, principal = ledger.account(bank.id, "funding"), ledger.account(bank.id, "loan_principal")
    db.session.commit()
    txn = LedgerTransaction(kind="disbursement", amount=Decimal("10.00"), business_date=cob.open_date(), actor="test")
    txn.postings = [LedgerPosting(account_id=principal.id, amount=Decimal("10.00")),
                    LedgerPosting(account_id=funding.id, amount=Decimal("-9.99"))]
    db.session.add(txn)
    with pytest.raises(IntegrityError, match="does not balance"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(ledger.Unbalanced):
        ledger.post("test", "disbursement", cob.open_date(), Decimal("10.00"),
                    [ledger.Leg(principal, Decimal("10.00")), ledger.Leg(funding, Decimal("-9.99"))])
    good = ledger.post("test", "disbursement", cob.open_date(), Decimal("10.00"),
                       [ledger.Leg(principal, Decimal("10.00")), ledger.Leg(funding, Decimal("-10.00"))])
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(LedgerPosting.__table__.update().where(LedgerPosting.transaction_id == good.id)
                           .values(amount=Decimal("0.01")))
    db.session.rollback()
    assert ledger.balance(principal.id) == Decimal("10.00")


def test_a_right_pledged_to_a_loan_has_less_room_for_the_next(client, db, products, people, approved, village,
                                                              valued):
    sign(client, people, approved)
    disburse(client, people, approved)
    # 481,736.68 of room less the 300,000.00 the first loan's lien secures leaves 181,736.68
    too_much = file(client, people, application(products, village["household"], valued, amount="181736.69"))
    resp = client.post(f"{API}/loans/{too_much['id']}/submit", headers=people["officer"][1])
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["checks"] == ["ltv_exceeded"]
    fits = file(client, people, application(products, village["household"], valued, amount="181736.68"))
    assert client.post(f"{API}/loans/{fits['id']}/submit", headers=people["officer"][1]).status_code == 200


def test_an_expired_valuation_stops_the_contracts(client, db, people, approved, valued):
    schedule = client.get(f"{API}/loans/{approved['id']}/schedule", headers=people["officer"][1]).get_json()
    assert (schedule["projected"], schedule["version"], len(schedule["instalments"])) == (True, 0, 36)
    from finplat.valuation import service as valuations
    valuations.current_certified(right_id=valued.id).status = "expired"
    db.session.commit()
    resp = sign(client, people, approved)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"]["checks"] == ["valuation_expired"]
    assert db.session.scalar(select(func.count()).select_from(Lien)) == 0


def test_revaluation_measures_an_active_loan_against_its_lien(client, db, people, approved, valued):
    from finplat.valuation import revaluation
    sign(client, people, approved)
    disburse(client, people, approved)
    rows = db.session.execute(revaluation.ltv_rows(cob.open_date())).all()
    ours = [r for r in rows if r.secures_id == str(approved["id"])]
    # no indicative value yet: the certified 688,195.27; 300,000 / 688,195.27 = 0.4359 against the 0.70 cap
    assert [(r.exposure, r.cap, r.collateral_value) for r in ours] == \
        [(Decimal("300000.00"), Decimal("0.70"), Decimal("688195.27"))]
    assert (ours[0].exposure / ours[0].collateral_value).quantize(Decimal("0.0001")) == Decimal("0.4359")
    assert ours[0].ltv < ours[0].cap  # (SQLite hands the SQL quotient back to two places only)


def test_a_loan_that_fits_only_before_rounding_down_fails_underwriting(client, db, products, people, village, valued,
                                                                       appraiser):
    second = land_right(db, village["household"], village["collective"], cert="370112-LM-2")
    certify(appraiser, second)  # each 688,195.27 x 0.70 = 481,736.689: 481,736.68 of room, 963,473.36 for both
    both = [{"right_id": valued.id}, {"right_id": second.id}]
    over = file(client, people, application(products, village["household"], valued, amount="963473.37",
                                            term_months=60, collateral=both))
    resp = client.post(f"{API}/loans/{over['id']}/submit", headers=people["officer"][1])
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["checks"] == ["ltv_exceeded"]
    fits = file(client, people, application(products, village["household"], valued, amount="963473.36",
                                            term_months=60, collateral=both))
    client.post(f"{API}/loans/{fits['id']}/submit", headers=people["officer"][1])
    client.post(f"{API}/loans/{fits['id']}/approve", headers=people["manager"][1])
    assert sign(client, people, fits).status_code == 201
    liens = db.session.execute(select(Lien.secured_amount).order_by(Lien.right_id)).scalars().all()
    assert liens == [Decimal("481736.68"), Decimal("481736.68")]


def test_a_right_secured_to_its_limit_is_encumbered(client, db, products, people, village, valued, appraiser):
    lien_service.create_lien("test", right_id=valued.id, kind="mortgage", secured_amount=Decimal("481736.68"),
                             max_secured=Decimal("481736.68"), secures_type="other", secures_id="x")
    second = land_right(db, village["household"], village["collective"], cert="370112-LM-2")
    certify(appraiser, second)
    loan = file(client, people, application(products, village["household"], valued, amount="100000.00",
                                            collateral=[{"right_id": valued.id}, {"right_id": second.id}]))
    resp = client.post(f"{API}/loans/{loan['id']}/submit", headers=people["officer"][1])
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["checks"] == ["collateral_encumbered"]


def test_disbursement_judges_the_collateral_again(client, db, people, approved, valued):
    sign(client, people, approved)
    from finplat.valuation import service as valuations
    valuations.current_certified(right_id=valued.id).status = "expired"
    db.session.commit()
    resp = disburse(client, people, approved)
    assert resp.status_code == 409 and resp.get_json()["error"]["fields"]["checks"] == ["valuation_expired"]


def test_an_annex_of_the_new_year_cites_the_loan_contract_of_the_old(client, db, people, approved):
    from finplat.cob import BusinessCalendar
    from datetime import date
    db.session.get(BusinessCalendar, 1).open_date = date(2026, 12, 31)
    db.session.commit()
    sign(client, people, approved)
    db.session.get(BusinessCalendar, 1).open_date = date(2027, 1, 4)
    db.session.commit()
    assert disburse(client, people, approved).status_code == 200
    annex = db.session.execute(select(Contract).where(Contract.loan_id == approved["id"],
                                                      Contract.kind == "schedule_annex")
                               .order_by(Contract.id.desc()).limit(1)).scalar_one()
    number = f"FP{approved['bank_id']:03d}-2026-DK-{approved['id']:06d}"
    assert annex.number == f"{number}-附件2"
    text = " ".join(text_of(storage.load(annex.sha256)).split())
    assert f"合同编号：{number}）" in text and "2027年1月4日" in text


def test_water_facilities_are_not_lent_against_without_a_contract(client, db, products, people, village):
    right = right_service.register_right("test", {
        "kind": "water_facility", "certificate_no": "370112-WF-1", "holder_id": village["household"].id,
        "region_code": "370112", "area": Decimal("100.00"), "area_unit": "m2", "term_start": None, "term_end": None,
        "attributes": {"capacity": "5000.00", "build_cost": "300000.00", "year_built": 2015}})
    from finplat.demo import _products  # noqa: F401  (the demo offers no water facility product: make one)
    from finplat.loans import product_service
    product = product_service.create_product("test", {
        "code": "WATER", "name": "水利设施抵押贷款", "collateral_kinds": ["water_facility"], "ltv_caps": {},
        "min_amount": Decimal("10000.00"), "max_amount": Decimal("100000.00"), "min_term_months": 6,
        "max_term_months": 36, "spread_bps": 50, "repayment_methods": ["equal_instalment"],
        "penalty_factor": Decimal("1.5"), "guarantee_required": False, "program_id": None})
    resp = client.post(f"{API}/loans", headers=people["officer"][1], json={
        "product_id": product.id, "borrower_id": village["household"].id, "amount": "50000.00", "term_months": 12,
        "repayment_method": "equal_instalment", "purpose": "灌溉", "collateral": [{"right_id": right.id}]})
    assert resp.status_code == 422 and "water_facility" in resp.get_json()["error"]["fields"]["collateral"][0]


def test_a_manager_of_another_bank_or_a_body_nested_too_deep(client, db, people, approved, make_user, auth_header):
    sign(client, people, approved)
    other = auth_header(make_user("bank_manager"))
    resp = client.post(f"{API}/loans/{approved['id']}/disburse", headers={**other, "Idempotency-Key": "x"}, json={})
    assert resp.status_code == 404
    # the route reads no body; one nested past any parser is still fingerprinted (as bytes), never a 500
    resp = client.post(f"{API}/loans/{approved['id']}/disburse", data="[" * 100000, content_type="application/json",
                       headers={**people["manager"][1], "Idempotency-Key": "deep"})
    assert resp.status_code == 200
    again = client.post(f"{API}/loans/{approved['id']}/disburse", json={},
                        headers={**people["manager"][1], "Idempotency-Key": "deep"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "idempotency_key_reused"
