"""Guarantee routes (API.md "Risk"): `POST /guarantees` (the loan's bank), `POST /guarantees/{id}/accept` and
`/reject` (the agency), `GET /guarantees`, `GET /guarantees/{id}` (scoped: a bank its loans', an agency its
own)."""
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.risk import guarantee_service as service
from finplat.risk.guarantee_schemas import GuaranteeDecisionIn, GuaranteeFilter, GuaranteeIn, GuaranteeSchema

blp = Blueprint("guarantee_api", __name__, description="Risk: guarantees")
BANK = ("loan_officer", "bank_manager")


@blp.route("/guarantees", methods=["POST"])
@require(*BANK)
@blp.arguments(GuaranteeIn)
@blp.response(201, GuaranteeSchema)
def request_guarantee(data):
    """The bank asks an agency to guarantee an approved, contracted or active loan under a program (whose
    guarantor share is above 0) -> `requested`; 409 while another is requested or active."""
    return service.request_guarantee(current_actor(), data)


@blp.route("/guarantees", methods=["GET"])
@require(*BANK, "guarantor")
@blp.arguments(GuaranteeFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(GuaranteeSchema))
def list_guarantees(page, per_page, **filters):
    return paginate(service.guarantees(current_actor(), **filters), page, per_page)


@blp.route("/guarantees/<int:guarantee_id>", methods=["GET"])
@require(*BANK, "guarantor")
@blp.response(200, GuaranteeSchema)
def get_guarantee(guarantee_id):
    return service.get_guarantee(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/accept", methods=["POST"])
@require("guarantor")
@blp.response(200, GuaranteeSchema)
def accept(guarantee_id):
    """requested -> active, within the agency's cap (net assets x guarantee multiple): 409 `guarantee_cap`
    with `guaranteed_balance`, `this_guarantee` and `cap` in `fields` otherwise."""
    return service.accept(current_actor(), guarantee_id)


@blp.route("/guarantees/<int:guarantee_id>/reject", methods=["POST"])
@require("guarantor")
@blp.arguments(GuaranteeDecisionIn)
@blp.response(200, GuaranteeSchema)
def reject(data, guarantee_id):
    return service.reject(current_actor(), guarantee_id, data["reason"])
