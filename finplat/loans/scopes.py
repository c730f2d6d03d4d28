"""Who sees a loan (API.md "Who sees what"): its bank's officers and managers, its borrower (a farmer of
the household) and admins; the guarantee agency and the fund manager join when risk sharing comes. Anyone
else gets 404."""
from finplat.auth.permissions import scope_rule
from finplat.loans.models import Loan


@scope_rule(Loan)
def loans(stmt, actor):
    if actor.role == "farmer":
        return stmt.where(Loan.borrower_id == actor.party_id)
    if actor.role in ("loan_officer", "bank_manager"):
        return stmt.where(Loan.bank_id == actor.institution_id)
    return stmt.where(False)
