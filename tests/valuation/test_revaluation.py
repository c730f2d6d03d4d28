"""Batch revaluation: indicative values of every right under a live lien from the reference data in force
(one SQL statement on PostgreSQL, row by row on SQLite, the same to the fen), LTV recomputed through the
exposure-source interface and breach alerts raised once per business date."""
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, literal, select

from finplat.audit import AuditRecord
from finplat.registry.models import Lien
from finplat.valuation import revaluation
from finplat.valuation.models import (CapitalisationRate, IndicativeValue, LandPrice, LtvAlert, NetIncome,
                                      ReplacementCost)
from tests.conftest import OPEN_DATE
from tests.valuation.conftest import right_of as _right

API = "/api/v1"


def _lien(db, right, secures_id="L1", amount="100000.00"):
    lien = Lien(kind="mortgage", right_id=right.id, rank=1, secured_amount=Decimal(amount), secures_type="loan",
                secures_id=secures_id, status="live")
    db.session.add(lien)
    db.session.commit()
    return lien


@pytest.fixture
def more_reference(db, reference):
    """Figures for the other kinds, and one at province level that a Zibo right falls back to."""
    db.session.add_all([
        NetIncome(region_code="370100", right_kind="land_management", item="*", income_per_mu=Decimal("900.00"),
                  effective_date=date(2026, 1, 1)),
        NetIncome(region_code="370000", right_kind="forest", item="*", income_per_mu=Decimal("350.00"),
                  effective_date=date(2026, 1, 1)),
        CapitalisationRate(region_code="370000", right_kind="forest", rate=Decimal("0.05"),
                           effective_date=date(2026, 1, 1)),
        ReplacementCost(region_code="370100", structure="reinforced_concrete", cost_per_m2=Decimal("2200.00"),
                        effective_date=date(2026, 1, 1)),
    ])
    db.session.commit()


@pytest.fixture
def encumbered(db, parties, more_reference):
    """A right of each kind under a live lien, one without a lien, one the reference data cannot value."""
    household, enterprise, collective = parties["household"], parties["enterprise"], parties["collective"]
    rights = {
        "wheat": _right(db, household),
        "no_crop": _right(db, household, certificate_no="LM-2", attributes={"land_class": "cropland"}),
        "forest": _right(db, collective, "forest"),
        "construction": _right(db, enterprise, "construction_land"),
        "house": _right(db, household, "house"),
        "water": _right(db, collective, "water_facility"),
        "grassland_unpriced": _right(db, household, certificate_no="LM-3", region_code="370303",
                                     attributes={"land_class": "grassland", "crop": "alfalfa"}),
    }
    for n, right in enumerate(rights.values()):
        _lien(db, right, secures_id=f"L{n}")
    rights["free"] = _right(db, household, certificate_no="LM-free")
    return rights


def test_every_right_under_a_live_lien_is_revalued(db, encumbered):
    summary = revaluation.revalue("test")
    assert summary == {"business_date": OPEN_DATE, "rights_revalued": 6, "rights_not_revalued": 1,
                       "ltv_breaches": 0}
    values = {v.right_id: v for v in db.session.execute(select(IndicativeValue)).scalars()}
    # The wheat right as its certified valuation would derive it: 1,200/mu x 30 mu at 6 % over 21.10 years
    # = 36,000 / 0.06 x (1 - 1/1.06^21.10) = 600,000 x 0.70755362 = 424,532.17
    assert values[encumbered["wheat"].id].value == Decimal("424532.17")
    assert values[encumbered["wheat"].id].method == "income_capitalisation"
    # The house: 1,800/m2 x 180.50 m2 x (1 - 0.98 x 18/50) + 200 m2 x 300/m2 = 210,275.28 + 60,000 = 270,275.28
    assert values[encumbered["house"].id].value == Decimal("270275.28")
    assert values[encumbered["house"].id].computed_on == OPEN_DATE
    # The water facility: 350,000.00 / 800 m2 = 437.50/m2 x 800 m2 x (1 - 11/60) = 285,833.33
    assert values[encumbered["water"].id].value == Decimal("285833.33")
    assert values[encumbered["water"].id].method == "cost"
    assert encumbered["free"].id not in values and encumbered["grassland_unpriced"].id not in values
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "valuation.revalued")) == 1


