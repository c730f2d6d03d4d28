"""The lien service: limits, ranks, refusals, release, events (DESIGN.md §3.2)."""
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.errors import Conflict, NotFound, RuleViolation
from finplat.money import to_fen
from finplat.registry import events
from finplat.registry.lien_service import create_lien, create_liens, live_liens, live_pledged_shares, live_secured, release_lien
from finplat.registry.models import Consent, Lien, Right, ShareRegister, Shareholding

# Origination passes certified value x LTV cap: 1,000,000.00 x 0.70
MAX = to_fen(Decimal("1000000.00") * Decimal("0.70"))


@pytest.fixture
def household(make_party):
    return make_party("household", name="张三")


@pytest.fixture
def make_right(db, household, make_party):
    """make_right(status=..., term_end=..., filed=True): a household's land right, with the filing with its
    collective that a mortgage needs unless filed=False."""
    numbers = count(1)
    collective = make_party("collective")

    def make(status="active", term_end=date(2040, 12, 31), filed=True):
        right = Right(kind="land_management", certificate_no=f"鲁(2026)历城区农村土地经营权第{next(numbers):07d}号",
                      holder_id=household.id, region_code="370112", area=Decimal("10.00"), area_unit="mu",
                      term_start=date(2020, 1, 1), term_end=term_end, attributes={"land_class": "cropland"},
                      status=status)
        db.session.add(right)
        db.session.flush()
        if filed:
            db.session.add(Consent(right_id=right.id, kind="collective_filing", party_id=collective.id,
                                   document_ref="备案-1", signed_on=date(2026, 1, 5)))
        db.session.commit()
        return right
    return make


@pytest.fixture
def holding(db, make_party, household):
    collective = make_party("collective")
    household.collective_id = collective.id
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    db.session.flush()
    h = Shareholding(collective_id=collective.id, member_id=household.id, shares=100)
    db.session.add(h)
    db.session.commit()
    return h


def mortgage(right, amount, loan="1", max_secured=MAX):
    return create_lien("registrar:test", right_id=right.id, kind="mortgage", secured_amount=amount,
                       max_secured=max_secured, secures_type="loan", secures_id=loan)


def pledge(holding, shares, amount="10000.00", max_secured="15000.00"):
    return create_lien("registrar:test", shareholding_id=holding.id, shares=shares, kind="pledge",
                       secured_amount=amount, max_secured=max_secured, secures_type="loan", secures_id="7")


def test_the_limit_is_the_sum_of_live_secured_amounts(db, make_right):
    assert MAX == Decimal("700000.00")
    right = make_right()
    first = mortgage(right, Decimal("500000.00"), loan="1")
    second = mortgage(right, Decimal("200000.00"), loan="2")  # 500,000.00 + 200,000.00 = 700,000.00: fits exactly
    assert (first.rank, second.rank) == (1, 2)
    assert live_secured(right.id) == Decimal("700000.00")
    with pytest.raises(Conflict) as refused:
        mortgage(right, Decimal("0.01"), loan="3")  # 700,000.01 > 700,000.00
    assert refused.value.code == "lien_exceeds_limit" and "secured_amount" in refused.value.fields
    assert [lien.secures_id for lien in live_liens(right_id=right.id)] == ["1", "2"]
    assert db.session.get(Right, right.id).status == "encumbered"


def test_a_single_lien_past_the_limit_is_refused(db, make_right):
    right = make_right()
    with pytest.raises(Conflict) as refused:
        mortgage(right, "700000.01")
    assert refused.value.code == "lien_exceeds_limit"
    assert db.session.get(Right, right.id).status == "active"
    assert live_liens(right_id=right.id) == []


def test_ranks_number_the_live_liens(db, make_right):
    right = make_right()
    liens = [mortgage(right, "100000.00", loan=str(i)) for i in range(1, 4)]
    assert [lien.rank for lien in liens] == [1, 2, 3]
    release_lien("registrar:test", liens[0].id)  # the later liens move up a place
    assert [(lien.secures_id, lien.rank) for lien in live_liens(right_id=right.id)] == [("2", 1), ("3", 2)]
    assert mortgage(right, "100000.00", loan="4").rank == 3


