"""Rights, consents, freezes and history at the API edge (API.md "Registry")."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from finplat.api_base import ApiSchema, DecimalString, Id, Money, Name, PageArgs, RegionCode, Text
from finplat.registry.models import CONSENT_KINDS, RIGHT_KINDS, RIGHT_STATUSES

MAX_AREA = Decimal("999999999999.99")  # NUMERIC(14,2)
POSITIVE = Decimal("0.01")


def Area(**kwargs):
    return DecimalString(2, MAX_AREA, min_value=POSITIVE, **kwargs)


def Year(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1800, max=2100), **kwargs)


# --- attributes by kind, exactly as API.md lists them (unknown keys are refused by ApiSchema)

class LandManagementAttributes(ApiSchema):
    land_class = fields.String(required=True, validate=validate.OneOf(("cropland", "grassland", "forest_land")))
    crop = Name(50)
    contract_right_id = Id()  # a transferee's right: the contracted right it was let out of


class HouseAttributes(ApiSchema):
    structure = fields.String(required=True, validate=validate.OneOf(
        ("reinforced_concrete", "brick_concrete", "brick_wood", "simple")))
    floor_area = Area(required=True)
    year_built = Year(required=True)
    homestead_area = Area()


class ConstructionLandAttributes(ApiSchema):
    use = fields.String(required=True, validate=validate.OneOf(
        ("industrial", "warehouse", "commercial", "tourism", "entertainment", "other")))
    grade = Name(20)


class ForestAttributes(ApiSchema):
    species = Name(50, required=True)
    stand_age = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=1000))
    fire_insurance_policy = Name(100, required=True)
    fire_insurance_until = fields.Date(required=True)


class WaterFacilityAttributes(ApiSchema):
    capacity = Area(required=True)  # m3 of storage or m3/h of delivery: two decimals
    build_cost = Money(required=True, min_value=POSITIVE)
    year_built = Year(required=True)


ATTRIBUTE_SCHEMAS = {
    "land_management": LandManagementAttributes, "house": HouseAttributes,
    "construction_land": ConstructionLandAttributes, "forest": ForestAttributes,
    "water_facility": WaterFacilityAttributes,
}


class RightIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(RIGHT_KINDS))
    certificate_no = Name(100, required=True)
    holder_id = Id(required=True)
    region_code = RegionCode(required=True)
    area = Area(required=True)
    area_unit = fields.String(required=True, validate=validate.OneOf(("mu", "m2")))
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    attributes = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_schema(skip_on_field_errors=False)
    def _attributes_of_kind(self, data, **kwargs):
        schema = ATTRIBUTE_SCHEMAS.get(data.get("kind"))
        if schema is not None and "attributes" in data:
            try:
                schema().load(data["attributes"])
            except ValidationError as exc:
                raise ValidationError(exc.messages, field_name="attributes") from None

    @post_load
    def _normalise_attributes(self, data, **kwargs):
        """Stored as JSON: amounts and areas as two-decimal strings, dates ISO, as they are served."""
        schema = ATTRIBUTE_SCHEMAS[data["kind"]]()
        data["attributes"] = schema.dump(schema.load(data["attributes"]))
        return data


class ConsentIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CONSENT_KINDS))
    party_id = Id(required=True)
    member_id = Id()  # co_owner: the member of the holding household who consented
    document_ref = Name(200, required=True)
    signed_on = fields.Date(required=True)


class ConsentSchema(Schema):
    id = fields.Integer()
    right_id = fields.Integer()
    kind = fields.String()
    party_id = fields.Integer()
    member_id = fields.Integer(allow_none=True)
    document_ref = fields.String()
    signed_on = fields.Date()
    recorded_at = fields.DateTime()


class LienSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    rank = fields.Integer()
    secured_amount = Money()
    secures_type = fields.String()
    secures_id = fields.String()
    holder_id = fields.Integer(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()


class RightSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    certificate_no = fields.String()
    holder_id = fields.Integer()
    region_code = fields.String()
    area = Area()
    area_unit = fields.String()
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    attributes = fields.Dict()
    status = fields.String()
    created_at = fields.DateTime()


class RightSchema(RightSummarySchema):
    """A right whole: its consents, its live liens and its current certified value (null until valuation
    exists). Read `as_of` a past date, it is the right as it stood at the close of that date: liens and value
    are then null (they are current-state only)."""
    holder_name = fields.String()
    consents = fields.List(fields.Nested(ConsentSchema))
    liens = fields.List(fields.Nested(LienSchema), allow_none=True)
    certified_value = Money(allow_none=True)
    as_of = fields.Date(allow_none=True)


class RightFilter(PageArgs):
    holder_id = Id(strict=False)
    kind = fields.String(validate=validate.OneOf(RIGHT_KINDS))
    status = fields.String(validate=validate.OneOf(RIGHT_STATUSES))
    certificate_no = Name(100)
    village = Name(100)


class AsOfArgs(ApiSchema):
    as_of = fields.Date()


class ReasonIn(ApiSchema):
    reason = Text(500, required=True)


class TransferIn(ApiSchema):
    to_holder_id = Id(required=True)
    document_ref = Name(200, required=True)  # the transfer contract, filed with the centre


class OptionalReasonIn(ApiSchema):
    reason = Text(500)


class RightEventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status_before = fields.String(allow_none=True)
    status_after = fields.String()
    actor = fields.String()
    business_date = fields.Date()
    occurred_at = fields.DateTime()
    details = fields.Dict(allow_none=True)
