"""Ten concurrent replays of one disbursement on PostgreSQL: the first runs, the others wait for it on the
idempotency key and return its response; money moves once. Ten concurrent disbursements under ten keys: one
wins, the others find the loan active. Loans contracting at once on rights they share neither deadlock nor
secure a right past its limit."""
import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.ledger.models import LedgerAccount, LedgerPosting, LedgerTransaction
from finplat.loans.models import Loan, LoanInstalment
from finplat.registry.models import Lien
from tests.loans.conftest import API, approved_loans, contracted_loan

THREADS = 10


def race(app, request, threads=THREADS) -> list:
    """request(client, i) in `threads` threads released together; the (status, JSON, replayed) of each."""
    start, results, lock = threading.Barrier(threads), [], threading.Lock()

    def run(i):
        client = app.test_client()
        start.wait()
        resp = request(client, i)
        with lock:
            results.append((resp.status_code, resp.get_json(), resp.headers.get("Idempotent-Replayed")))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return results


def booked(db, loan_id) -> tuple:
    """(ledger transactions, instalments, the loan's principal receivable) of the loan."""
    db.session.remove()
    principal = db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(LedgerAccount).where(
        LedgerPosting.loan_id == loan_id, LedgerAccount.code == "loan_principal"))
    return (db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                              .where(LedgerTransaction.loan_id == loan_id)),
            db.session.scalar(select(func.count()).select_from(LoanInstalment).where(LoanInstalment.loan_id == loan_id)),
            principal)


@pytest.mark.postgres
def test_ten_replays_of_one_key_disburse_once(app, committed_db):
    made = contracted_loan(committed_db)
    committed_db.session.remove()
    headers = {"Authorization": f"Bearer {made['bank_manager']}", "Idempotency-Key": "disb-race"}
    results = race(app, lambda client, i: client.post(f"{API}/loans/{made['loan_id']}/disburse", headers=headers,
                                                      json={}))
    assert [status for status, _, _ in results] == [200] * THREADS
    assert all(body == results[0][1] for _, body, _ in results)
    assert Counter(replayed for _, _, replayed in results) == {"true": THREADS - 1, None: 1}
    assert booked(committed_db, made["loan_id"]) == (1, 36, Decimal("300000.00"))
    loan = committed_db.session.get(Loan, made["loan_id"])
    assert (loan.status, loan.principal_outstanding) == ("active", Decimal("300000.00"))


@pytest.mark.postgres
def test_ten_keys_race_and_one_disburses(app, committed_db):
    made = contracted_loan(committed_db)
    committed_db.session.remove()
    results = race(app, lambda client, i: client.post(
        f"{API}/loans/{made['loan_id']}/disburse", json={},
        headers={"Authorization": f"Bearer {made['bank_manager']}", "Idempotency-Key": f"key-{i}"}))
    assert Counter(status for status, _, _ in results) == {200: 1, 409: THREADS - 1}
    assert {body["error"]["code"] for status, body, _ in results if status == 409} == {"invalid_status"}
    assert booked(committed_db, made["loan_id"]) == (1, 36, Decimal("300000.00"))


@pytest.mark.postgres
def test_loans_sharing_rights_contract_at_once_without_deadlock(app, committed_db):
    # rights 0-3, 481,736.68 of room each; loans on (0, 1), (1, 2), (2, 3), (3, 0): every right in two loans
    rings = [(0, 1), (1, 2), (2, 3), (3, 0)]
    made = approved_loans(committed_db, rings, rights=4, amount="400000.00")
    committed_db.session.remove()
    headers = {"Authorization": f"Bearer {made['loan_officer']}"}
    results = race(app, lambda client, i: client.post(f"{API}/loans/{made['loan_ids'][i]}/contracts",
                                                      headers=headers), threads=len(rings))
    # each loan takes 200,000.00 of each of its two rights: 400,000.00 of each right's 481,736.68
    assert sorted(status for status, _, _ in results) == [201] * len(rings), results
    committed_db.session.remove()
    secured = committed_db.session.execute(select(Lien.right_id, func.sum(Lien.secured_amount)).where(
        Lien.status == "live").group_by(Lien.right_id)).all()
    assert sorted(amount for _, amount in secured) == [Decimal("400000.00")] * 4


@pytest.mark.postgres
def test_loans_racing_for_the_last_room_of_a_right(app, committed_db):
    made = approved_loans(committed_db, [(0,), (0,)], amount="300000.00")  # 600,000 asked of 481,736.68
    committed_db.session.remove()
    headers = {"Authorization": f"Bearer {made['loan_officer']}"}
    results = race(app, lambda client, i: client.post(f"{API}/loans/{made['loan_ids'][i]}/contracts",
                                                      headers=headers), threads=2)
    assert sorted(status for status, _, _ in results) == [201, 409]
    committed_db.session.remove()
    assert committed_db.session.scalar(select(func.sum(Lien.secured_amount))) == Decimal("300000.00")
    statuses = committed_db.session.execute(select(Loan.status).where(Loan.id.in_(made["loan_ids"]))).scalars()
    assert sorted(statuses) == ["approved", "contracted"]