@pytest.mark.parametrize("status, code", [("frozen", "collateral_frozen"), ("withdrawn", "collateral_not_active"),
                                          ("disposed", "collateral_not_active"), ("expired", "collateral_not_active")])
def test_a_right_that_is_not_active_takes_no_lien(db, make_right, status, code):
    right = make_right(status=status)
    with pytest.raises(Conflict) as refused:
        mortgage(right, "1000.00")
    assert refused.value.code == code
    assert db.session.execute(select(Lien)).scalars().all() == []
    assert db.session.get(Right, right.id).status == status


def test_a_right_past_its_term_takes_no_lien(db, make_right):
    right = make_right(term_end=date(2026, 11, 22))  # the day before the open date
    with pytest.raises(Conflict) as refused:
        mortgage(right, "1000.00")
    assert refused.value.code == "collateral_not_active"


def test_release_of_the_last_lien_makes_the_right_active_again(db, make_right):
    right = make_right()
    first, second = mortgage(right, "300000.00", loan="1"), mortgage(right, "400000.00", loan="2")
    released = release_lien("registrar:test", first.id)
    assert (released.status, released.released_at is not None) == ("released", True)
    assert db.session.get(Right, right.id).status == "encumbered"
    release_lien("registrar:test", second.id)
    assert db.session.get(Right, right.id).status == "active"
    assert live_secured(right.id) == Decimal("0.00")
    with pytest.raises(Conflict) as again:
        release_lien("registrar:test", first.id)
    assert again.value.code == "lien_released"
    with pytest.raises(NotFound):
        release_lien("registrar:test", 999_999)


def test_a_frozen_right_stays_frozen_when_its_lien_is_released(db, make_right):
    right = make_right()
    lien = mortgage(right, "1000.00")
    right.status = "frozen"
    db.session.commit()
    release_lien("registrar:test", lien.id)
    assert db.session.get(Right, right.id).status == "frozen"


def test_every_lien_and_release_is_an_event_with_its_audit_record(db, make_right):
    right = make_right()
    first = mortgage(right, "500000.00", loan="1")
    second = mortgage(right, "200000.00", loan="2")
    release_lien("registrar:test", first.id)
    release_lien("registrar:test", second.id)
    history = [(e.kind, e.status_before, e.status_after, e.details["lien_id"], e.actor)
               for e in events.history(right.id)]
    assert history == [("encumbered", "active", "encumbered", first.id, "registrar:test"),
                       ("encumbered", "encumbered", "encumbered", second.id, "registrar:test"),
                       ("released", "encumbered", "encumbered", first.id, "registrar:test"),
                       ("released", "encumbered", "active", second.id, "registrar:test")]
    assert events.history(right.id)[0].details["secured_amount"] == "500000.00"
    actions = db.session.execute(select(AuditRecord.action).where(AuditRecord.object_type == "right")
                                 .order_by(AuditRecord.id)).scalars().all()
    assert actions == ["right.encumbered", "right.encumbered", "right.released", "right.released"]


def test_parts_of_a_holding_are_pledged_up_to_the_holding(db, holding):
    liens = [pledge(holding, 30) for _ in range(3)]
    assert [lien.rank for lien in liens] == [1, 2, 3]
    assert live_pledged_shares(holding.id) == 90
    with pytest.raises(Conflict) as refused:
        pledge(holding, 30)  # 90 + 30 > 100
    assert refused.value.code == "shares_already_pledged"
    pledge(holding, 10)  # 90 + 10 = 100: fits exactly
    assert live_pledged_shares(holding.id) == 100
    release_lien("registrar:test", liens[0].id)
    assert live_pledged_shares(holding.id) == 70
    assert db.session.execute(select(AuditRecord.action).where(AuditRecord.object_type == "lien")
                              .order_by(AuditRecord.id)).scalars().all() == ["lien.create"] * 4 + ["lien.release"]


