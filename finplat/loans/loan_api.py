"""Application routes (API.md "Loans"): file, read, submit, approve, reject."""
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.loans import application_service as service
from finplat.loans.loan_schemas import LoanFilter, LoanIn, LoanSchema, RejectIn

blp = Blueprint("loan_api", __name__, description="Loans: applications")
BANK = ("loan_officer", "bank_manager")


@blp.route("/loans", methods=["POST"])
@require(*BANK)
@blp.arguments(LoanIn)
@blp.response(201, LoanSchema)
def apply(data):
    """A draft application by the caller's bank, priced on the open business date."""
    return service.describe(service.create_application(current_actor(), data))


@blp.route("/loans", methods=["GET"])
@require()
@blp.arguments(LoanFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(LoanSchema))
def list_loans(page, per_page, **filters):
    found = paginate(service.search(current_actor(), **filters), page, per_page)
    return {**found, "items": [service.describe(loan) for loan in found["items"]]}


@blp.route("/loans/<int:loan_id>", methods=["GET"])
@require()
@blp.response(200, LoanSchema)
def get_loan(loan_id):
    return service.describe(service.get_loan(current_actor(), loan_id))


@blp.route("/loans/<int:loan_id>/submit", methods=["POST"])
@require(*BANK)
@blp.response(200, LoanSchema)
def submit(loan_id):
    """draft -> submitted, or 422 with every failed underwriting check in error.fields.checks."""
    return service.describe(service.submit(current_actor(), loan_id))


@blp.route("/loans/<int:loan_id>/approve", methods=["POST"])
@require("bank_manager")
@blp.response(200, LoanSchema)
def approve(loan_id):
    """A bank manager of the lending bank other than the maker (the maker gets 403)."""
    return service.describe(service.approve(current_actor(), loan_id))


@blp.route("/loans/<int:loan_id>/reject", methods=["POST"])
@require("bank_manager")
@blp.arguments(RejectIn)
@blp.response(200, LoanSchema)
def reject(data, loan_id):
    return service.describe(service.reject(current_actor(), loan_id, data["reason"]))
