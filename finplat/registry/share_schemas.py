from marshmallow import fields, validate

from finplat.api_base import MAX_ID, ApiSchema, Id


def Shares(minimum=0, **kwargs):
    """A whole number of shares (a JSON integer that fits the INTEGER columns)."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=MAX_ID), **kwargs)


class AllocationIn(ApiSchema):
    member_id = Id(required=True)
    shares = Shares(required=True)


class ShareRegisterIn(ApiSchema):
    total_shares = Shares(1, required=True)
    allocations = fields.List(fields.Nested(AllocationIn), required=True, validate=validate.Length(max=10_000))


class HoldingSchema(ApiSchema):
    shareholding_id = fields.Integer()
    member_id = fields.Integer()
    member_name = fields.String()
    shares = fields.Integer()
    pledged_shares = fields.Integer()


class ShareRegisterSchema(ApiSchema):
    collective_id = fields.Integer()
    total_shares = fields.Integer()
    allocated = fields.Integer()
    updated_at = fields.DateTime()
    holdings = fields.List(fields.Nested(HoldingSchema))


class ShareTransferIn(ApiSchema):
    from_member_id = Id(required=True)
    to_member_id = Id(required=True)
    shares = Shares(1, required=True)


class ShareTransferSchema(ShareTransferIn):
    id = fields.Integer()
    collective_id = fields.Integer()
    business_date = fields.Date()
    actor = fields.String()
    recorded_at = fields.DateTime()
