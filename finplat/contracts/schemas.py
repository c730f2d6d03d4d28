"""Contracts at the API edge (API.md "Contracts")."""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from finplat.api_base import ApiSchema


class ContractSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    loan_id = fields.Integer(allow_none=True)
    institution_id = fields.Integer()
    sha256 = fields.String()
    signer = fields.String()
    signed_at = fields.DateTime()
    size = fields.Integer()
    sample = fields.Boolean()
    created_at = fields.DateTime()


class VerifyIn(ApiSchema):
    file = Upload(required=True)


class VerdictSchema(Schema):
    valid = fields.Boolean(metadata={"description": "intact and signed by a certificate chaining to a trust root"})
    intact = fields.Boolean(metadata={"description": "every signed byte unchanged and nothing added after"})
    signer = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    on_record = fields.Boolean(metadata={"description": "the file is byte for byte a contract on record"})
    contract_id = fields.Integer(allow_none=True)
