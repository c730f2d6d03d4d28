"""The schedule preview at the API edge (API.md "Loans": POST /loans/schedule-preview): the request's types,
places and magnitudes; every other rule (a positive principal, a rate below 1, a term of 1 to 600 months, a
maturity within the calendar) is schedule.py's, so that one place owns it and names every bad input at once.
Amounts are sent back as strings with two decimals."""
from marshmallow import Schema, fields, validate

from finplat.api_base import ApiSchema, Money, RateField
from finplat.loans.schedule import METHODS


class ScheduleIn(ApiSchema):
    principal = Money(required=True, metadata={"example": "1000000.00"})
    annual_rate = RateField(required=True, metadata={"example": "0.049"})
    term_months = fields.Integer(strict=True, required=True, metadata={"example": 360})
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    start_date = fields.Date(required=True, metadata={"description": "the disbursement date"})


class InstalmentSchema(Schema):
    number = fields.Integer()
    due_date = fields.Date()
    principal = Money()
    interest = Money()
    payment = Money()
    balance = Money(metadata={"description": "principal outstanding after this instalment"})


class ScheduleSchema(Schema):
    instalments = fields.List(fields.Nested(InstalmentSchema))
    total_interest = Money()
    total_payment = Money()
