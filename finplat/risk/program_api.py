"""Risk-sharing program routes (API.md "Risk"): `POST /risk-programs` (admin), `GET /risk-programs` and
`GET /risk-programs/{id}` (any logged-in user)."""
from finplat.api_base import Blueprint, PageArgs, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.risk import program_service
from finplat.risk.program_schemas import ProgramIn, ProgramSchema

blp = Blueprint("risk_program_api", __name__, description="Risk: risk-sharing programs")


@blp.route("/risk-programs", methods=["POST"])
@require("admin")
@blp.arguments(ProgramIn)
@blp.response(201, ProgramSchema)
def create_program(data):
    """A program's shares of a net loss per party (guarantor, reguarantor, bank, fund), summing to 1: 422 on
    `shares` otherwise; 409 for a name in use."""
    return program_service.create_program(current_actor(), data)


@blp.route("/risk-programs", methods=["GET"])
@require()
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(ProgramSchema))
def list_programs(page, per_page):
    return paginate(program_service.programs(), page, per_page)


@blp.route("/risk-programs/<int:program_id>", methods=["GET"])
@require()
@blp.response(200, ProgramSchema)
def get_program(program_id):
    return program_service.get_program(program_id)
