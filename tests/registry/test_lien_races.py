"""Concurrent liens can never encumber the same value twice (issue: "20 threads race to pledge the same right
and exactly one wins"; "they race for parts of one shareholding and the pledged total never exceeds the
holding"), and concurrent transfers never overdraw a holding. PostgreSQL: each thread has its own connection,
and the row locks are what queue them."""
import threading
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.errors import DomainError
from finplat.registry.identity import id_check_char, uscc_check_char
from finplat.registry import share_service
from finplat.registry.lien_service import create_lien, live_pledged_shares
from finplat.registry.models import Consent, Lien, Party, Right, ShareRegister, Shareholding
from finplat.security.pii import blind_index

THREADS = 20


def race(app, attempt) -> Counter:
    """Run attempt(i) in THREADS threads released together, each in its own app context (its own session);
    count the outcomes: "won" or the refusal's code."""
    start, outcomes, lock = threading.Barrier(THREADS), Counter(), threading.Lock()

    def run(i):
        with app.app_context():
            from finplat.extensions import db
            start.wait()
            try:
                attempt(i)
                outcome = "won"
            except DomainError as exc:
                db.session.rollback()
                outcome = exc.code
            finally:
                db.session.remove()
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def household(db, collective_id=None, sequence=1) -> Party:
    body = f"3701121980010100{sequence}"
    number = body + id_check_char(body)
    party = Party(kind="household", name="张三", region_code="370112", id_number=number,
                  id_number_index=blind_index(number), collective_id=collective_id)
    db.session.add(party)
    db.session.commit()
    return party


def holding_of_100(db) -> Shareholding:
    body = "9337011200000000" + "0"
    collective = Party(kind="collective", name="宅科村股份经济合作社", region_code="370112",
                       uscc=body + uscc_check_char(body))
    db.session.add(collective)
    db.session.flush()
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    member = household(db, collective.id)
    holding = Shareholding(collective_id=collective.id, member_id=member.id, shares=100)
    db.session.add(holding)
    db.session.commit()
    return holding


@pytest.mark.postgres
def test_twenty_liens_race_for_one_right_and_exactly_one_wins(app, committed_db):
    db = committed_db
    body = "9337011200000001"
    collective = Party(kind="collective", name="宅科村股份经济合作社", region_code="370112",
                       uscc=body + "0" + uscc_check_char(body + "0"))
    db.session.add(collective)
    db.session.flush()
    right = Right(kind="land_management", certificate_no="鲁(2026)历城区农村土地经营权第0000001号",
                  holder_id=household(db, collective.id).id, region_code="370112", area=Decimal("10.00"),
                  area_unit="mu", term_start=date(2020, 1, 1), term_end=date(2040, 12, 31),
                  attributes={"land_class": "cropland"})
    db.session.add(right)
    db.session.flush()
    db.session.add(Consent(right_id=right.id, kind="collective_filing", party_id=collective.id,
                           document_ref="备案-1", signed_on=date(2026, 1, 5)))
    db.session.commit()
    right_id = right.id
    db.session.remove()

    outcomes = race(app, lambda i: create_lien(
        "registrar:race", right_id=right_id, kind="mortgage", secured_amount=Decimal("700000.00"),
        max_secured=Decimal("700000.00"), secures_type="loan", secures_id=str(i)))

    assert outcomes == {"won": 1, "lien_exceeds_limit": THREADS - 1}
    live = db.session.execute(select(Lien).where(Lien.right_id == right_id, Lien.status == "live")).scalars().all()
    assert [(lien.rank, lien.secured_amount) for lien in live] == [(1, Decimal("700000.00"))]
    assert db.session.get(Right, right_id).status == "encumbered"


@pytest.mark.postgres
def test_twenty_pledges_race_for_parts_of_one_holding_and_never_pass_it(app, committed_db):
    db = committed_db
    holding_id = holding_of_100(db).id
    db.session.remove()

    outcomes = race(app, lambda i: create_lien(
        "registrar:race", shareholding_id=holding_id, shares=30, kind="pledge", secured_amount=Decimal("15000.00"),
        max_secured=Decimal("15000.00"), secures_type="loan", secures_id=str(i)))

    assert outcomes == {"won": 3, "shares_already_pledged": THREADS - 3}
    assert live_pledged_shares(holding_id) == 90 <= 100
    ranks = db.session.execute(select(Lien.rank).where(Lien.shareholding_id == holding_id)
                               .order_by(Lien.rank)).scalars().all()
    assert ranks == [1, 2, 3]
    assert db.session.execute(select(func.count()).select_from(Lien)).scalar_one() == 3


@pytest.mark.postgres
def test_twenty_transfers_race_from_one_holding_and_never_overdraw_it(app, committed_db):
    """10 shares each from a 100-share holding, 30 of them pledged, to a member who holds none yet: 7 win."""
    db = committed_db
    holding = holding_of_100(db)
    collective_id, sender_id = holding.collective_id, holding.member_id
    receiver_id = household(db, collective_id, sequence=2).id
    create_lien("registrar:race", shareholding_id=holding.id, shares=30, kind="pledge", secured_amount="1000.00",
                max_secured="1000.00", secures_type="loan", secures_id="1")
    db.session.remove()

    outcomes = race(app, lambda i: share_service.transfer("registrar:race", collective_id, {
        "from_member_id": sender_id, "to_member_id": receiver_id, "shares": 10}))

    assert outcomes == {"won": 7, "shares_pledged": THREADS - 7}
    shares = dict(db.session.execute(select(Shareholding.member_id, Shareholding.shares)).all())
    assert shares == {sender_id: 30, receiver_id: 70}
