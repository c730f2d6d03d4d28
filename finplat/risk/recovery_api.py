"""Recovery routes (API.md "Risk"): `POST /loans/{id}/recoveries` by the loan's bank, `GET
/loans/{id}/recoveries` for whoever may see the loan."""
from finplat.api_base import Blueprint, PageArgs, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.risk import recovery_service as service
from finplat.risk.recovery_schemas import RecoveryIn, RecoverySchema

blp = Blueprint("recovery_api", __name__, description="Risk: recoveries on defaulted loans")


@blp.route("/loans/<int:loan_id>/recoveries", methods=["POST"])
@require("loan_officer", "bank_manager")
@blp.arguments(RecoveryIn)
@blp.response(201, RecoverySchema)
def record(data, loan_id):
    """Money recovered for an active loan (collateral disposal, borrower, guarantor, other): applied to the
    loan as a repayment is; it lowers the net loss of the loan's unpaid claim, or flows back to the parties
    of its paid claim by the claim's shares (the fund's part into the fund)."""
    return service.record(current_actor(), loan_id, data)


@blp.route("/loans/<int:loan_id>/recoveries", methods=["GET"])
@require()
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(RecoverySchema))
def list_recoveries(page, per_page, loan_id):
    return paginate(service.recoveries(current_actor(), loan_id), page, per_page)
