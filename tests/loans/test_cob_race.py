"""Two close-of-business runners at once over active loans (PostgreSQL, real commits): the advisory lock lets
one close each date, so interest is accrued and booked once."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.auth import service as auth
from finplat.ledger.models import LedgerAccount, LedgerPosting
from finplat.loans.models import LoanInstalment, Product
from finplat.registry.identity import uscc_check_char
from finplat.registry.models import Party
from tests.loans.conftest import write_loan

pytestmark = pytest.mark.postgres


def test_two_runners_accrue_once(app, committed_db):
    from finplat.demo import _products
    db = committed_db
    _products()
    bank = auth.create_institution("test", {"kind": "bank", "name": "济南农村商业银行"})
    maker = auth.create_user("test", {"username": "officer", "password": "correct-horse-battery",
                                      "role": "loan_officer", "institution_id": bank.id})
    body = "93370103" + "MA3C4D5E6"
    party = Party(kind="collective", name="宅科村股份经济合作社", region_code="370103", village="宅科村",
                  uscc=body + uscc_check_char(body))
    db.session.add(party)
    db.session.commit()
    product = db.session.execute(select(Product).where(Product.code == "LAND-MORTGAGE")).scalar_one()
    ids = [write_loan(db, party.id, bank.id, product.id, maker.id).id for _ in range(3)]
    db.session.remove()

    outcomes, start = [], threading.Barrier(2)

    def runner():
        with app.app_context():
            start.wait()
            try:
                outcomes.append(cob.run_to(date(2026, 12, 2), actor="test"))  # ten dates, 11-23 to 12-02
            except cob.CobBusy as exc:
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    done = [o for o in outcomes if isinstance(o, dict)]
    closed = sorted(c["business_date"] for o in done for c in o["closed"])
    assert len(closed) == 10 and len(set(closed)) == 10, outcomes  # each date once, by whichever ran it
    assert cob.open_date() == date(2026, 12, 3)
    # nine of the first period's 30 days: 350.00 x 9 / 30 = 105.00 a loan, booked once
    accrued = db.session.execute(select(LoanInstalment.interest_accrued).where(
        LoanInstalment.loan_id.in_(ids), LoanInstalment.number == 1)).scalars().all()
    assert accrued == [Decimal("105.00")] * 3
    income = db.session.scalar(select(func.sum(LedgerPosting.amount)).join(LedgerAccount)
                               .where(LedgerAccount.code == "interest_income"))
    assert income == Decimal("-315.00")
