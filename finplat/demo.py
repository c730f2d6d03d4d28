"""Demo data for `finplat seed-demo`: institutions of every kind and a user of every role with an
institution. Safe to run twice: what exists is left as it is."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from finplat.auth import service
from finplat.auth.models import Institution, User
from finplat.extensions import db

DEMO_PASSWORD = "finplat-demo-2026"

INSTITUTIONS = [
    {"kind": "platform", "name": "FinPlat 平台运营中心", "region_code": "370100"},
    {"kind": "rights_centre", "name": "济南市农村产权交易中心", "region_code": "370100"},
    {"kind": "appraisal_agency", "name": "山东鲁信资产评估有限公司", "region_code": "370100",
     "certification_no": "鲁评协-2026-0137", "certified_until": date(2028, 12, 31)},
    {"kind": "bank", "name": "济南农村商业银行", "region_code": "370100"},
    {"kind": "bank", "name": "淄博农村商业银行", "region_code": "370300"},
    {"kind": "guarantee_agency", "name": "山东省农业发展信贷担保有限责任公司", "region_code": "370000",
     "net_assets": Decimal("5000000000.00"), "guarantee_multiple": Decimal("10")},
    {"kind": "fund_administrator", "name": "济南市财政局（风险补偿基金）", "region_code": "370100"},
]

USERS = [
    ("admin", "admin", "FinPlat 平台运营中心"),
    ("registrar", "registrar", "济南市农村产权交易中心"),
    ("appraiser", "appraiser", "山东鲁信资产评估有限公司"),
    ("officer", "loan_officer", "济南农村商业银行"),
    ("manager", "bank_manager", "济南农村商业银行"),
    ("zb_officer", "loan_officer", "淄博农村商业银行"),
    ("zb_manager", "bank_manager", "淄博农村商业银行"),
    ("guarantor", "guarantor", "山东省农业发展信贷担保有限责任公司"),
    ("fund", "fund_manager", "济南市财政局（风险补偿基金）"),
]


def seed() -> list[str]:
    said = []
    ids = {}
    for spec in INSTITUTIONS:
        inst = db.session.execute(select(Institution).where(Institution.name == spec["name"])).scalar_one_or_none()
        if inst is None:
            inst = service.create_institution("seed-demo", spec)
            said.append(f"institution {inst.name}")
        ids[spec["name"]] = inst.id
    for username, role, inst_name in USERS:
        if db.session.execute(select(User.id).where(User.username == username)).first() is None:
            service.create_user("seed-demo", {"username": username, "password": DEMO_PASSWORD, "role": role,
                                              "institution_id": ids[inst_name]})
            said.append(f"user {username} ({role})")
    said.append(f"demo data in place; every demo user's password is {DEMO_PASSWORD}")
    return said