@pytest.mark.postgres
def test_the_sql_and_the_methods_agree_to_the_fen(db, encumbered):
    revaluation.revalue("test")
    got = {v.right_id: (v.method, v.value) for v in db.session.execute(select(IndicativeValue)).scalars()}
    expected = {right.id: revaluation.indicative_value(right, OPEN_DATE) for right in encumbered.values()
                if right is not encumbered["free"]}
    assert got == {right_id: value for right_id, value in expected.items() if value is not None}
    assert len(got) == 6


def test_a_newer_figure_counts_from_its_effective_date(db, encumbered):
    revaluation.revalue("test")
    db.session.add_all([
        NetIncome(region_code="370103", right_kind="land_management", item="wheat", income_per_mu=Decimal("1500.00"),
                  effective_date=OPEN_DATE),  # the district's own figure beats the city's from today
        LandPrice(region_code="370100", use="industrial", grade="2", price_per_m2=Decimal("9000.00"),
                  effective_date=date(2027, 1, 1)),  # not in force yet
    ])
    db.session.commit()
    before = db.session.get(IndicativeValue, encumbered["construction"].id).value
    revaluation.revalue("test")
    db.session.expire_all()
    # 1,500 x 30 = 45,000 / 0.06 x 0.70755362 = 530,665.22 (424,532.17 x 1.25, to the fen)
    assert db.session.get(IndicativeValue, encumbered["wheat"].id).value == Decimal("530665.22")
    assert db.session.get(IndicativeValue, encumbered["construction"].id).value == before
    assert db.session.scalar(select(func.count()).select_from(IndicativeValue)) == 6


@pytest.fixture
def loans(monkeypatch):
    """Three loans as a lending domain would report them: outstanding principal and LTV cap."""
    book = {"L0": "350000.00", "L1": "10000.00", "L6": "50000.00"}  # L6: the unpriced grassland's loan

    def source(day):
        rows = [select(literal("loan").label("secures_type"), literal(key).label("secures_id"),
                       literal(Decimal(amount)).label("exposure"), literal(Decimal("0.70")).label("cap"))
                for key, amount in book.items()]
        from sqlalchemy import union_all
        return union_all(*rows)
    monkeypatch.setattr(revaluation, "_exposure_sources", [])
    revaluation.exposure_source(lambda day: source(day).subquery().select())
    return book


def test_ltv_breaches_are_raised_once_a_day(db, encumbered, loans):
    summary = revaluation.revalue("test")
    assert summary["ltv_breaches"] == 2
    alerts = {a.secures_id: a for a in db.session.execute(select(LtvAlert)).scalars()}
    # L0: 350,000 / 424,532.17 = 0.82444... > 0.70; L1: 10,000 on a right worth far more, no alert;
    # L6: the collateral has no value at all, so the alert carries no ratio.
    assert set(alerts) == {"L0", "L6"}
    assert alerts["L0"].collateral_value == Decimal("424532.17") and alerts["L0"].cap == Decimal("0.70")
    assert alerts["L0"].ltv.quantize(Decimal("0.0001")) == Decimal("0.8244")
    assert alerts["L6"].ltv is None and alerts["L6"].collateral_value == Decimal("0.00")
    assert alerts["L0"].business_date == OPEN_DATE
    assert revaluation.revalue("test")["ltv_breaches"] == 0  # the same day: no second alert
    assert db.session.scalar(select(func.count()).select_from(LtvAlert)) == 2


