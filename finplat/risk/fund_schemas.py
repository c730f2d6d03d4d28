"""Funds at the API edge (API.md "Risk": POST /funds, contributions, GET /funds/{id} and its ledger)."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Id, Money, Name, RateField, RegionCode
from finplat.risk.models import CONTRIBUTION_SOURCES


class FundIn(ApiSchema):
    name = Name(200, required=True)
    region_code = RegionCode(required=True, metadata={"description": "it covers borrowers in this division"})
    program_id = Id(required=True)


class ContributionIn(ApiSchema):
    amount = Money(required=True, min_value=Decimal("0.01"))
    source = fields.String(required=True, validate=validate.OneOf(CONTRIBUTION_SOURCES))
    received_on = fields.Date(required=True, metadata={"description": "not after the open business date"})


class FundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    region_code = fields.String()
    program_id = fields.Integer()
    administrator = fields.String()
    fund_share = RateField()
    balance = Money()
    covered_balance = Money(metadata={"description": "principal outstanding x fund share over covered loans"})
    leverage = fields.Decimal(places=4, as_string=True, allow_none=True,
                              metadata={"description": "covered_balance / balance; none while the balance is 0"})
    leverage_cap = fields.Decimal(as_string=True)
    top_up_alert = fields.Boolean(metadata={"description": "leverage above 8"})


class ContributionSchema(Schema):
    id = fields.Integer()
    fund_id = fields.Integer()
    amount = Money()
    source = fields.String()
    received_on = fields.Date()
    transaction_id = fields.Integer()


class FundLedgerRow(Schema):
    id = fields.Integer(metadata={"description": "the ledger transaction"})
    kind = fields.String()
    amount = Money(metadata={"description": "into the fund's cash (positive) or out of it (negative)"})
    booked_on = fields.Date()
    memo = fields.String(allow_none=True)
    balance = Money(metadata={"description": "after it"})
