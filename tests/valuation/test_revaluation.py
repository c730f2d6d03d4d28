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
    assert summary == {"business_date": OPEN_DATE, "rights_revalued": 6, "rights_without_reference": 1,
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
    assert "6 right(s) revalued, 1 without reference data, 0 LTV breach(es) raised" in result.output
