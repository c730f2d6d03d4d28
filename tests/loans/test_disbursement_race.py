"""Ten concurrent replays of one disbursement on PostgreSQL: the first runs, the others wait for it on the
idempotency key and return its response; money moves once. Ten concurrent disbursements under ten keys: one
wins, the others find the loan active."""
import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.ledger.models import LedgerPosting, LedgerTransaction
from finplat.loans.models import Loan, LoanInstalment
from tests.loans.conftest import API, contracted_loan

THREADS = 10


def race(app, request) -> list:
    """request(client, i) in THREADS threads released together; the (status, JSON) of each."""
    start, results, lock = threading.Barrier(THREADS), [], threading.Lock()

    def run(i):
        client = app.test_client()
        start.wait()
        resp = request(client, i)
        with lock:
            results.append((resp.status_code, resp.get_json(), resp.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def booked(db, loan_id) -> tuple:
    db.session.remove()
    return (db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                              .where(LedgerTransaction.loan_id == loan_id)),
            db.session.scalar(select(func.count()).select_from(LoanInstalment).where(LoanInstalment.loan_id == loan_id)),
            db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0))))


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
    assert booked(committed_db, made["loan_id"]) == (1, 36, 0)
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
    assert booked(committed_db, made["loan_id"]) == (1, 36, 0)
