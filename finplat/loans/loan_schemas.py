"""Applications and loans at the API edge (API.md "Loans")."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from finplat.api_base import ApiSchema, Id, Money, Name, PageArgs, RateField
from finplat.contracts.schemas import ContractSchema
from finplat.loans.models import LOAN_STATUSES, REPAYMENT_METHODS
from finplat.loans.prepayment import CHOICES
from finplat.loans.schedule_schemas import InstalmentSchema, ScheduleSchema


class CollateralIn(ApiSchema):
    right_id = Id()
    shareholding_id = Id()
    shares = fields.Integer(strict=True, validate=validate.Range(min=1, max=10**9))

    @validates_schema
    def _one(self, data, **kwargs):
        if bool(data.get("right_id")) == bool(data.get("shareholding_id")):
            raise ValidationError("give a right_id, or a shareholding_id with shares", field_name="right_id")
        if data.get("shareholding_id") and not data.get("shares"):
            raise ValidationError("how many of the holding's shares are pledged", field_name="shares")
        if data.get("right_id") and data.get("shares"):
            raise ValidationError("only a shareholding has shares", field_name="shares")


class LoanIn(ApiSchema):
    product_id = Id(required=True)
    borrower_id = Id(required=True)
    amount = Money(required=True, min_value=Decimal("0.01"))
    term_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=600))
    repayment_method = fields.String(required=True, validate=validate.OneOf(REPAYMENT_METHODS))
    purpose = Name(500, required=True)
    collateral = fields.List(fields.Nested(CollateralIn), required=True, validate=validate.Length(min=1, max=20))


class RejectIn(ApiSchema):
    reason = Name(500, required=True)


class LoanFilter(PageArgs):
    status = fields.String(validate=validate.OneOf(LOAN_STATUSES))
    borrower_id = Id(strict=False)


class LoanCollateralSchema(Schema):
    right_id = fields.Integer(allow_none=True)
    shareholding_id = fields.Integer(allow_none=True)
    shares = fields.Integer(allow_none=True)


class LoanSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    bank_id = fields.Integer()
    product_id = fields.Integer()
    borrower_id = fields.Integer()
    amount = Money()
    term_months = fields.Integer()
    repayment_method = fields.String()
    purpose = fields.String()
    annual_rate = RateField()
    lpr_tenor = fields.String()
    lpr_rate = RateField()
    lpr_date = fields.Date()
    spread_bps = fields.Integer()
    principal_outstanding = Money()
    interest_due = Money()
    penalty_due = Money()
    dpd = fields.Integer()
    classification = fields.String(allow_none=True)
    ltv = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "amount / certified value"})
    maker_id = fields.Integer()
    approver_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    next_due_date = fields.Date(allow_none=True)
    next_due_amount = Money()
    overdue_amount = Money(metadata={"description": "overdue principal and interest, and penalty"})
    closed_on = fields.Date(allow_none=True)
    contracted_on = fields.Date(allow_none=True)
    disbursed_on = fields.Date(allow_none=True, metadata={"description": "the value date"})
    maturity_date = fields.Date(allow_none=True, metadata={"description": "planned until disbursement"})
    collateral = fields.List(fields.Nested(LoanCollateralSchema))
    created_at = fields.DateTime()


class LoanContractsSchema(Schema):
    contracts = fields.List(fields.Nested(ContractSchema))


class LoanInstalmentSchema(InstalmentSchema):
    period_start = fields.Date(metadata={"description": "the previous due date, or the disbursement date"})
    interest_accrued = Money(metadata={"description": "through the last closed date"})
    principal_paid = Money()
    interest_paid = Money()


class LoanScheduleSchema(ScheduleSchema):
    instalments = fields.List(fields.Nested(LoanInstalmentSchema))
    version = fields.Integer(metadata={"description": "of the schedule shown; 0: projected from the open date"})
    in_force = fields.Integer(metadata={"description": "the version in force (a prepayment makes a new one)"})
    versions = fields.List(fields.Integer(), metadata={"description": "every version, oldest first"})
    projected = fields.Boolean(metadata={"description": "not yet disbursed: as if disbursed on the open date"})


class ScheduleArgs(ApiSchema):
    version = fields.Integer(validate=validate.Range(min=1, max=10**6),
                             metadata={"description": "an earlier version, kept as history"})


class LoanTransactionSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "disbursement, repayment, reversal, recovery or write_off"})
    amount = Money()
    booked_on = fields.Date(attribute="business_date")
    memo = fields.String(allow_none=True)


class RepaymentIn(ApiSchema):
    amount = Money(required=True, min_value=Decimal("0.01"))
    paid_on = fields.Date(metadata={"description": "the open business date (the default); no other"})
    prepayment = fields.String(validate=validate.OneOf(CHOICES), metadata={
        "description": "for an amount between what is due today and the payoff: a shorter term (the same "
                       "instalment) or a lower instalment (the same maturity)"})


class ReverseIn(ApiSchema):
    reason = Name(500, required=True)


class RepaymentRecordSchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    amount = Money()
    paid_on = fields.Date()
    split = fields.Dict(metadata={"description": "penalty; interest and principal by instalment number"})
    transaction_id = fields.Integer()
    recorded_by = fields.Integer()
    reversed_by = fields.Integer(allow_none=True)
    reversal_transaction_id = fields.Integer(allow_none=True)
    reversal_reason = fields.String(allow_none=True)


class ReversalSchema(Schema):
    id = fields.Integer(metadata={"description": "the repayment reversed"})
    reversal_transaction_id = fields.Integer()
    loan_id = fields.Integer()
    amount = Money()
    principal_outstanding = Money()
    reason = fields.String()


class RepaymentSchema(Schema):
    id = fields.Integer(metadata={"description": "the repayment"})
    transaction_id = fields.Integer(metadata={"description": "its ledger transaction"})
    loan_id = fields.Integer()
    amount = Money()
    paid_on = fields.Date()
    penalty = Money()
    interest = Money()
    principal = Money()
    status = fields.String(metadata={"description": "the loan's, after the repayment"})
    principal_outstanding = Money()
    prepaid_principal = Money(metadata={"description": "principal paid ahead of the schedule"})
    schedule_version = fields.Integer(metadata={"description": "the schedule in force after it"})
    maturity_date = fields.Date()


class PayoffQuoteSchema(Schema):
    as_of = fields.Date()
    principal = Money()
    interest = Money()
    penalty = Money()
    total = Money()


class MyLoanSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    amount = Money()
    principal_outstanding = Money()
    next_due_date = fields.Date(allow_none=True)
    next_due_amount = Money()
    overdue_amount = Money()
    interest_due = Money()
    penalty_due = Money()
    dpd = fields.Integer()
    classification = fields.String(allow_none=True)
    maturity_date = fields.Date(allow_none=True)
