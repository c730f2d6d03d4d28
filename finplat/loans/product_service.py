"""Loan products (DESIGN.md §3.4): creating one, finding one, and what a product says about a loan: whether
its amount, term and repayment method fit, and its rate on a day.

Pricing: a loan's annual rate is the LPR of its own term's tenor in force on the pricing day, plus the
product's spread (`spread_bps` / 10,000). The tenor follows the loan's term, not the product: a loan of up
to 60 months prices from the 1-year LPR and a longer one from the 5-year LPR, as DESIGN.md says and as
Chinese banks price, so that a 12-month loan under a 6-120 month product is not priced from the 5-year
rate. A product's `lpr_tenor` is the tenor of its longest loans (1y when max_term_months <= 60, 5y above):
it is derived from max_term_months, and a client that gives it must give that value.

Products are platform-wide: every logged-in user may read them (the scoping rule below), only admins write
them (the routes). Codes are unique, compared after upper-casing.
"""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finplat import audit
from finplat.auth.permissions import get_visible, scope_rule, visible
from finplat.errors import Conflict, RuleViolation, field_error, invalid_fields
from finplat.extensions import db
from finplat.loans import lpr
from finplat.loans.models import (DEFAULT_LTV_CAPS, MAX_TERM_MONTHS, LprRate, Product, ProductCollateral,
                                  ProductRepaymentMethod)
from finplat.money import FEN
from finplat.risk.models import RiskProgram

BPS = Decimal(10_000)


@scope_rule(Product)
def _products(stmt, actor):
    return stmt  # platform-wide: every logged-in user reads every product


def product_snapshot(product: Product) -> dict:
    """What the audit record keeps of a product."""
    return {"code": product.code, "name": product.name, "collateral_kinds": product.collateral_kinds,
            "ltv_caps": product.ltv_caps, "min_amount": product.min_amount, "max_amount": product.max_amount,
            "min_term_months": product.min_term_months, "max_term_months": product.max_term_months,
            "lpr_tenor": product.lpr_tenor, "spread_bps": product.spread_bps,
            "repayment_methods": product.repayment_methods, "penalty_factor": product.penalty_factor,
            "guarantee_required": product.guarantee_required, "program_id": product.program_id}


def _rule_errors(data: dict) -> dict:
    """{field: [message]} for every rule between the values of a new product that its schema let through."""
    errors = {}
    kinds = data["collateral_kinds"]
    for kind in data.get("ltv_caps") or {}:
        if kind not in kinds:
            errors.setdefault(f"ltv_caps.{kind}", []).append("a cap for a kind the product does not accept")
    if data["min_amount"] > data["max_amount"]:
        errors.setdefault("max_amount", []).append("must not be less than min_amount")
    if data["min_term_months"] > data["max_term_months"]:
        errors.setdefault("max_term_months", []).append("must not be less than min_term_months")
    tenor = lpr.tenor_for(data["max_term_months"])
    if data.get("lpr_tenor") not in (None, tenor):
        errors.setdefault("lpr_tenor", []).append(
            f"must be {tenor} for a longest term of {data['max_term_months']} months "
            f"(1y up to 60 months, 5y above)")
    return errors


def _taken() -> Conflict:
    return field_error("code", "a product with that code exists", Conflict, code="duplicate")


def create_product(actor, data: dict) -> Product:
    """A new product from ProductIn's data: every rule checked (422 naming each field at fault, 409 for a
    code in use), caps defaulted per kind, one audit record, committed."""
    errors = _rule_errors(data)
    if errors:
        raise invalid_fields(errors)
    code = data["code"]
    if db.session.execute(select(Product.id).where(Product.code == code)).first() is not None:
        raise _taken()
    if data.get("program_id") and db.session.get(RiskProgram, data["program_id"]) is None:
        raise field_error("program_id", "no such risk-sharing program")
    caps = {kind: data.get("ltv_caps", {}).get(kind, DEFAULT_LTV_CAPS[kind]) for kind in data["collateral_kinds"]}
    product = Product(
        code=code, name=data["name"], min_amount=data["min_amount"], max_amount=data["max_amount"],
        min_term_months=data["min_term_months"], max_term_months=data["max_term_months"],
        lpr_tenor=lpr.tenor_for(data["max_term_months"]), spread_bps=data["spread_bps"],
        penalty_factor=data["penalty_factor"], guarantee_required=bool(data.get("guarantee_required")),
        program_id=data.get("program_id"),
        collateral=[ProductCollateral(kind=k, ltv_cap=cap) for k, cap in caps.items()],
        methods=[ProductRepaymentMethod(method=m) for m in data["repayment_methods"]])
    db.session.add(product)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent request took the code between the check and the insert
        db.session.rollback()
        if db.session.execute(select(Product.id).where(Product.code == code)).first() is not None:
            raise _taken() from None
        raise
    audit.record(actor, "product.create", "product", product.id, after=product_snapshot(product))
    db.session.commit()
    return product


