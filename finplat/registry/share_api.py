"""Collective share registers: /collectives/{id}/share-register and /collectives/{id}/share-transfers."""
from finplat.api_base import Blueprint
from finplat.auth.permissions import current_actor, require
from finplat.registry import share_service
from finplat.registry.share_schemas import ShareRegisterIn, ShareRegisterSchema, ShareTransferIn, ShareTransferSchema

blp = Blueprint("registry_share_api", __name__, description="Registry: shares")


@blp.route("/collectives/<int:collective_id>/share-register", methods=["PUT"])
@require("registrar")
@blp.arguments(ShareRegisterIn)
@blp.response(200, ShareRegisterSchema)
def put_share_register(data, collective_id):
    """Replace the collective's share register: its total shares and every member's holding."""
    return share_service.put_register(current_actor(), collective_id, data)


@blp.route("/collectives/<int:collective_id>/share-register", methods=["GET"])
@require()
@blp.response(200, ShareRegisterSchema)
def get_share_register(collective_id):
    """The register; a farmer sees their own collective's, with their own holding."""
    return share_service.register_view(current_actor(), collective_id)


@blp.route("/collectives/<int:collective_id>/share-transfers", methods=["POST"])
@require("registrar")
@blp.arguments(ShareTransferIn)
@blp.response(201, ShareTransferSchema)
def create_share_transfer(data, collective_id):
    """Transfer shares between two members of the collective."""
    return share_service.transfer(current_actor(), collective_id, data)
