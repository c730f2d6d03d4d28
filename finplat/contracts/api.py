"""Contract routes (API.md "Contracts"): read a contract and its PDF, verify an uploaded PDF."""
from flask import Response

from finplat.api_base import Blueprint
from finplat.auth.permissions import current_actor, require
from finplat.contracts import service
from finplat.contracts.schemas import ContractSchema, VerdictSchema, VerifyIn

blp = Blueprint("contract_api", __name__, description="Contracts")


@blp.route("/contracts/<int:contract_id>", methods=["GET"])
@require()
@blp.response(200, ContractSchema)
def get_contract(contract_id):
    return service.get_contract(current_actor(), contract_id)


@blp.route("/contracts/<int:contract_id>/pdf", methods=["GET"])
@require()
@blp.response(200, content_type=service.PDF_MIME)
def contract_pdf(contract_id):
    """The signed PDF, as stored (its SHA-256 is the record's)."""
    data = service.pdf_of(current_actor(), contract_id)
    return Response(data, mimetype=service.PDF_MIME,
                    headers={"Content-Disposition": f'inline; filename="contract-{contract_id}.pdf"',
                             "Cache-Control": "no-store"})


@blp.route("/contracts/verify", methods=["POST"])
@require()
@blp.arguments(VerifyIn, location="files")
@blp.response(200, VerdictSchema)
def verify(files):
    """Multipart `file`: is its signature intact and trusted, who signed and when, is it the file on record."""
    return service.verify(current_actor(), files["file"].read())
