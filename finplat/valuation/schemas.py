"""Valuations at the API edge (API.md "Valuation"). The inputs of each method are loaded by
finplat.valuation.method_schemas inside the service, once the method is known."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from finplat.api_base import ApiSchema, Id, Money, PageArgs, Text
from finplat.valuation.models import METHODS, STATUSES


class PreviewIn(ApiSchema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    inputs = fields.Dict(keys=fields.String(), required=True)


class PreviewSchema(Schema):
    value = Money()
    low = Money()
    high = Money()
    details = fields.Dict()


class ValuationIn(ApiSchema):
    right_id = Id()
    shareholding_id = Id()
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    inputs = fields.Dict(keys=fields.String(), load_default=dict)
    note = Text(2000)

    @validates_schema
    def _one_collateral(self, data, **kwargs):
        if bool(data.get("right_id")) == bool(data.get("shareholding_id")):
            raise ValidationError("give either a right_id or a shareholding_id", field_name="right_id")


class ValuationSchema(Schema):
    id = fields.Integer()
    right_id = fields.Integer(allow_none=True)
    shareholding_id = fields.Integer(allow_none=True)
    shares = fields.Integer(allow_none=True, metadata={"description": "of a shareholding: the shares valued"})
    method = fields.String()
    status = fields.String()
    value = Money()
    low = Money()
    high = Money()
    inputs = fields.Dict()
    input_sources = fields.Dict(metadata={"description": "input -> appraiser | registry | reference | default"})
    references = fields.List(fields.Dict(), metadata={"description": "the reference rows the inputs came from"})
    details = fields.Dict()
    note = fields.String(allow_none=True)
    valuation_date = fields.Date()
    agency_id = fields.Integer()
    requested_by_id = fields.Integer()
    certified_by_id = fields.Integer(allow_none=True)
    certified_at = fields.DateTime(allow_none=True)
    certified_on = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ValuationFilter(PageArgs):
    right_id = Id(strict=False)
    shareholding_id = Id(strict=False)
    status = fields.String(validate=validate.OneOf(STATUSES))


class RevaluationSummarySchema(Schema):
    business_date = fields.Date()
    rights_revalued = fields.Integer()
    rights_not_revalued = fields.Integer(metadata={"description": "rights under a live lien left without an "
                                                                  "indicative value: an input the reference data "
                                                                  "cannot supply, or a term run out"})
    ltv_breaches = fields.Integer()
