"""Claims at the API edge (API.md "Risk": POST /claims, approve, reject, pay)."""
from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Id, Money, Name, PageArgs
from finplat.risk.models import CLAIM_STATUSES


class ClaimIn(ApiSchema):
    loan_id = Id(required=True)
    fund_id = Id(required=True)


class ClaimDecisionIn(ApiSchema):
    reason = Name(500, required=True)


class ClaimFilter(PageArgs):
    loan_id = Id(strict=False)
    fund_id = Id(strict=False)
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))


class ClaimSchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    fund_id = fields.Integer()
    program_id = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(CLAIM_STATUSES)})
    principal = Money(metadata={"description": "principal outstanding at filing"})
    interest = Money(metadata={"description": "interest due at filing (fallen due, and accrued)"})
    recoveries = Money()
    net_loss = Money(metadata={"description": "principal + interest - recoveries"})
    split = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "guarantor, reguarantor, bank, fund: amounts summing to net_loss"})
    filed_on = fields.Date()
    filed_by = fields.Integer()
    decided_by = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    payout_transaction_id = fields.Integer(allow_none=True)
