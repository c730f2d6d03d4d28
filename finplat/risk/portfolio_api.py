"""Portfolio risk routes (API.md "Risk"), for guarantors, bank managers and fund managers, each over what they
may see (finplat.risk.portfolio_service), and admins: `GET /risk/portfolio?agency_id=&group_by=`, the same as
CSV at `GET /risk/portfolio.csv` (with the stress test at `haircut`, default 0.30), `GET
/risk/stress?haircut=` and `GET /risk/alerts`."""
from decimal import Decimal

from flask import Response
from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Blueprint, Id, Money, RateField
from finplat.auth.permissions import current_actor, require
from finplat.risk import alert_service, portfolio_export
from finplat.risk import portfolio_service as service

blp = Blueprint("portfolio_api", __name__, description="Risk: portfolio queries for guarantee agencies")


class PortfolioArgs(ApiSchema):
    agency_id = Id(strict=False, metadata={"description": "the caller's own agency by default"})
    group_by = fields.String(load_default="classification", validate=validate.OneOf(service.GROUPS))


class StressArgs(ApiSchema):
    agency_id = Id(strict=False)
    haircut = RateField(required=True, metadata={"description": "cut of collateral values, 0 to 1"})


class ExportArgs(ApiSchema):
    agency_id = Id(strict=False, metadata={"description": "the caller's own agency by default"})
    haircut = RateField(load_default=Decimal("0.30"), metadata={"description": "the stress test's, 0 to 1"})


class Figures(Schema):
    loan_count = fields.Integer()
    principal_outstanding = Money(metadata={"description": "EAD: of a loan not yet disbursed, its amount"})
    guaranteed_balance = Money(metadata={"description": "principal outstanding x coverage"})
    interest_due = Money()
    collateral_value = Money(metadata={"description": "indicative after the latest revaluation, else certified"})
    npl_principal = Money(metadata={"description": "of loans substandard or worse"})
    npl_ratio = fields.Decimal(places=4, as_string=True)
    expected_loss = Money(metadata={"description": "PD by class x max(0, EAD - collateral x (1 - 0.30))"})


class Group(Figures):
    key = fields.String()


class Bucket(Schema):
    bucket = fields.String()
    loan_count = fields.Integer()
    principal_outstanding = Money()


class Borrower(Schema):
    borrower_id = fields.Integer()
    name = fields.String()
    region_code = fields.String()
    loan_count = fields.Integer()
    principal_outstanding = Money()
    share = fields.Decimal(places=4, as_string=True, metadata={"description": "of the principal in scope"})


class ScopeHeader(Schema):
    scope = fields.String(metadata={"description": "agency, bank, funds (a fund manager's) or platform"})
    agency_id = fields.Integer(allow_none=True)
    as_of = fields.Date(allow_none=True, metadata={"description": "the business date last closed; figures are "
                                                                  "as of its close"})


class PortfolioSchema(ScopeHeader):
    group_by = fields.String()
    totals = fields.Nested(Figures)
    groups = fields.List(fields.Nested(Group))
    dpd_buckets = fields.List(fields.Nested(Bucket), metadata={"description": "by days past due"})
    ltv_distribution = fields.List(fields.Nested(Bucket), metadata={"description": "by loan to value; none: "
                                                                                    "no collateral value"})
    top_borrowers = fields.List(fields.Nested(Borrower), metadata={"description": "the ten largest exposures"})


class StressSchema(ScopeHeader):
    haircut = RateField()
    loan_count = fields.Integer(metadata={"description": "non-performing loans"})
    loss = Money()
    guarantor = Money()
    reguarantor = Money()
    bank = Money()
    fund = Money()


@blp.route("/risk/portfolio", methods=["GET"])
@require(*service.ROLES)
@blp.arguments(PortfolioArgs, location="query", as_kwargs=True)
@blp.response(200, PortfolioSchema)
def portfolio(agency_id=None, group_by="classification"):
    """Exposure, counts, NPL ratio and expected loss in total and by `group_by` (classification, region,
    product or collateral_kind); DPD buckets, LTV distribution and the top ten borrowers."""
    return service.portfolio(current_actor(), agency_id, group_by)


@blp.route("/risk/portfolio.csv", methods=["GET"])
@require(*service.ROLES)
@blp.arguments(ExportArgs, location="query", as_kwargs=True)
@blp.response(200, content_type=portfolio_export.CSV_MIME)
def portfolio_csv(agency_id=None, haircut=Decimal("0.30")):
    """The portfolio, grouped by every key, and the stress test as one CSV (UTF-8 with a BOM)."""
    report = service.report(current_actor(), agency_id, haircut)
    return Response(portfolio_export.csv_bytes(report), mimetype=portfolio_export.CSV_MIME, headers={
        "Content-Disposition": f'attachment; filename="{portfolio_export.filename(report)}"'})


@blp.route("/risk/stress", methods=["GET"])
@require(*service.ROLES)
@blp.arguments(StressArgs, location="query", as_kwargs=True)
@blp.response(200, StressSchema)
def stress(haircut, agency_id=None):
    """What the agency, the re-guarantor, the bank and the fund would pay if every non-performing loan in
    scope defaulted with collateral values cut by `haircut`."""
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
