"""Demo data for `finplat seed-demo`: institutions of every kind, a user of every role, and a Jinan (3701)
and a Zibo (3703) village with households, a collective with its share register, rights of every kind and
farmer users. Everything goes through the same schemas and services as the API. Safe to run twice: what
exists is left as it is. Names, numbers and certificates are made up; the ID numbers carry valid check
characters for real division codes."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from finplat.auth import service
from finplat.registry import party_service, right_service, share_service
from finplat.registry.identity import id_check_char, uscc_check_char
from finplat.registry.party_schemas import PartyIn
from finplat.registry.right_schemas import ConsentIn, RightIn
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
    said = _institutions_and_users()
    said += _villages()
    said += _valuations()
    said += _programs()
    said += _products()
    said += _loans()
    said.append(f"demo data in place; every demo user's password is {DEMO_PASSWORD}")
    return said


def _institutions_and_users() -> list[str]:
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
    return said


def _id(region: str, born: str, seq: int) -> str:
    body = f"{region}{born}{seq:03d}"
    return body + id_check_char(body)


def _uscc(region: str, org: str) -> str:
    body = f"N2{region}{org}"
    return body + uscc_check_char(body)


def _valuations() -> list[str]:
    """The sample reference data, each demo collective's net assets, and a certified valuation of the Jinan
    village's land management right (its inputs derived from the reference data)."""
    from finplat.registry.models import Right
    from finplat.valuation import reference, reference_loader
    from finplat.valuation import service as valuations
    loaded = reference_loader.load_dir("seed-demo", reference.SAMPLE_DIR)
    said = [f"reference data: {sum(s.loaded for s in loaded.values())} figure(s) loaded"]
    reference_loader.load("seed-demo", "collective_net_assets", [
        {"collective_uscc": _uscc(region, org), "net_assets": net_assets, "effective_date": "2026-01-01",
         "source": "示例：村集体 2025 年度财务报表"}
        for (region, _, _, org, _), net_assets in zip(VILLAGES, ("3600000.00", "2400000.00"))])
    appraiser = db.session.execute(select(User).where(User.username == "appraiser")).scalar_one()
    land = db.session.execute(select(Right).where(Right.certificate_no == "370112宅科村-land_management-001")
                              ).scalar_one()
    if valuations.current_certified(right_id=land.id) is None:
        draft = valuations.request_valuation(appraiser, {"right_id": land.id, "method": "income_capitalisation",
                                                         "note": "示例评估：投入项取自参考数据"})
        said.append(f"valuation of {land.certificate_no}: {draft.value} yuan, certified")
        valuations.certify(appraiser, draft.id)
    db.session.commit()  # end the last read's transaction too
    return said


# The demo's risk-sharing programs (DESIGN.md §3.5): "4321" (guarantor, provincial re-guarantor, bank, the
# local government's compensation fund) and a fund-only program after Weifang's (the fund pays 20 % of the
# net loss, the bank bears 80 %).
PROGRAMS = [
    ("4321 政银担风险分担", {"guarantor": "0.40", "reguarantor": "0.30", "bank": "0.20", "fund": "0.10"}),
    ("风险补偿基金分担（基金 20%、银行 80%）", {"guarantor": "0", "reguarantor": "0", "bank": "0.80", "fund": "0.20"}),
]


def _programs() -> list[str]:
    from finplat.risk import program_service
    from finplat.risk.models import RiskProgram
    from finplat.risk.program_schemas import ProgramIn
    said = []
    for name, shares in PROGRAMS:
        if db.session.execute(select(RiskProgram.id).where(RiskProgram.name == name)).first() is None:
            program_service.create_program("seed-demo", ProgramIn().load({"name": name, "shares": shares}))
            said.append(f"risk-sharing program {name}")
    db.session.commit()
    return said


