from marshmallow import fields

from finplat import cob
from finplat.api_base import ApiSchema, Blueprint
from finplat.auth.permissions import current_actor, require

blp = Blueprint("admin_api", __name__, description="Business date and close of business")


class BusinessDateSchema(ApiSchema):
    business_date = fields.Date(required=True)


class ClosedDateSchema(ApiSchema):
    business_date = fields.Date()
    steps = fields.Dict(keys=fields.String(), values=fields.Raw())


class CobSummarySchema(ApiSchema):
    closed = fields.List(fields.Nested(ClosedDateSchema))
    open_date = fields.Date()


@blp.route("/admin/business-date", methods=["GET"])
@require("admin")
@blp.response(200, BusinessDateSchema)
def business_date():
    """The open business date, on which transactions are booked."""
    return {"business_date": cob.open_date()}


@blp.route("/admin/cob", methods=["POST"])
@require("admin")
@blp.arguments(BusinessDateSchema)
@blp.response(200, CobSummarySchema)
def close_of_business(data):
    """Close every open date up to and including `business_date`; the open date becomes the next day."""
    return cob.run_to(data["business_date"], actor=current_actor())
