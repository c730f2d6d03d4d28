"""Loan products: every rule of POST /products with a 422 naming the field, 409 for a code in use, 403 for
every other role before the body is read, the rows and the audit record a product leaves, reads for every
logged-in user, what a product says about a loan (its terms and its rate from the LPR of the loan's own
tenor), the database's own checks, seed-demo's five products, and the admin's page."""
import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from finplat.audit import AuditRecord
from finplat.errors import Conflict, RuleViolation
from finplat.loans import lpr, product_service
from finplat.loans.models import REPAYMENT_METHODS, Product, ProductCollateral, ProductRepaymentMethod
from finplat.loans.product_schemas import ProductIn
from tests.web.pages import location, page, post_form

API = "/api/v1"
VALID = {
    "code": "LAND-MORTGAGE", "name": "土地经营权抵押贷款", "collateral_kinds": ["land_management"],
    "ltv_caps": {"land_management": "0.70"}, "min_amount": "10000.00", "max_amount": "3000000.00",
    "min_term_months": 6, "max_term_months": 60, "spread_bps": 50, "repayment_methods": list(REPAYMENT_METHODS),
    "penalty_factor": "1.50", "guarantee_required": False, "program_id": None,
}
OTHER_ROLES = ("loan_officer", "bank_manager", "registrar", "appraiser", "guarantor", "fund_manager", "farmer")


def count(db, model=Product, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def body(**changes) -> dict:
    data = {**VALID, **changes}
    return {k: v for k, v in data.items() if v is not ...}


@pytest.fixture
def header(make_user, auth_header, make_party):
    def make(role):
        extra = {"party_id": make_party().id, "username": "13700000066"} if role == "farmer" else {}
        return auth_header(make_user(role, **extra))
    return make


@pytest.fixture
def h(header):
    return header("admin")


# --- creating

def test_an_admin_creates_a_product(client, db, admin, auth_header):
    resp = client.post(f"{API}/products", headers=auth_header(admin), json=VALID)
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert isinstance(got.pop("id"), int) and got.pop("created_at")
    assert got == {**VALID, "lpr_tenor": "1y"}

    product = db.session.execute(select(Product)).scalar_one()
    assert (product.code, product.min_amount, product.max_amount, product.lpr_tenor, product.spread_bps,
            product.penalty_factor, product.guarantee_required, product.program_id) == (
        "LAND-MORTGAGE", Decimal("10000.00"), Decimal("3000000.00"), "1y", 50, Decimal("1.5"), False, None)
    assert db.session.execute(select(ProductCollateral.kind, ProductCollateral.ltv_cap)).all() == [
        ("land_management", Decimal("0.7"))]
    assert set(db.session.execute(select(ProductRepaymentMethod.method)).scalars()) == set(REPAYMENT_METHODS)

    record = db.session.execute(select(AuditRecord).where(AuditRecord.action == "product.create")).scalar_one()
    assert (record.actor, record.object_type, record.object_id) == (f"admin:{admin.username}", "product",
                                                                    str(product.id))
    after = json.loads(record.after)
    assert after["code"] == "LAND-MORTGAGE" and after["ltv_caps"] == {"land_management": "0.70"}
    assert after["repayment_methods"] == list(REPAYMENT_METHODS) and after["spread_bps"] == 50


def test_caps_left_out_take_the_defaults_and_lists_come_back_in_their_order(client, h):
    resp = client.post(f"{API}/products", headers=h, json=body(code="P0", program_id=7))
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"] == {
        "program_id": ["no such risk-sharing program"]}
    program = client.post(f"{API}/risk-programs", headers=h, json={"name": "4321", "shares": {
        "guarantor": "0.40", "reguarantor": "0.30", "bank": "0.20", "fund": "0.10"}}).get_json()["id"]
    resp = client.post(f"{API}/products", headers=h, json=body(
        code="any-collateral", collateral_kinds=["collective_shares", "house", "forest", "land_management",
                                                 "water_facility", "construction_land"],
        ltv_caps={"house": "0.55"}, repayment_methods=["lump_sum", "equal_principal"], program_id=program,
        guarantee_required=True))
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["code"] == "ANY-COLLATERAL"  # upper-cased
    assert got["ltv_caps"] == {"land_management": "0.70", "house": "0.55", "construction_land": "0.70",
                               "forest": "0.50", "water_facility": "0.50", "collective_shares": "0.50"}
    assert got["collateral_kinds"] == list(got["ltv_caps"])
    assert got["repayment_methods"] == ["equal_principal", "lump_sum"]
    assert (got["program_id"], got["guarantee_required"]) == (program, True)


