"""Risk-sharing programs at the API edge (API.md "Risk": POST /risk-programs)."""
from marshmallow import Schema, fields

from finplat.api_base import ApiSchema, Name, RateField
from finplat.risk.sharing import PARTIES


class SharesIn(ApiSchema):
    guarantor = RateField(required=True)
    reguarantor = RateField(required=True)
    bank = RateField(required=True)
    fund = RateField(required=True)


class ProgramIn(ApiSchema):
    name = Name(200, required=True)
    shares = fields.Nested(SharesIn, required=True, metadata={"description": "of a net loss, summing to 1"})


class ProgramSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    shares = fields.Dict(keys=fields.String(), values=RateField(), metadata={"description": ", ".join(PARTIES)})
    coverage = RateField(metadata={"description": "of a guarantee under the program: 1 - the bank's share"})
    created_at = fields.DateTime()