def test_a_pledge_is_limited_by_its_max_secured_and_the_holding(db, holding):
    with pytest.raises(Conflict) as refused:
        pledge(holding, 50, amount="15000.01", max_secured="15000.00")
    assert refused.value.code == "lien_exceeds_limit"
    pledge(holding, 50, amount="15000.00", max_secured="15000.00")
    pledge(holding, 50, amount="15000.00", max_secured="15000.00")  # other shares, their own limit
    with pytest.raises(RuleViolation) as too_many:
        pledge(holding, 101)
    assert list(too_many.value.fields) == ["shares"]


@pytest.mark.parametrize("kwargs, field", [
    ({"right_id": None, "shareholding_id": None}, "right_id"),
    ({"kind": "hypothec"}, "kind"),
    ({"kind": "pledge"}, "kind"),  # a right is mortgaged, not pledged
    ({"secured_amount": "0.00"}, "secured_amount"),
    ({"secured_amount": "100.001"}, "secured_amount"),
    ({"secured_amount": 1.5}, "secured_amount"),
    ({"max_secured": "-1.00"}, "max_secured"),
    ({"shares": 5}, "shares"),
    ({"secures_type": ""}, "secures_type"),
])
def test_bad_arguments_are_rule_violations(db, make_right, kwargs, field):
    right = make_right()
    args = {"right_id": right.id, "kind": "mortgage", "secured_amount": "100.00", "max_secured": MAX,
            "secures_type": "loan", "secures_id": "1", **kwargs}
    with pytest.raises(RuleViolation) as bad:
        create_lien("registrar:test", **args)
    assert list(bad.value.fields) == [field]


def test_a_pledge_needs_a_whole_number_of_shares(db, holding):
    for shares in (None, 0, -3, 2.5, True):
        with pytest.raises(RuleViolation) as bad:
            pledge(holding, shares)
        assert list(bad.value.fields) == ["shares"]


def test_missing_collateral_is_not_found(db):
    with pytest.raises(NotFound):
        create_lien("test", right_id=999_999, kind="mortgage", secured_amount="1.00", max_secured="1.00",
                    secures_type="loan", secures_id="1")
    with pytest.raises(NotFound):
        create_lien("test", shareholding_id=999_999, shares=1, kind="pledge", secured_amount="1.00",
                    max_secured="1.00", secures_type="loan", secures_id="1")


def test_no_mortgage_without_the_consents_on_file(db, make_right):
    right = make_right(filed=False)
    with pytest.raises(RuleViolation) as refused:
        mortgage(right, "100000.00")
    assert refused.value.code == "consent_missing" and refused.value.fields == {"consents": ["collective_filing"]}
    assert db.session.get(Right, right.id).status == "active"
    assert db.session.execute(select(func.count()).select_from(Lien)).scalar_one() == 0


def test_several_liens_are_made_together_in_lock_order_or_not_at_all(db, make_right, monkeypatch):
    from finplat.registry import lien_service
    first, second, third = make_right(), make_right(), make_right()
    locked = []
    real_locked = lien_service._locked
    monkeypatch.setattr(lien_service, "_locked", lambda model, oid: locked.append(oid) or real_locked(model, oid))
    spec = {"kind": "mortgage", "secured_amount": "100000.00", "max_secured": MAX, "secures_type": "loan",
            "secures_id": "9"}
    made = create_liens("registrar:test", [{**spec, "right_id": third.id}, {**spec, "right_id": first.id}])
    assert [lien.right_id for lien in made] == [third.id, first.id]  # as given
    # every row locked by id before any lien (and its audit record) is written; each lien locks its row again
    assert locked == [first.id, third.id, first.id, third.id]
    assert {db.session.get(Right, r.id).status for r in (first, third)} == {"encumbered"}

    too_much = {**spec, "secured_amount": "700000.00"}
    with pytest.raises(Conflict):  # `second` is locked and liened first, then `third`'s limit is passed:
        create_liens("registrar:test", [{**too_much, "right_id": third.id}, {**spec, "right_id": second.id}])
    assert db.session.get(Right, second.id).status == "active"
    assert live_liens(right_id=second.id) == []
