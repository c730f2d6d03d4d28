"""Parties at the API edge (API.md "Registry"). ID numbers are read here only as bounded strings: their
GB 11643 check is the service's, so that a member's error can be named "members.1.id_number". Every ID
number sent back is masked, except by the identity route."""
from marshmallow import fields, validate

from finplat.api_base import ApiSchema, Id, Name, PageArgs, Phone, RegionCode, Text
from finplat.registry.models import PARTY_KINDS
from finplat.security.pii import mask


def IdentityNumber(**kwargs):
    """Long enough for a wrong number to be told its real length, bounded all the same."""
    return Text(64, **kwargs)


class MemberIn(ApiSchema):
    name = Name(100, required=True)
    id_number = IdentityNumber(required=True)
    relation = Name(32, required=True)
    phone = Phone(allow_none=True)


class PartyIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    name = Name(200, required=True)
    region_code = RegionCode(required=True)
    township = Name(100, allow_none=True)
    village = Name(100, allow_none=True)
    id_number = IdentityNumber(allow_none=True)
    uscc = IdentityNumber(allow_none=True)
    collective_id = Id(allow_none=True)
    members = fields.List(fields.Nested(MemberIn), validate=validate.Length(max=50))
    legal_representative = Name(100, allow_none=True)
    phone = Phone(allow_none=True)


class Masked(fields.String):
    """An ID number as 370103********0016: region and last four, never the birth date."""

    def _serialize(self, value, attr, obj, **kwargs):
        return mask(value)


class MemberSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    id_number = Masked()
    relation = fields.String()
    phone = fields.String(allow_none=True)


class PartySchema(ApiSchema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    region_code = fields.String()
    township = fields.String(allow_none=True)
    village = fields.String(allow_none=True)
    id_number = Masked(allow_none=True)
    uscc = fields.String(allow_none=True)
    collective_id = fields.Integer(allow_none=True)
    members = fields.List(fields.Nested(MemberSchema))
    legal_representative = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PartyFilter(PageArgs):
    q = Text(200)
    region_code = RegionCode()
    kind = fields.String(validate=validate.OneOf(PARTY_KINDS))
    village = Name(100)


class RevealedMemberSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    id_number = fields.String()
    relation = fields.String()


class IdentitySchema(ApiSchema):
    """The full identity numbers of one party: `id_number` (a household's head) or `uscc`, and members."""
    party_id = fields.Integer()
    id_number = fields.String()
    uscc = fields.String()
    members = fields.List(fields.Nested(RevealedMemberSchema))
