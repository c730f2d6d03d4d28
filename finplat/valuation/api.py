"""Valuation routes (API.md "Valuation"): preview, request, certify, read, batch revaluation."""
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.valuation import revaluation, service
from finplat.valuation.schemas import (PreviewIn, PreviewSchema, RevaluationSummarySchema, ValuationFilter,
                                        ValuationIn, ValuationSchema)

blp = Blueprint("valuation_api", __name__, description="Valuation")


@blp.route("/valuations/preview", methods=["POST"])
@require(*INSTITUTION_ROLES)
@blp.arguments(PreviewIn)
@blp.response(200, PreviewSchema)
def preview(data):
    """A method's value, low/high range and intermediate figures on the inputs given; nothing is recorded."""
    return service.preview(data["method"], data["inputs"])


@blp.route("/valuations", methods=["POST"])
@require("appraiser")
@blp.arguments(ValuationIn)
@blp.response(201, ValuationSchema)
def request_valuation(data):
    """A draft valuation of a right or a shareholding; inputs left out are derived from the registry and
    reference data, and `input_sources` says where each came from."""
    return service.request_valuation(current_actor(), data)


@blp.route("/valuations", methods=["GET"])
@require()
@blp.arguments(ValuationFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(ValuationSchema))
def list_valuations(page, per_page, **filters):
    return paginate(service.search(current_actor(), **filters), page, per_page)


@blp.route("/valuations/<int:valuation_id>", methods=["GET"])
@require()
@blp.response(200, ValuationSchema)
def get_valuation(valuation_id):
    return service.get_valuation(current_actor(), valuation_id)


@blp.route("/valuations/<int:valuation_id>/certify", methods=["POST"])
@require("appraiser")
@blp.response(200, ValuationSchema)
def certify(valuation_id):
    """Certify a draft: an appraiser of the agency that made it, while the agency's certification is valid.
    A certified valuation is valid 12 months and supersedes the collateral's previous one."""
    return service.certify(current_actor(), valuation_id)


@blp.route("/admin/revaluations", methods=["POST"])
@require("admin")
@blp.response(200, RevaluationSummarySchema)
def revalue():
    """Batch revaluation: every right under a live lien revalued from the reference data in force, the LTV of
    what it secures recomputed, and an alert raised for each breach of its cap."""
    return revaluation.revalue(current_actor())
