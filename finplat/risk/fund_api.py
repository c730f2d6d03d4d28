"""Fund routes (API.md "Risk"): `POST /funds`, `GET /funds`, `GET /funds/{id}`, `POST
/funds/{id}/contributions`, `GET /funds/{id}/ledger`, for the fund managers of the fund's administration
(and admins)."""
from finplat.api_base import Blueprint, PageArgs, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.risk import fund_service as service
from finplat.risk.fund_schemas import ContributionIn, ContributionSchema, FundIn, FundLedgerRow, FundSchema

blp = Blueprint("fund_api", __name__, description="Risk: risk compensation funds")


@blp.route("/funds", methods=["POST"])
@require("fund_manager")
@blp.arguments(FundIn)
@blp.response(201, FundSchema)
def create_fund(data):
    """A fund of the caller's administration, paying `program_id`'s fund share for loans of borrowers in
    `region_code` under that program."""
    return service.figures(service.create_fund(current_actor(), data))


@blp.route("/funds", methods=["GET"])
@require("fund_manager")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(FundSchema))
def list_funds(page, per_page):
    found = paginate(service.funds(current_actor()), page, per_page)
    return {**found, "items": [service.figures(fund) for fund in found["items"]]}


@blp.route("/funds/<int:fund_id>", methods=["GET"])
@require("fund_manager")
@blp.response(200, FundSchema)
def get_fund(fund_id):
    """`{balance, covered_balance, leverage, ...}`: covered_balance is the sum over the loans it covers of
    principal outstanding x the program's fund share; leverage = covered_balance / balance."""
    return service.figures(service.get_fund(current_actor(), fund_id))


@blp.route("/funds/<int:fund_id>/contributions", methods=["POST"])
@require("fund_manager")
@blp.arguments(ContributionIn)
@blp.response(201, ContributionSchema)
def contribute(data, fund_id):
    """Money into the fund (`source` budget, interest or other), booked on the open business date."""
    return service.contribute(current_actor(), fund_id, data)


@blp.route("/funds/<int:fund_id>/ledger", methods=["GET"])
@require("fund_manager")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(FundLedgerRow))
def fund_ledger(page, per_page, fund_id):
    """The fund's cash movements, oldest first, each with the balance after it."""
    return paginate(service.ledger_of(service.get_fund(current_actor(), fund_id)), page, per_page, rows=True)