@pytest.mark.parametrize("longest, tenor", [(12, "1y"), (60, "1y"), (61, "5y"), (120, "5y"), (360, "5y")])
def test_the_products_tenor_follows_its_longest_term(client, h, longest, tenor):
    resp = client.post(f"{API}/products", headers=h, json=body(max_term_months=longest))
    assert resp.status_code == 201 and resp.get_json()["lpr_tenor"] == tenor
    given = client.post(f"{API}/products", headers=h, json=body(code="P2", max_term_months=longest, lpr_tenor=tenor))
    assert given.status_code == 201, given.get_json()


@pytest.mark.parametrize("changes, field", [
    ({"code": ...}, "code"),
    ({"code": "LAND MORTGAGE"}, "code"),
    ({"code": "土地抵押"}, "code"),
    ({"code": "-LEADING"}, "code"),
    ({"code": "X" * 41}, "code"),
    ({"name": " "}, "name"),
    ({"name": ...}, "name"),
    ({"collateral_kinds": []}, "collateral_kinds"),
    ({"collateral_kinds": ["gold"]}, "collateral_kinds"),
    ({"collateral_kinds": ["house", "house"]}, "collateral_kinds"),
    ({"collateral_kinds": "house"}, "collateral_kinds"),
    ({"collateral_kinds": ...}, "collateral_kinds"),
    ({"ltv_caps": {"land_management": "0"}}, "ltv_caps"),
    ({"ltv_caps": {"land_management": "0.00"}}, "ltv_caps"),
    ({"ltv_caps": {"land_management": "1.01"}}, "ltv_caps"),
    ({"ltv_caps": {"land_management": "0.705"}}, "ltv_caps"),
    ({"ltv_caps": {"land_management": "-0.5"}}, "ltv_caps"),
    ({"ltv_caps": {"gold": "0.5"}}, "ltv_caps"),
    ({"ltv_caps": {"house": "0.50"}}, "ltv_caps.house"),  # a cap for a kind the product does not accept
    ({"min_amount": "0"}, "min_amount"),
    ({"min_amount": "0.001"}, "min_amount"),
    ({"min_amount": "-100.00"}, "min_amount"),
    ({"max_amount": "1e30"}, "max_amount"),
    ({"min_amount": "3000000.01"}, "max_amount"),  # min above max
    ({"min_term_months": 0}, "min_term_months"),
    ({"min_term_months": "6"}, "min_term_months"),  # a string is not an integer
    ({"min_term_months": 6.5}, "min_term_months"),
    ({"max_term_months": 361}, "max_term_months"),
    ({"min_term_months": 61}, "max_term_months"),  # min above max
    ({"lpr_tenor": "5y"}, "lpr_tenor"),  # a longest term of 60 months prices from 1y
    ({"lpr_tenor": "10y"}, "lpr_tenor"),
    ({"max_term_months": 120, "lpr_tenor": "1y"}, "lpr_tenor"),
    ({"spread_bps": -101}, "spread_bps"),
    ({"spread_bps": 1001}, "spread_bps"),
    ({"spread_bps": 50.5}, "spread_bps"),
    ({"spread_bps": ...}, "spread_bps"),
    ({"repayment_methods": []}, "repayment_methods"),
    ({"repayment_methods": ["balloon"]}, "repayment_methods"),
    ({"repayment_methods": ["lump_sum", "lump_sum"]}, "repayment_methods"),
    ({"penalty_factor": "1.29"}, "penalty_factor"),
    ({"penalty_factor": "1.51"}, "penalty_factor"),
    ({"penalty_factor": "1.305"}, "penalty_factor"),
    ({"penalty_factor": ...}, "penalty_factor"),
    ({"guarantee_required": "perhaps"}, "guarantee_required"),
    ({"program_id": 0}, "program_id"),
    ({"program_id": "1"}, "program_id"),
    ({"colour": "green"}, "colour"),
])
def test_each_rule_is_a_422_naming_the_field_and_nothing_is_written(client, db, h, changes, field):
    audits = count(db, AuditRecord)
    resp = client.post(f"{API}/products", headers=h, json=body(**changes))
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] in ("validation_failed", "rule_violation")
    assert field in error["fields"], error
    assert count(db) == 0 and count(db, AuditRecord) == audits


def test_the_rules_between_fields_are_named_together(client, h):
    resp = client.post(f"{API}/products", headers=h, json=body(
        min_amount="5000000.00", min_term_months=100, max_term_months=90, lpr_tenor="1y",
        ltv_caps={"forest": "0.40"}))
    error = resp.get_json()["error"]
    assert resp.status_code == 422 and error["code"] == "rule_violation"
    assert error["fields"] == {
        "ltv_caps.forest": ["a cap for a kind the product does not accept"],
        "max_amount": ["must not be less than min_amount"],
        "max_term_months": ["must not be less than min_term_months"],
        "lpr_tenor": ["must be 5y for a longest term of 90 months (1y up to 60 months, 5y above)"]}


