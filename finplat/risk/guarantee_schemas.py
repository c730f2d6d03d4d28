"""Guarantees at the API edge (API.md "Risk": POST /guarantees, POST /guarantees/{id}/accept)."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Id, Money, Name, PageArgs, RateField
from finplat.risk.models import DEFAULT_FEE_RATE, GUARANTEE_STATUSES


class GuaranteeIn(ApiSchema):
    loan_id = Id(required=True)
    agency_id = Id(required=True, metadata={"description": "a guarantee agency"})
    program_id = Id(required=True, metadata={"description": "the risk-sharing program"})
    fee_rate = RateField(max_value=Decimal("0.99999999"), load_default=DEFAULT_FEE_RATE,
                         metadata={"description": "a year, below 1; default 0.008"})


class GuaranteeDecisionIn(ApiSchema):
    reason = Name(500, required=True)


class GuaranteeFilter(PageArgs):
    loan_id = Id(strict=False)
    status = fields.String(validate=validate.OneOf(GUARANTEE_STATUSES))


class GuaranteeSchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    agency_id = fields.Integer()
    program_id = fields.Integer()
    fee_rate = RateField()
    coverage = RateField(metadata={"description": "1 - the program's bank share"})
    status = fields.String(metadata={"description": ", ".join(GUARANTEE_STATUSES)})
    requested_by = fields.Integer()
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    fee_accrued = Money()
    fee_through = fields.Date(allow_none=True)
    created_at = fields.DateTime()