def _loans() -> list[str]:
    """A disbursed land-mortgage loan of the Jinan farmer 13700000001's household on its valued land right,
    through the services (application, approval by the other banker, contracts with the lien, disbursement),
    so that the farmer's page and the bank's pages have a loan to show."""
    from decimal import ROUND_DOWN

    from finplat.loans import application_service, origination_service
    from finplat.loans.loan_schemas import LoanIn
    from finplat.loans.models import Loan, Product
    from finplat.registry.models import Right
    from finplat.valuation import service as valuations
    land = db.session.execute(select(Right).where(Right.certificate_no == "370112宅科村-land_management-001")
                              ).scalar_one()
    if db.session.execute(select(Loan.id).where(Loan.borrower_id == land.holder_id)).first():
        db.session.commit()
        return []
    officer, manager = (db.session.execute(select(User).where(User.username == name)).scalar_one()
                        for name in ("officer", "manager"))
    product = db.session.execute(select(Product).where(Product.code == "LAND-MORTGAGE")).scalar_one()
    value = valuations.current_certified(right_id=land.id).value
    # half the value in whole ten thousands, well within the 70 % cap
    amount = (value / 20000).to_integral_value(ROUND_DOWN) * 10000
    loan = application_service.create_application(officer, LoanIn().load({
        "product_id": product.id, "borrower_id": land.holder_id, "amount": f"{amount}.00", "term_months": 36,
        "repayment_method": "equal_instalment", "purpose": "春耕农资及小麦种植", "collateral": [{"right_id": land.id}]}))
    loan_id, certificate = loan.id, land.certificate_no
    application_service.submit(officer, loan_id)
    application_service.approve(manager, loan_id)
    origination_service.sign_contracts(officer, loan_id)
    origination_service.disburse(manager, loan_id)
    return [f"loan {loan_id}: {amount} yuan to {certificate}'s holder, contracted and disbursed"]


# The products of API.md "Loans": (code, name, collateral kind, LTV cap, min and max amount, min and max months).
# Each allows every repayment method, requires no guarantee and is in no risk-sharing program.
PRODUCTS = [
    ("LAND-MORTGAGE", "土地经营权抵押贷款", "land_management", "0.70", "10000.00", "3000000.00", 6, 60),
    ("EQUITY-PLEDGE", "集体资产股权质押贷款", "collective_shares", "0.50", "10000.00", "500000.00", 6, 36),
    ("HOUSE-MORTGAGE", "农民住房财产权抵押贷款", "house", "0.60", "10000.00", "1000000.00", 6, 120),
    ("CONSTRUCTION-LAND-MORTGAGE", "集体经营性建设用地使用权抵押贷款", "construction_land", "0.70", "100000.00",
     "20000000.00", 12, 120),
    ("FOREST-MORTGAGE", "林权抵押贷款", "forest", "0.50", "10000.00", "2000000.00", 6, 60),
]
DEMO_SPREAD_BPS = 50  # LPR + 0.50 %: an illustrative spread


def _products() -> list[str]:
    """The shipped LPR history and the five demo products (created through ProductIn and the service)."""
    from finplat.loans import lpr, product_service
    from finplat.loans.models import REPAYMENT_METHODS
    from finplat.loans.product_schemas import ProductIn
    loaded = lpr.load_csv("seed-demo")
    said = [f"LPR: {loaded.loaded} announcement(s) loaded"] if loaded.loaded else []
    for code, name, kind, cap, low, high, shortest, longest in PRODUCTS:
        if product_service.product_by_code(code) is None:
            product_service.create_product("seed-demo", ProductIn().load({
                "code": code, "name": name, "collateral_kinds": [kind], "ltv_caps": {kind: cap},
                "min_amount": low, "max_amount": high, "min_term_months": shortest, "max_term_months": longest,
                "spread_bps": DEMO_SPREAD_BPS, "repayment_methods": list(REPAYMENT_METHODS),
                "penalty_factor": "1.50", "guarantee_required": False, "program_id": None}))
            said.append(f"product {code}")
    db.session.commit()  # end the last read's transaction too
    return said