def test_a_code_in_use_is_a_409(client, db, h):
    assert client.post(f"{API}/products", headers=h, json=VALID).status_code == 201
    for code in ("LAND-MORTGAGE", " land-mortgage "):
        resp = client.post(f"{API}/products", headers=h, json=body(code=code, name="另一个名称"))
        assert resp.status_code == 409
        assert resp.get_json()["error"]["code"] == "duplicate"
        assert resp.get_json()["error"]["fields"] == {"code": ["a product with that code exists"]}
    assert count(db) == 1
    # Names need not be unique.
    assert client.post(f"{API}/products", headers=h, json=body(code="LAND-2")).status_code == 201


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_an_admin_creates_and_the_role_is_checked_before_the_body(client, db, header, role):
    resp = client.post(f"{API}/products", headers=header(role), json={"code": 5, "spread_bps": "lots"})
    assert resp.status_code == 403, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "forbidden" and error["fields"] == {} and role in error["message"]
    assert count(db) == 0


def test_no_token_is_a_401(client, db):
    assert client.post(f"{API}/products", json=VALID).status_code == 401
    assert client.get(f"{API}/products").status_code == 401


# --- reading

@pytest.fixture
def two(db):
    land = product_service.create_product("test", ProductIn().load(VALID))
    house = product_service.create_product("test", ProductIn().load(body(
        code="HOUSE-MORTGAGE", name="农民住房财产权抵押贷款", collateral_kinds=["house"], ltv_caps={},
        max_amount="1000000.00", max_term_months=120)))
    return land, house


@pytest.mark.parametrize("role", [*OTHER_ROLES, "admin"])
def test_every_logged_in_user_reads_the_products(client, two, header, role):
    h = header(role)
    listing = client.get(f"{API}/products?per_page=1", headers=h).get_json()
    assert (listing["total"], listing["page"], listing["per_page"]) == (2, 1, 1)
    assert [p["code"] for p in listing["items"]] == ["HOUSE-MORTGAGE"]  # by code
    second = client.get(f"{API}/products?per_page=1&page=2", headers=h).get_json()
    assert [p["code"] for p in second["items"]] == ["LAND-MORTGAGE"]
    land, house = two
    one = client.get(f"{API}/products/{house.id}", headers=h).get_json()
    assert (one["ltv_caps"], one["lpr_tenor"], one["max_term_months"]) == ({"house": "0.60"}, "5y", 120)
    filtered = client.get(f"{API}/products?collateral_kind=land_management", headers=h).get_json()
    assert [p["id"] for p in filtered["items"]] == [land.id]


def test_an_unknown_product_is_a_404(client, h):
    for product_id in (999999, 2**31, 0):
        resp = client.get(f"{API}/products/{product_id}", headers=h)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert client.get(f"{API}/products?collateral_kind=gold", headers=h).status_code == 422


# --- what a product says about a loan

def test_loan_terms_outside_the_product_are_named(two):
    land, _ = two
    assert product_service.loan_errors(land, Decimal("10000.00"), 60, "lump_sum", ["land_management"]) == {}
    assert product_service.loan_errors(land, Decimal("9999.99"), 61, "balloon", ["house", "land_management"]) == {
        "amount": ["must be from 10000.00 to 3000000.00 under product LAND-MORTGAGE"],
        "term_months": ["must be from 6 to 60 months under product LAND-MORTGAGE"],
        "repayment_method": ["product LAND-MORTGAGE allows equal_instalment, equal_principal, "
                             "monthly_interest_bullet, quarterly_interest_bullet, lump_sum"],
        "collateral": ["product LAND-MORTGAGE does not accept house; it accepts land_management"]}


