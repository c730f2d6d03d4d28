"""Twenty payments of approved claims racing on one fund (PostgreSQL, real commits, one thread each): the
fund's row lock lets them through one at a time, so the fund pays while its balance lasts and never goes
below zero. 55,000.00 in the fund, 10,000.00 a claim: five paid, fifteen refused."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.auth import service as auth
from finplat.auth.models import User
from finplat.errors import Conflict
from finplat.loans.models import Product
from finplat.registry.identity import uscc_check_char
from finplat.registry.models import Party
from finplat.risk import claim_service, fund_service, program_service
from finplat.risk.models import Claim
from tests.loans.conftest import write_loan

pytestmark = pytest.mark.postgres
CLAIMS = 20


def test_concurrent_payments_never_overdraw_the_fund(app, committed_db):
    from finplat.demo import _products
    db = committed_db
    _products()
    bank = auth.create_institution("test", {"kind": "bank", "name": "济南农村商业银行"})
    officer = auth.create_user("test", {"username": "officer", "password": "correct-horse-battery",
                                        "role": "loan_officer", "institution_id": bank.id})
    bureau = auth.create_institution("test", {"kind": "fund_administrator", "name": "济南市财政局"})
    manager = auth.create_user("test", {"username": "fund", "password": "correct-horse-battery",
                                        "role": "fund_manager", "institution_id": bureau.id})
    program = program_service.create_program("test", {"name": "4321", "shares": {
        "guarantor": Decimal("0.4"), "reguarantor": Decimal("0.3"), "bank": Decimal("0.2"), "fund": Decimal("0.1")}})
    fund = fund_service.create_fund(manager, {"name": "济南基金", "region_code": "370100", "program_id": program.id})
    fund_service.contribute(manager, fund.id, {"amount": Decimal("55000.00"), "source": "budget",
                                               "received_on": date(2026, 11, 23)})
    body = "93370103" + "MA3C4D5E6"
    party = Party(kind="collective", name="宅科村股份经济合作社", region_code="370103", uscc=body + uscc_check_char(body))
    db.session.add(party)
    db.session.commit()
    product = db.session.execute(select(Product).where(Product.code == "LAND-MORTGAGE")).scalar_one()
    ids = []
    for _ in range(CLAIMS):
        loan = write_loan(db, party.id, bank.id, product.id, officer.id, amount="100000.00")
        claim = Claim(loan_id=loan.id, fund_id=fund.id, program_id=program.id, status="approved",
                      principal=Decimal("100000.00"), interest=Decimal("0.00"), recoveries=Decimal("0.00"),
                      net_loss=Decimal("100000.00"), split={"guarantor": "40000.00", "reguarantor": "30000.00",
                                                            "bank": "20000.00", "fund": "10000.00"},
                      filed_on=cob.open_date(), filed_by=officer.id)
        db.session.add(claim)
        db.session.commit()
        ids.append(claim.id)
    manager_id, fund_id = manager.id, fund.id
    db.session.remove()

    outcomes, start = [], threading.Barrier(CLAIMS)

    def pay(claim_id):
        with app.app_context():
            try:
                start.wait()
                claim_service.pay(db.session.get(User, manager_id), claim_id)
                outcomes.append("paid")
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay, args=(claim_id,)) for claim_id in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcomes) == ["fund_insufficient"] * 15 + ["paid"] * 5
    fund = db.session.get(fund_service.Fund, fund_id)
    assert fund_service.balance(fund) == Decimal("5000.00")
    paid = db.session.scalar(select(func.count()).select_from(Claim).where(Claim.status == "paid"))
    assert paid == 5
