"""Fixtures of the valuation tests: a certified appraisal agency and its appraiser, Jinan's reference figures,
the parties of a village and rights registered through the registry service."""
from datetime import date
from decimal import Decimal

import pytest

from finplat.registry import right_service
from finplat.valuation.models import CapitalisationRate, LandPrice, NetIncome, ReplacementCost

IN_FORCE = date(2026, 1, 1)


@pytest.fixture
def agency(make_institution):
    return make_institution("appraisal_agency", name="山东鲁信资产评估有限公司", certification_no="鲁评协-2026-0137",
                            certified_until=date(2028, 12, 31))


@pytest.fixture
def appraiser(make_user, auth_header, agency):
    return auth_header(make_user("appraiser", institution=agency))


@pytest.fixture
def officer(make_user, auth_header):
    return auth_header(make_user("loan_officer"))


@pytest.fixture
def reference(db):
    """Jinan's figures (city level, 370100): the rights below are in 370103 and find them by fallback."""
    db.session.add_all([
        NetIncome(region_code="370100", right_kind="land_management", item="wheat", income_per_mu=Decimal("1200.00"),
                  effective_date=IN_FORCE),
        CapitalisationRate(region_code="370100", right_kind="land_management", rate=Decimal("0.06"),
                           effective_date=IN_FORCE),
        CapitalisationRate(region_code="370100", right_kind="construction_land", rate=Decimal("0.06"),
                           effective_date=IN_FORCE),
        LandPrice(region_code="370100", use="industrial", grade="2", price_per_m2=Decimal("800.00"),
                  effective_date=IN_FORCE),
        LandPrice(region_code="370100", use="homestead", grade="*", price_per_m2=Decimal("300.00"),
                  effective_date=IN_FORCE),
        ReplacementCost(region_code="370100", structure="brick_concrete", cost_per_m2=Decimal("1800.00"),
                        effective_date=IN_FORCE),
    ])
    db.session.commit()


def right_of(db, holder, kind="land_management", **columns):
    defaults = {
        "land_management": dict(area=Decimal("30.00"), area_unit="mu", term_start=date(2018, 1, 1),
                                term_end=date(2047, 12, 31), attributes={"land_class": "cropland", "crop": "wheat"}),
        "construction_land": dict(area=Decimal("5000.00"), area_unit="m2", term_start=date(2026, 1, 1),
                                  term_end=date(2075, 12, 31), attributes={"use": "industrial", "grade": "2"}),
        "house": dict(area=Decimal("200.00"), area_unit="m2", attributes={
            "structure": "brick_concrete", "floor_area": "180.50", "year_built": 2008, "homestead_area": "200.00"}),
        "forest": dict(area=Decimal("40.00"), area_unit="mu", term_start=date(2010, 1, 1), term_end=date(2059, 12, 31),
                       attributes={"species": "杨树", "stand_age": 8, "fire_insurance_policy": "PICC-FIRE-1",
                                   "fire_insurance_until": "2031-12-31"}),
        "water_facility": dict(area=Decimal("800.00"), area_unit="m2", attributes={
            "capacity": "20000.00", "build_cost": "350000.00", "year_built": 2015}),
    }[kind]
    status = columns.pop("status", "active")
    data = {"kind": kind, "certificate_no": f"370103-{kind}-{holder.id}", "holder_id": holder.id,
            "region_code": "370103", "term_start": None, "term_end": None, **defaults, **columns}
    right = right_service.register_right("test", data)  # registered with its event, as of the open date
    right.status = status
    db.session.commit()
    return right


@pytest.fixture
def parties(make_party):
    collective = make_party("collective", name="宅科村股份经济合作社")
    return {"collective": collective, "household": make_party("household", name="孙七", collective_id=collective.id),
            "enterprise": make_party("enterprise", name="泉源农业开发有限公司")}
