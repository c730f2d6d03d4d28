"""Portfolio risk routes (API.md "Risk"): `GET /risk/portfolio?agency_id=&group_by=` and `GET
/risk/stress?haircut=`, for the agency's guarantors (their own agency) and admins; `GET /risk/alerts` for
guarantors, bank managers and fund managers, each over what they may see."""
from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Blueprint, Id, Money, RateField
from finplat.auth.permissions import current_actor, require
from finplat.risk import alert_service
from finplat.risk import portfolio_service as service

blp = Blueprint("portfolio_api", __name__, description="Risk: portfolio queries for guarantee agencies")


class PortfolioArgs(ApiSchema):
    agency_id = Id(strict=False, metadata={"description": "the caller's own agency by default"})
    group_by = fields.String(load_default="classification", validate=validate.OneOf(service.GROUPS))


class StressArgs(ApiSchema):
    agency_id = Id(strict=False)
    haircut = RateField(required=True, metadata={"description": "cut of collateral values, 0 to 1"})


class Figures(Schema):
    loan_count = fields.Integer()
    principal_outstanding = Money()
    guaranteed_balance = Money(metadata={"description": "principal outstanding x coverage"})
    npl_principal = Money(metadata={"description": "of loans substandard or worse"})
    npl_ratio = fields.Decimal(places=4, as_string=True)
    expected_loss = Money(metadata={"description": "PD by class x max(0, EAD - collateral x (1 - 0.30))"})


class Group(Figures):
    key = fields.String()


class PortfolioSchema(Schema):
    agency_id = fields.Integer()
    as_of = fields.Date()
    group_by = fields.String()
    totals = fields.Nested(Figures)
    groups = fields.List(fields.Nested(Group))


class StressSchema(Schema):
    agency_id = fields.Integer()
    as_of = fields.Date()
    haircut = RateField()
    loan_count = fields.Integer(metadata={"description": "non-performing loans"})
    loss = Money()
    guarantor = Money()
    reguarantor = Money()
    bank = Money()
    fund = Money()


@blp.route("/risk/portfolio", methods=["GET"])
@require("guarantor")
@blp.arguments(PortfolioArgs, location="query", as_kwargs=True)
@blp.response(200, PortfolioSchema)
def portfolio(agency_id=None, group_by="classification"):
    """Exposure, counts, NPL ratio and expected loss of the agency's guaranteed loans, in total and by
    `group_by` (classification, region, product or collateral_kind)."""
    return service.portfolio(current_actor(), agency_id, group_by)


@blp.route("/risk/stress", methods=["GET"])
@require("guarantor")
@blp.arguments(StressArgs, location="query", as_kwargs=True)
@blp.response(200, StressSchema)
def stress(haircut, agency_id=None):
    """What the agency, the re-guarantor, the bank and the fund would pay if every non-performing loan it
    guarantees defaulted with collateral values cut by `haircut`."""
    return service.stress(current_actor(), agency_id, haircut)


class AlertSchema(Schema):
    kind = fields.String(metadata={"description": "ltv_breach, right_expiring, fund_top_up, guarantee_cap_near"})
    loan_id = fields.Integer()
    right_id = fields.Integer()
    fund_id = fields.Integer()
    agency_id = fields.Integer()
    ltv = RateField(allow_none=True)
    cap = fields.Decimal(as_string=True, allow_none=True)
    business_date = fields.Date()
    term_end = fields.Date()
    maturity_date = fields.Date()
    balance = Money()
    covered_balance = Money()
    leverage = fields.Decimal(places=4, as_string=True, allow_none=True)
    guaranteed_balance = Money()


class AlertsSchema(Schema):
    items = fields.List(fields.Nested(AlertSchema))


@blp.route("/risk/alerts", methods=["GET"])
@require("guarantor", "bank_manager", "fund_manager")
@blp.response(200, AlertsSchema)
def alerts():
    """LTV breaches, rights expiring before maturity, funds past 8 x leverage, an agency near its cap: over
    what the caller may see."""
    return {"items": alert_service.alerts(current_actor())}