def test_a_loan_prices_from_the_lpr_of_its_own_term(db, two):
    _, house = two  # 6 to 120 months, LPR + 50 bp, penalty factor 1.5
    lpr.load_csv("test")
    short = product_service.pricing(house, 12, date(2024, 10, 21))
    assert (short.tenor, short.lpr.rate, short.annual_rate) == ("1y", Decimal("0.0310"), Decimal("0.0360"))
    assert short.penalty_rate == Decimal("0.0540")
    at_five_years = product_service.pricing(house, 60, date(2024, 10, 20))
    assert (at_five_years.tenor, at_five_years.annual_rate) == ("1y", Decimal("0.0385"))
    long = product_service.pricing(house, 61, date(2025, 5, 20))
    assert (long.tenor, long.lpr.effective_date, long.annual_rate) == ("5y", date(2025, 5, 20), Decimal("0.0400"))
    with pytest.raises(RuleViolation) as outside:
        product_service.pricing(house, 121, date(2025, 5, 20))
    assert outside.value.fields == {"term_months": ["must be from 6 to 120 months under product HOUSE-MORTGAGE"]}
    with pytest.raises(RuleViolation) as too_early:
        product_service.pricing(house, 12, date(2019, 8, 19))
    assert too_early.value.message == "no 1y LPR is in force on 2019-08-19: load the LPR table"


def test_the_most_a_collateral_secures_is_rounded_down_to_the_fen(two):
    land, _ = two
    assert product_service.max_secured(land, "land_management", Decimal("1000000.00")) == Decimal("700000.00")
    assert product_service.max_secured(land, "land_management", Decimal("0.07")) == Decimal("0.04")  # 0.049
    with pytest.raises(RuleViolation):
        product_service.max_secured(land, "house", Decimal("1000000.00"))


# --- the database's own checks

@pytest.mark.parametrize("changes", [
    {"lpr_tenor": "5y"},  # max_term_months 60 prices from 1y
    {"min_amount": Decimal("0")},
    {"min_term_months": 61},
    {"spread_bps": 1001},
    {"penalty_factor": Decimal("1.6")},
])
def test_the_database_refuses_a_product_that_breaks_a_rule(db, changes):
    columns = {"code": "RAW", "name": "raw", "min_amount": Decimal("1"), "max_amount": Decimal("2"),
               "min_term_months": 6, "max_term_months": 60, "lpr_tenor": "1y", "spread_bps": 0,
               "penalty_factor": Decimal("1.5"), **changes}
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Product(**columns))
            db.session.flush()


def test_the_database_refuses_an_unknown_kind_a_cap_above_one_and_an_unknown_method(db, two):
    land, _ = two
    for row in (ProductCollateral(product_id=land.id, kind="gold", ltv_cap=Decimal("0.5")),
                ProductCollateral(product_id=land.id, kind="house", ltv_cap=Decimal("1.01")),
                ProductRepaymentMethod(product_id=land.id, method="balloon")):
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()


@pytest.mark.postgres
def test_concurrent_creates_of_one_code_give_one_product_and_one_409(app, committed_db):
    data = ProductIn().load(VALID)
    barrier = threading.Barrier(4)
    outcomes = []

    def create():
        with app.app_context():
            barrier.wait()
            try:
                product_service.create_product("test", dict(data))
                outcomes.append("created")
            except Conflict as exc:
                outcomes.append(exc.fields)
            finally:
                committed_db.session.remove()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(["created"] + [str({"code": ["a product with that code exists"]})] * 3)
    with app.app_context():
        assert committed_db.session.execute(select(func.count()).select_from(Product)).scalar_one() == 1


# --- seed-demo

def test_seed_demo_creates_the_five_products_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "LPR: 30 announcement(s) loaded" in first.output and "product FOREST-MORTGAGE" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "product " not in second.output and "LPR:" not in second.output
    products = db.session.execute(select(Product).order_by(Product.code)).scalars().all()
    got = {p.code: (p.collateral_kinds, p.ltv_caps, p.min_amount, p.max_amount, p.min_term_months, p.max_term_months)
           for p in products}
    assert got == {
        "LAND-MORTGAGE": (["land_management"], {"land_management": Decimal("0.70")}, Decimal("10000.00"),
                          Decimal("3000000.00"), 6, 60),
        "EQUITY-PLEDGE": (["collective_shares"], {"collective_shares": Decimal("0.50")}, Decimal("10000.00"),
                          Decimal("500000.00"), 6, 36),
        "HOUSE-MORTGAGE": (["house"], {"house": Decimal("0.60")}, Decimal("10000.00"), Decimal("1000000.00"), 6, 120),
        "CONSTRUCTION-LAND-MORTGAGE": (["construction_land"], {"construction_land": Decimal("0.70")},
                                       Decimal("100000.00"), Decimal("20000000.00"), 12, 120),
        "FOREST-MORTGAGE": (["forest"], {"forest": Decimal("0.50")}, Decimal("10000.00"), Decimal("2000000.00"), 6, 60),
    }
    assert all(p.repayment_methods == list(REPAYMENT_METHODS) and not p.guarantee_required and p.program_id is None
               for p in products)
    assert {p.code: p.lpr_tenor for p in products}["HOUSE-MORTGAGE"] == "5y"
    assert count(db, AuditRecord, AuditRecord.action == "product.create") == 5
    assert count(db, AuditRecord, AuditRecord.action == "lpr.load") == 1
    assert lpr.rate("1y", date(2026, 11, 23)).rate == Decimal("0.0300")
    # Every demo product prices on the open date.
    assert all(product_service.pricing(p, p.max_term_months, date(2026, 11, 23)).annual_rate > 0 for p in products)


