"""Recoveries at the API edge (API.md "Risk": POST /loans/{id}/recoveries)."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Money
from finplat.risk.models import RECOVERY_SOURCES


class RecoveryIn(ApiSchema):
    amount = Money(required=True, min_value=Decimal("0.01"))
    received_on = fields.Date(required=True)
    source = fields.String(required=True, validate=validate.OneOf(RECOVERY_SOURCES),
                           metadata={"description": ", ".join(RECOVERY_SOURCES)})


class RecoverySchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    claim_id = fields.Integer(allow_none=True)
    amount = Money()
    source = fields.String()
    received_on = fields.Date()
    booked_on = fields.Date()
    claim_effect = fields.String(allow_none=True, metadata={
        "description": "lowered_net_loss (the claim was not yet paid), shared_back (it was), or null (no claim)"})
    shared = Money(metadata={"description": "the part the claim took: off its net loss, or shared back"})
    split = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "what flows back to guarantor, reguarantor, bank and fund, summing to shared ({} unless "
                       "shared back)"})
    transaction_id = fields.Integer()
    fund_transaction_id = fields.Integer(allow_none=True)