# (region, township, village, collective org code, households: (name, birth date, sequence, farmer phone))
VILLAGES = [
    ("370112", "唐王街道", "宅科村", "MA3C1A7X1",
     [("张建国", "19680312", 13, "13700000001"), ("李秀英", "19720825", 24, "13700000002"),
      ("王德福", "19610103", 35, None)]),
    ("370303", "南定镇", "东坡村", "MA3D2B8Y2",
     [("孙丽华", "19750619", 46, "13700000003"), ("赵志强", "19800902", 57, None)]),
]


def _villages() -> list[str]:
    from finplat.registry.models import Party
    said, registrar = [], "seed-demo"
    for region, township, village, org, households in VILLAGES:
        uscc = _uscc(region, org)
        collective = db.session.execute(select(Party).where(Party.uscc == uscc)).scalar_one_or_none()
        if collective is not None:
            continue
        collective = party_service.create_party(registrar, PartyIn().load({
            "kind": "collective", "name": f"{village}股份经济合作社", "region_code": region, "township": township,
            "village": village, "uscc": uscc, "legal_representative": households[0][0]}))
        homes = []
        for name, born, seq, phone in households:
            homes.append(party_service.create_party(registrar, PartyIn().load({
                "kind": "household", "name": name, "region_code": region, "township": township, "village": village,
                "id_number": _id(region, born, seq), "collective_id": collective.id,
                "members": [{"name": name[0] + "小明", "id_number": _id(region, "20050101", seq + 1),
                             "relation": "子女"}]})))
            if phone:
                service.create_user(registrar, {"username": phone, "password": DEMO_PASSWORD, "role": "farmer",
                                                "party_id": homes[-1].id})
        share_service.put_register(registrar, collective.id, {"total_shares": 1000, "allocations": [
            {"member_id": h.id, "shares": 1000 // len(homes)} for h in homes]})
        _rights(region, village, collective, homes, registrar)
        said.append(f"village {village} ({region}): collective, {len(homes)} households, share register, rights")
    return said


def _rights(region, village, collective, homes, registrar):
    cert = f"{region}{village}"
    specs = [
        ("land_management", homes[0], {"area": "12.50", "area_unit": "mu", "term_start": "2018-01-01",
                                       "term_end": "2047-12-31", "attributes": {"land_class": "cropland",
                                                                                 "crop": "wheat"}},
         [("collective_filing", collective, "备案")]),
        ("house", homes[1], {"area": "160.00", "area_unit": "m2", "attributes": {
            "structure": "brick_concrete", "floor_area": "160.00", "year_built": 2012, "homestead_area": "200.00"}},
         [("collective_consent", collective, "集体同意书"), ("other_residence", collective, "其他稳定居所证明")]
         + [("co_owner", homes[1], "共有人同意书", member) for member in homes[1].members]),
        ("construction_land", collective, {"area": "5000.00", "area_unit": "m2", "term_start": "2026-01-01",
                                           "term_end": "2075-12-31", "attributes": {"use": "industrial",
                                                                                     "grade": "2"}},
         [("villagers_meeting", collective, "村民会议决议")]),
        ("forest", homes[-1], {"area": "30.00", "area_unit": "mu", "term_start": "2010-01-01",
                               "term_end": "2059-12-31", "attributes": {
                                   "species": "杨树", "stand_age": 8, "fire_insurance_policy": "PICC-FIRE-2026-001",
                                   "fire_insurance_until": "2031-12-31"}}, []),
        ("water_facility", collective, {"area": "800.00", "area_unit": "m2", "attributes": {
            "capacity": "20000.00", "build_cost": "350000.00", "year_built": 2015}}, []),
    ]
    for n, (kind, holder, fields, consents) in enumerate(specs, start=1):
        right = right_service.register_right(registrar, RightIn().load({
            "kind": kind, "certificate_no": f"{cert}-{kind}-{n:03d}", "holder_id": holder.id,
            "region_code": region, **fields}))
        for consent_kind, party, doc, *member in consents:
            right_service.record_consent(registrar, right.id, ConsentIn().load({
                "kind": consent_kind, "party_id": party.id, "document_ref": f"{doc}-{right.id}",
                "signed_on": "2026-01-15", **({"member_id": member[0].id} if member else {})}))