# --- the pages

FORM = {
    "code": "forest-plus", "name": "林权抵押贷款（加强版）", "collateral_kinds": ["forest", "land_management"],
    "ltv_forest": "0.45", "min_amount": "10000.00", "max_amount": "2000000.00", "min_term_months": "6",
    "max_term_months": "96", "spread_bps": "-20", "repayment_methods": ["equal_instalment", "lump_sum"],
    "penalty_factor": "1.40", "guarantee_required": "y",
}


@pytest.fixture
def as_admin(client, admin, login):
    login(admin)
    return client


def test_an_admin_creates_a_product_through_the_form(as_admin, db, admin):
    lpr.load_csv("test")
    resp = post_form(as_admin, "/admin/products", FORM)
    assert location(resp) == "/admin/products"
    product = db.session.execute(select(Product).where(Product.code == "FOREST-PLUS")).scalar_one()
    assert (product.ltv_caps, product.lpr_tenor, product.spread_bps, product.penalty_factor,
            product.guarantee_required, product.repayment_methods) == (
        {"land_management": Decimal("0.70"), "forest": Decimal("0.45")}, "5y", -20, Decimal("1.40"), True,
        ["equal_instalment", "lump_sum"])
    assert db.session.execute(select(AuditRecord.actor).where(AuditRecord.action == "product.create")).scalar_one() \
        == f"admin:{admin.username}"

    listing = page(as_admin.get("/admin/products"))
    assert "已创建产品：FOREST-PLUS 林权抵押贷款（加强版）" in listing.find_all(role="status")[0].text
    cells = [td.text for td in listing.by_id[f"product-{product.id}"].find_all("td")]
    assert cells[1] == "土地经营权 70.00%；林权 45.00%"
    assert cells[2] == "10,000.00 至 2,000,000.00" and cells[3] == "6 至 96 个月"
    assert cells[4] == "60 个月及以内：1 年期 LPR − 20 基点（现为 2.80%）；60 个月以上：5 年期以上 LPR − 20 基点（现为 3.30%）"
    assert cells[5] == "等额本息、到期一次还本付息" and cells[6] == "1.40" and cells[7] == "须融资担保"


@pytest.mark.parametrize("changes, field, message", [
    ({"max_amount": "5000.00"}, "max_amount", "不能低于最低金额"),
    ({"max_term_months": "3"}, "max_term_months", "不能短于最短期限"),
    ({"ltv_house": "0.50"}, "ltv_house", "该产品未接受这种抵质押物：请勾选它，或清空此项"),
    ({"ltv_forest": "1.5"}, "ltv_forest", "须大于 0 且不超过 1"),
    ({"spread_bps": "2000"}, "spread_bps", "须在 -100 到 1000 基点之间"),
    ({"penalty_factor": "2"}, "penalty_factor", "须在 1.3 到 1.5 之间"),
    ({"code": "林权"}, "code", "只能用字母、数字、连字符和下划线，如 LAND-MORTGAGE"),
    ({"collateral_kinds": []}, "collateral_kinds", "请至少选择一种抵质押物"),
    ({"repayment_methods": []}, "repayment_methods", "请至少选择一种还款方式"),
])
def test_the_form_says_what_is_wrong_in_chinese(as_admin, db, changes, field, message):
    resp = post_form(as_admin, "/admin/products", {**FORM, **changes})
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.field_errors()[field] == message
    assert count(db) == 0


def test_a_code_in_use_is_refused_on_the_form(as_admin, db):
    assert post_form(as_admin, "/admin/products", FORM).status_code == 302
    resp = post_form(as_admin, "/admin/products", {**FORM, "name": "另一个"})
    assert resp.status_code == 422
    assert page(resp).field_errors()["code"] == "已有该代码的产品"
    assert count(db) == 1


def test_institution_users_read_the_list_and_only_admins_write(client, db, two, make_user, login):
    login(make_user("loan_officer"))
    shown = page(client.get("/products/"))
    assert "共 2 个产品" in shown.text and "new-product" not in shown.by_id
    assert client.get("/admin/products").status_code == 403
    assert post_form(client, "/products/", FORM).status_code == 405
    assert count(db) == 2
