from decimal import Decimal

from marshmallow import fields, validate

from finplat.api_base import ApiSchema, DecimalString, Id, Money, Name, PageArgs, Phone, RegionCode, Text
from finplat.auth.roles import INSTITUTION_KINDS, ROLES


class TokenRequest(ApiSchema):
    username = Name(64, required=True)
    password = Text(256, required=True)


class TokenSchema(ApiSchema):
    token = fields.String()
    expires_at = fields.DateTime()


class MeSchema(ApiSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    institution_id = fields.Integer(allow_none=True)
    party_id = fields.Integer(allow_none=True)


class InstitutionIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(INSTITUTION_KINDS))
    name = Name(200, required=True)
    region_code = RegionCode()
    certification_no = Name(100)
    certified_until = fields.Date()
    net_assets = Money()
    guarantee_multiple = DecimalString(2, Decimal("1000"), min_value=Decimal("0.01"))


class CertificateSchema(ApiSchema):
    source = fields.String()
    serial = fields.String()
    subject = fields.String()
    not_before = fields.DateTime()
    not_after = fields.DateTime()
    fingerprint_sha256 = fields.String()


class InstitutionSchema(InstitutionIn):
    id = fields.Integer()
    signing_certificate = fields.Nested(CertificateSchema, allow_none=True)
    created_at = fields.DateTime()


class InstitutionFilter(PageArgs):
    kind = fields.String(validate=validate.OneOf(INSTITUTION_KINDS))


class UserIn(ApiSchema):
    username = Name(64, required=True)
    password = Text(256, required=True, load_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    institution_id = Id(allow_none=True)
    party_id = Id(allow_none=True)
    phone = Phone(allow_none=True)


class UserSchema(ApiSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    institution_id = fields.Integer(allow_none=True)
    party_id = fields.Integer(allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class UserFilter(PageArgs):
    role = fields.String(validate=validate.OneOf(ROLES))
    institution_id = Id(strict=False)
