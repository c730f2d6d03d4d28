"""Concurrent certifications of one right's drafts queue behind the right's row lock: every one succeeds in
turn, and exactly one valuation is certified at the end, each earlier one superseded by the next. PostgreSQL:
each thread has its own connection."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from finplat.auth import service as auth_service
from finplat.registry.identity import id_check_char
from finplat.registry.models import Party
from finplat.security.pii import blind_index
from finplat.valuation import service
from finplat.valuation.models import Valuation
from tests.valuation.conftest import right_of

DRAFTS = 10


@pytest.mark.postgres
def test_concurrent_certifications_leave_exactly_one_certified(app, committed_db):
    db = committed_db
    agency = auth_service.create_institution("test", {"kind": "appraisal_agency", "name": "评估所",
                                                      "certification_no": "鲁评协-1", "certified_until": date(2030, 1, 1)})
    appraiser = auth_service.create_user("test", {"username": "apr1", "password": "appraiser-pw-1", "role": "appraiser",
                                                  "institution_id": agency.id})
    body = "37011219800101001"
    number = body + id_check_char(body)
    holder = Party(kind="household", name="张三", region_code="370112", id_number=number,
                   id_number_index=blind_index(number))
    db.session.add(holder)
    db.session.commit()
    right = right_of(db, holder)
    drafts = [service.request_valuation(appraiser, {
        "right_id": right.id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": Decimal(f"{40000 + i}.00"), "rate": Decimal("0.06"), "years": Decimal(20)}}).id
        for i in range(DRAFTS)]
    appraiser_id = appraiser.id
    start, failures = threading.Barrier(DRAFTS), []

    def certify(valuation_id):
        with app.app_context():
            from finplat.auth.models import User
            from finplat.extensions import db as thread_db
            start.wait()
            try:
                service.certify(thread_db.session.get(User, appraiser_id), valuation_id)
            except Exception as exc:  # noqa: BLE001  (any failure is the test's failure)
                failures.append(repr(exc))
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=certify, args=(v,)) for v in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    rows = db.session.execute(select(Valuation).where(Valuation.right_id == right.id)).scalars().all()
    certified = [v for v in rows if v.status == "certified"]
    assert len(certified) == 1 and sorted(v.status for v in rows).count("superseded") == DRAFTS - 1
    # the superseded ones form one chain, each pointing at the one certified after it, ending at the last
    successor = {v.id: v.superseded_by_id for v in rows}
    chain, at = [], next(v.id for v in rows if v.id not in successor.values())
    while at is not None:
        chain.append(at)
        at = successor[at]
    assert len(chain) == DRAFTS and chain[-1] == certified[0].id
