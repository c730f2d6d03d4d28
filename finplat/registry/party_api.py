"""Registry parties: POST/GET /parties, GET /parties/{id}, GET /parties/{id}/identity (API.md "Registry")."""
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, get_visible, require
from finplat.registry import party_service as service
from finplat.registry.models import Party
from finplat.registry.party_schemas import IdentitySchema, PartyFilter, PartyIn, PartySchema

blp = Blueprint("registry_party_api", __name__, description="Registry: parties")


@blp.route("/parties", methods=["POST"])
@require("registrar")
@blp.arguments(PartyIn)
@blp.response(201, PartySchema)
def create_party(data):
    """Register a household (head and members), a village collective or an enterprise."""
    return service.create_party(current_actor(), data)


@blp.route("/parties", methods=["GET"])
@require()
@blp.arguments(PartyFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(PartySchema))
def list_parties(page, per_page, **filters):
    """Search by name, credit code or resident ID number; ID numbers come back masked."""
    return paginate(service.find_parties(current_actor(), **filters), page, per_page)


@blp.route("/parties/<int:party_id>", methods=["GET"])
@require()
@blp.response(200, PartySchema)
def get_party(party_id):
    return get_visible(Party, party_id, current_actor())


@blp.route("/parties/<int:party_id>/identity", methods=["GET"])
@require("registrar")
@blp.response(200, IdentitySchema)
def reveal_identity(party_id):
    """The identity numbers in full: registrars only, and every call is in the audit log."""
    return service.reveal_identity(current_actor(), party_id)
