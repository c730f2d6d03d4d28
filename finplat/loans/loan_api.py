"""Loan routes (API.md "Loans"): file, read, submit, approve, reject; contracts, disbursement, schedule and
transactions."""
from finplat.api_base import Blueprint, PageArgs, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.idempotency import OPENAPI_PARAMETER, idempotent
from finplat.loans import application_service as service
from finplat.loans import origination_service as origination
from finplat.loans import servicing_service as servicing
from finplat.loans.loan_schemas import (LoanContractsSchema, LoanFilter, LoanIn, LoanScheduleSchema, LoanSchema,
                                        LoanTransactionSchema, MyLoanSchema, PayoffQuoteSchema, RejectIn, RepaymentIn,
                                        RepaymentRecordSchema, RepaymentSchema, ReversalSchema, ReverseIn,
                                        ScheduleArgs)

blp = Blueprint("loan_api", __name__, description="Loans: applications, contracts, disbursement")
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


@blp.route("/loans/<int:loan_id>/contracts", methods=["POST"])
@require(*BANK)
@blp.response(201, LoanContractsSchema)
def sign_contracts(loan_id):
    """approved -> contracted: the loan contract, one security contract per collateral item and the schedule
    annex, signed, with the liens registered in the same transaction (409 when an item has no room left)."""
    return {"contracts": origination.sign_contracts(current_actor(), loan_id)}


@blp.route("/loans/<int:loan_id>/contracts", methods=["GET"])
@require()
@blp.response(200, LoanContractsSchema)
def list_contracts(loan_id):
    actor = current_actor()
    return {"contracts": origination.contracts_of(service.get_loan(actor, loan_id), actor)}


@blp.route("/loans/<int:loan_id>/disburse", methods=["POST"])
@require("bank_manager")
@idempotent
@blp.doc(parameters=[OPENAPI_PARAMETER])
@blp.response(200, LoanSchema)
def disburse(loan_id):
    """contracted -> active on the open business date, once. Needs an `Idempotency-Key` header: a replay
    returns the first response, the same key with another body is a 409."""
    return service.describe(origination.disburse(current_actor(), loan_id, commit=False))


@blp.route("/loans/<int:loan_id>/schedule", methods=["GET"])
@require()
@blp.arguments(ScheduleArgs, location="query")
@blp.response(200, LoanScheduleSchema)
def loan_schedule(args, loan_id):
    """The schedule in force (or an earlier `version`, kept as history); before disbursement, the schedule as
    if disbursed on the open date."""
    return origination.schedule_of(service.get_loan(current_actor(), loan_id), args.get("version"))


@blp.route("/loans/<int:loan_id>/transactions", methods=["GET"])
@require()
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(LoanTransactionSchema))
def loan_transactions(page, per_page, loan_id):
    """One item per business event (disbursement, repayment, ...), oldest first; accruals are not listed."""
    loan = service.get_loan(current_actor(), loan_id)
    return paginate(origination.transactions_of(loan), page, per_page)


@blp.route("/loans/<int:loan_id>/payoff-quote", methods=["GET"])
@require()
@blp.response(200, PayoffQuoteSchema)
def payoff_quote(loan_id):
    """What pays the loan off on the open date: principal outstanding, interest due, penalty due, total."""
    return servicing.quote(current_actor(), loan_id)


@blp.route("/loans/<int:loan_id>/repayments", methods=["POST"])
@require(*BANK)
@idempotent
@blp.doc(parameters=[OPENAPI_PARAMETER])
@blp.arguments(RepaymentIn)
@blp.response(201, RepaymentSchema)
def repay(data, loan_id):
    """A repayment on the open business date, applied penalty -> overdue interest -> overdue principal ->
    current interest -> current principal; the payoff total pays the loan off and releases its liens."""
    return servicing.repay(current_actor(), loan_id, data, commit=False)


@blp.route("/loans/<int:loan_id>/repayments", methods=["GET"])
@require()
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(RepaymentRecordSchema))
def list_repayments(page, per_page, loan_id):
    return paginate(servicing.repayments_of(service.get_loan(current_actor(), loan_id)), page, per_page)


@blp.route("/loans/<int:loan_id>/repayments/<int:repayment_id>/reverse", methods=["POST"])
@require("bank_manager")
@blp.arguments(ReverseIn)
@blp.response(200, ReversalSchema)
def reverse_repayment(data, loan_id, repayment_id):
    """A bank manager (not the one who recorded it) reverses the loan's latest repayment on the day it was
    booked, through reversing ledger transactions."""
    return servicing.reverse(current_actor(), loan_id, repayment_id, data["reason"])


@blp.route("/me/loans", methods=["GET"])
@require("farmer")
@blp.response(200, page_schema(MyLoanSchema))
def my_loans():
    """A farmer's loans: outstanding principal, next due date and amount, overdue amount and days, class."""
    items = servicing.farmer_loans(current_actor())
    return {"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)}
