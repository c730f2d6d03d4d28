"""Claim routes (API.md "Risk"): `POST /claims` (the loan's bank), `POST /claims/{id}/approve`, `/reject`,
`/pay` (the fund's manager), `GET /claims`, `GET /claims/{id}` (scoped: the bank, the fund's managers)."""
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.risk import claim_service as service
from finplat.risk.claim_schemas import ClaimDecisionIn, ClaimFilter, ClaimIn, ClaimSchema

blp = Blueprint("claim_api", __name__, description="Risk: claims on compensation funds")
BANK = ("loan_officer", "bank_manager")


@blp.route("/claims", methods=["POST"])
@require(*BANK)
@blp.arguments(ClaimIn)
@blp.response(201, ClaimSchema)
def file_claim(data):
    """For an active loan classed substandard or worse that the fund covers -> `filed`, with `net_loss` and
    `split` (409 `not_non_performing` otherwise; 422 on `fund_id` for a fund that does not cover it)."""
    return service.file_claim(current_actor(), data)


@blp.route("/claims", methods=["GET"])
@require(*BANK, "fund_manager")
@blp.arguments(ClaimFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(ClaimSchema))
def list_claims(page, per_page, **filters):
    return paginate(service.claims(current_actor(), **filters), page, per_page)


@blp.route("/claims/<int:claim_id>", methods=["GET"])
@require(*BANK, "fund_manager")
@blp.response(200, ClaimSchema)
def get_claim(claim_id):
    return service.get_claim(current_actor(), claim_id)


@blp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@require("fund_manager")
@blp.response(200, ClaimSchema)
def approve(claim_id):
    return service.approve(current_actor(), claim_id)


@blp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@require("fund_manager")
@blp.arguments(ClaimDecisionIn)
@blp.response(200, ClaimSchema)
def reject(data, claim_id):
    return service.reject(current_actor(), claim_id, data["reason"])


@blp.route("/claims/<int:claim_id>/pay", methods=["POST"])
@require("fund_manager")
@blp.response(200, ClaimSchema)
def pay(claim_id):
    """approved -> paid: the fund's share out of its balance (409 `fund_insufficient` with the figures)."""
    return service.pay(current_actor(), claim_id)