def test_ltv_counts_certified_value_when_there_is_no_indicative_one(db, encumbered, loans, client, appraiser):
    right = encumbered["grassland_unpriced"]
    draft = client.post(f"{API}/valuations", headers=appraiser, json={
        "right_id": right.id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": "20000.00", "rate": "0.06", "years": "10"}}).get_json()
    client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    revaluation.revalue("test")
    alerts = {a.secures_id for a in db.session.execute(select(LtvAlert)).scalars()}
    # 20,000 x (1 - 1.06^-10) / 0.06 = 147,201.74; 50,000 / 147,201.74 = 0.34 < 0.70: no alert for L6
    assert alerts == {"L0"}


def test_the_route_and_the_command(client, db, encumbered, make_user, auth_header, app):
    admin = auth_header(make_user("admin"))
    resp = client.post(f"{API}/admin/revaluations", headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["rights_revalued"] == 6
    officer = auth_header(make_user("loan_officer"))
    assert client.post(f"{API}/admin/revaluations", headers=officer).status_code == 403
    result = CliRunner().invoke(app.cli, ["valuation", "revalue"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "6 right(s) revalued, 1 not (reference data missing or term run out), 0 LTV breach(es) raised" \
        in result.output


def test_a_right_that_leaves_the_run_loses_its_old_value(db, encumbered):
    revaluation.revalue("test")
    wheat = encumbered["wheat"]
    db.session.execute(select(Lien).where(Lien.right_id == wheat.id)).scalar_one().status = "released"
    db.session.commit()
    summary = revaluation.revalue("test")
    assert summary["rights_revalued"] == 5 and db.session.get(IndicativeValue, wheat.id) is None
    # ... and one whose term has run out by the valuation date keeps none either
    summary = revaluation.revalue("test", day=date(2076, 1, 2))
    assert db.session.get(IndicativeValue, encumbered["construction"].id) is None


def test_a_junior_lien_counts_only_what_the_senior_leaves(db, encumbered, monkeypatch):
    wheat = encumbered["wheat"]  # worth 424,532.17; L0 is its rank-1 mortgage securing 100,000.00
    db.session.add(Lien(kind="mortgage", right_id=wheat.id, rank=2, secured_amount=Decimal("280000.00"),
                        secures_type="loan", secures_id="J1", status="live"))
    db.session.commit()
    monkeypatch.setattr(revaluation, "_exposure_sources", [])
    revaluation.exposure_source(lambda day: select(
        literal("loan").label("secures_type"), literal("J1").label("secures_id"),
        literal(Decimal("280000.00")).label("exposure"), literal(Decimal("0.70")).label("cap")).subquery().select())
    assert revaluation.revalue("test")["ltv_breaches"] == 1
    alert = db.session.execute(select(LtvAlert)).scalar_one()
    # 424,532.17 - 100,000.00 secured before it = 324,532.17 left; 280,000 / 324,532.17 = 0.8628 > 0.70
    assert alert.collateral_value == Decimal("324532.17")
    assert alert.ltv.quantize(Decimal("0.0001")) == Decimal("0.8628")


def test_a_share_pledge_is_worth_its_shares_at_the_certified_value_per_share(client, db, appraiser, parties,
                                                                             monkeypatch):
    from finplat.registry.models import ShareRegister, Shareholding
    collective, household = parties["collective"], parties["household"]
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    db.session.flush()
    holding = Shareholding(collective_id=collective.id, member_id=household.id, shares=250)
    db.session.add(holding)
    db.session.commit()
    draft = client.post(f"{API}/valuations", headers=appraiser, json={
        "shareholding_id": holding.id, "method": "income_capitalisation",
        "inputs": {"annual_net_income": "30000.00", "rate": "0.06", "years": 10}}).get_json()
    client.post(f"{API}/valuations/{draft['id']}/certify", headers=appraiser)
    db.session.add(Lien(kind="pledge", shareholding_id=holding.id, shares=100, rank=1,
                        secured_amount=Decimal("50000.00"), secures_type="loan", secures_id="S1", status="live"))
    db.session.commit()
    monkeypatch.setattr(revaluation, "_exposure_sources", [])
    revaluation.exposure_source(lambda day: select(
        literal("loan").label("secures_type"), literal("S1").label("secures_id"),
        literal(Decimal("80000.00")).label("exposure"), literal(Decimal("0.50")).label("cap")).subquery().select())
    revaluation.revalue("test")
    alert = db.session.execute(select(LtvAlert)).scalar_one()
    # 30,000 x (1 - 1.06^-10) / 0.06 = 220,802.61 for 250 shares; 100 pledged = 88,321.04;
    # 80,000 / 88,321.04 = 0.9058 > 0.50
    assert draft["value"] == "220802.61"
    assert alert.collateral_value == Decimal("88321.04")


@pytest.mark.postgres
def test_the_sql_and_the_methods_agree_on_many_random_rights(db, parties, more_reference):
    """Seeded random rights of every kind, weighted to the cases where the fen is easy to lose: concrete that a
    60-year life divides into thirds, water facilities measured in mu, tiny and huge figures."""
    import random
    rng = random.Random(20261123)
    household, collective, enterprise = parties["household"], parties["collective"], parties["enterprise"]
    db.session.add_all([
        ReplacementCost(region_code="370100", structure=s, cost_per_m2=Decimal(c), effective_date=date(2026, 1, 1))
        for s, c in (("brick_wood", "1300.00"), ("simple", "850.00"))])
    db.session.add_all([
        NetIncome(region_code="370100", right_kind="land_management", item=crop, income_per_mu=Decimal(i),
                  effective_date=date(2026, 1, 1)) for crop, i in (("corn", "1133.33"), ("fruit", "4567.89"))])
    db.session.add(LandPrice(region_code="370100", use="commercial", grade="*", price_per_m2=Decimal("2345.67"),
                             effective_date=date(2026, 1, 1)))
    db.session.commit()
    rights = []
    for n in range(600):
        kind = rng.choice(("land_management", "forest", "construction_land", "house", "house", "water_facility"))
        money = lambda low, high: Decimal(rng.randint(low * 100, high * 100)) / 100  # noqa: E731
        if kind == "land_management":
            r = _right(db, household, kind, certificate_no=f"R-{n}", area=money(1, 500),
                       term_end=date(rng.randint(2027, 2047), rng.randint(1, 12), 28),
                       attributes={"land_class": "cropland", "crop": rng.choice(("wheat", "corn", "fruit", "rice"))})
        elif kind == "forest":
            r = _right(db, collective, kind, certificate_no=f"R-{n}", area=money(1, 3000))
        elif kind == "construction_land":
            use = rng.choice(("industrial", "commercial"))
            r = _right(db, enterprise, kind, certificate_no=f"R-{n}", area=money(10, 90000),
                       term_end=date(rng.randint(2030, 2065), 12, 31), attributes={"use": use, "grade": rng.choice(("1", "2"))})
        elif kind == "house":
            r = _right(db, household, kind, certificate_no=f"R-{n}", attributes={
                "structure": rng.choice(("reinforced_concrete", "brick_concrete", "brick_wood", "simple")),
                "floor_area": str(money(20, 400)), "year_built": rng.randint(1960, 2026),
                **({"homestead_area": str(money(50, 300))} if rng.random() < 0.5 else {})})
        else:
            r = _right(db, collective, kind, certificate_no=f"R-{n}", area=money(1, 9000),
                       area_unit=rng.choice(("mu", "m2")), attributes={
                           "capacity": "100.00", "build_cost": str(money(1000, 9000000)),
                           "year_built": rng.randint(1970, 2026)})
        rights.append(r)
        _lien(db, r, secures_id=f"R{n}")
    # An exact half fen: 1,567.80/m2 x 188.31 m2 x 50/60 = 246,027.015 (a concrete house of ten years); and a
    # water facility whose cost per m2 (5,355,825.60 / 6,479.31 m2) is no finite decimal: 4,463,188.00.
    db.session.add(ReplacementCost(region_code="370112", structure="reinforced_concrete",
                                   cost_per_m2=Decimal("1567.80"), effective_date=date(2026, 1, 1)))
    db.session.commit()
    ties = [_right(db, household, "house", certificate_no="TIE-1", region_code="370112", attributes={
                "structure": "reinforced_concrete", "floor_area": "188.31", "year_built": 2016}),
            _right(db, collective, "water_facility", certificate_no="TIE-2", area=Decimal("6479.31"), attributes={
                "capacity": "100.00", "build_cost": "5355825.60", "year_built": 2016})]
    for n, r in enumerate(ties):
        rights.append(r)
        _lien(db, r, secures_id=f"T{n}")
    revaluation.revalue("test")
    got = {v.right_id: (v.method, v.value) for v in db.session.execute(select(IndicativeValue)).scalars()}
    expected = {r.id: revaluation.indicative_value(r, OPEN_DATE) for r in rights}
    expected = {right_id: value for right_id, value in expected.items() if value is not None}
    assert got == expected
    assert len(got) > 500
    assert got[ties[0].id] == ("cost", Decimal("246027.02"))
    assert got[ties[1].id] == ("cost", Decimal("4463188.00"))
