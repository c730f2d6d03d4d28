"""Registry routes for rights: /rights, /rights/{id}, its history, consents, freeze, unfreeze and withdrawal."""
from finplat.api_base import Blueprint, PageArgs, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.registry import right_service as service
from finplat.registry.right_schemas import (AsOfArgs, ConsentIn, ConsentSchema, OptionalReasonIn, ReasonIn,
                                            RightEventSchema, RightFilter, RightIn, RightSchema, RightSummarySchema,
                                            TransferIn)

blp = Blueprint("registry_right_api", __name__, description="Registry: rights")


@blp.route("/rights", methods=["POST"])
@require("registrar")
@blp.arguments(RightIn)
@blp.response(201, RightSchema)
def register_right(data):
    """Register a right of one of the five kinds; it starts active."""
    right = service.register_right(current_actor(), data)
    return service.describe(current_actor(), right.id)


@blp.route("/rights", methods=["GET"])
@require()
@blp.arguments(RightFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(RightSummarySchema))
def list_rights(page, per_page, **filters):
    return paginate(service.search(current_actor(), **filters), page, per_page)


@blp.route("/rights/<int:right_id>", methods=["GET"])
@require()
@blp.arguments(AsOfArgs, location="query", as_kwargs=True)
@blp.response(200, RightSchema)
def get_right(right_id, as_of=None):
    """The right with its consents, live liens and current certified value; `?as_of=DATE` as it stood then."""
    return service.describe(current_actor(), right_id, as_of)


@blp.route("/rights/<int:right_id>/history", methods=["GET"])
@require()
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(RightEventSchema))
def right_history(right_id, page, per_page):
    """Every event of the right, oldest first."""
    return paginate(service.history(current_actor(), right_id), page, per_page)


@blp.route("/rights/<int:right_id>/consents", methods=["POST"])
@require("registrar")
@blp.arguments(ConsentIn)
@blp.response(201, ConsentSchema)
def record_consent(data, right_id):
    return service.record_consent(current_actor(), right_id, data)


@blp.route("/rights/<int:right_id>/freeze", methods=["POST"])
@require("registrar")
@blp.arguments(ReasonIn)
@blp.response(200, RightSchema)
def freeze(data, right_id):
    service.freeze(current_actor(), right_id, data["reason"])
    return service.describe(current_actor(), right_id)


@blp.route("/rights/<int:right_id>/unfreeze", methods=["POST"])
@require("registrar")
@blp.arguments(OptionalReasonIn)
@blp.response(200, RightSchema)
def unfreeze(data, right_id):
    service.unfreeze(current_actor(), right_id, data.get("reason"))
    return service.describe(current_actor(), right_id)


@blp.route("/rights/<int:right_id>/transfer", methods=["POST"])
@require("registrar")
@blp.arguments(TransferIn)
@blp.response(200, RightSchema)
def transfer(data, right_id):
    """Record the right's transfer to a new holder (refused while frozen or under a live lien)."""
    service.transfer(current_actor(), right_id, data)
    return service.describe(current_actor(), right_id)


@blp.route("/rights/<int:right_id>/withdraw", methods=["POST"])
@require("registrar")
@blp.arguments(ReasonIn)
@blp.response(200, RightSchema)
def withdraw(data, right_id):
    service.withdraw(current_actor(), right_id, data["reason"])
    return service.describe(current_actor(), right_id)