def get_product(product_id: int, actor="system") -> Product:
    """The product, or NotFound (every logged-in user sees every product; `actor` keeps the scoping call)."""
    return get_visible(Product, product_id, actor)


def product_by_code(code: str) -> Product | None:
    return db.session.execute(select(Product).where(Product.code == code.strip().upper())).scalar_one_or_none()


def products(actor="system", collateral_kind: str | None = None):
    """A SELECT of the products `actor` sees (all of them), those accepting `collateral_kind` when given, by code."""
    stmt = visible(Product, actor)
    if collateral_kind:
        stmt = stmt.where(Product.id.in_(select(ProductCollateral.product_id)
                                         .where(ProductCollateral.kind == collateral_kind)))
    return stmt.order_by(Product.code)


# --- what a product says about a loan

def loan_errors(product: Product, amount: Decimal | None = None, term_months: int | None = None,
                repayment_method: str | None = None, collateral_kinds=()) -> dict:
    """{field: [message]} for the loan terms that the product does not allow (empty when all fit); terms
    given as None are not checked. For the applications' service to raise as one 422."""
    errors = {}
    if amount is not None and not product.min_amount <= amount <= product.max_amount:
        errors["amount"] = [f"must be from {product.min_amount} to {product.max_amount} under product {product.code}"]
    if term_months is not None and not product.min_term_months <= term_months <= product.max_term_months:
        errors["term_months"] = [f"must be from {product.min_term_months} to {product.max_term_months} months "
                                 f"under product {product.code}"]
    if repayment_method is not None and repayment_method not in product.repayment_methods:
        errors["repayment_method"] = [f"product {product.code} allows {', '.join(product.repayment_methods)}"]
    refused = sorted({k for k in collateral_kinds if k not in product.collateral_kinds})
    if refused:
        errors["collateral"] = [f"product {product.code} does not accept {', '.join(refused)}; it accepts "
                                f"{', '.join(product.collateral_kinds)}"]
    return errors


@dataclass(frozen=True)
class Pricing:
    """A loan's rate: the LPR announcement it stands on, the spread and their sum (a decimal, 0.0350 is
    3.50 %). `penalty_rate` is annual_rate x the product's penalty factor, unrounded."""
    tenor: str
    lpr: LprRate
    spread_bps: int
    annual_rate: Decimal
    penalty_rate: Decimal


def pricing(product: Product, term_months: int, day: date) -> Pricing:
    """The rate of a loan of `term_months` under `product` priced on `day`. RuleViolation naming
    `term_months` when the product does not offer that term, and when no LPR of its tenor is in force on
    `day` (load the LPR table first: `finplat lpr load`)."""
    if not isinstance(term_months, int) or not 1 <= term_months <= MAX_TERM_MONTHS or \
            not product.min_term_months <= term_months <= product.max_term_months:
        raise field_error("term_months", f"must be from {product.min_term_months} to {product.max_term_months} "
                                         f"months under product {product.code}")
    tenor = lpr.tenor_for(term_months)
    announced = lpr.rate(tenor, day)
    if announced is None:
        raise RuleViolation(f"no {tenor} LPR is in force on {day}: load the LPR table",
                            fields={"term_months": [f"no {tenor} LPR is in force on {day}"]})
    annual = announced.rate + Decimal(product.spread_bps) / BPS
    if annual <= 0:
        raise field_error("term_months", f"LPR {announced.rate} with a spread of {product.spread_bps} bp "
                                         f"gives no positive rate")
    return Pricing(tenor, announced, product.spread_bps, annual, annual * product.penalty_factor)


def max_secured(product: Product, kind: str, certified_value: Decimal) -> Decimal:
    """The most a collateral of `kind` worth `certified_value` may secure under the product: value x the
    kind's LTV cap, rounded down to the fen, so that the limit never passes the cap (what origination passes
    the registry's lien service)."""
    caps = product.ltv_caps
    if kind not in caps:
        raise field_error("collateral", f"product {product.code} does not accept {kind}")
    return (certified_value * caps[kind]).quantize(FEN, rounding=ROUND_DOWN)
