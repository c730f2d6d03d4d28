"""The schedule preview route (API.md "Loans"): a repayment schedule on the terms given; nothing is recorded."""
from finplat.api_base import Blueprint
from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.errors import invalid_fields
from finplat.loans import schedule
from finplat.loans.schedule_schemas import ScheduleIn, ScheduleSchema

blp = Blueprint("loan_schedule_api", __name__, description="Loan schedules")


@blp.route("/loans/schedule-preview", methods=["POST"])
@require(*INSTITUTION_ROLES)
@blp.arguments(ScheduleIn)
@blp.response(200, ScheduleSchema)
def schedule_preview(data):
    """Every instalment (due date, principal, interest, payment, balance after it) and the totals of a loan of
    `principal` at `annual_rate` over `term_months`, repaid by `method`, disbursed on `start_date`."""
    try:
        return schedule.schedule(**data)
    except schedule.InvalidInputs as exc:
        raise invalid_fields(exc.errors) from None
