"""Who sees a contract: the institution that signed it (a bank's officers and managers) and, for a loan's
contracts, the borrower (a farmer of the household). Admins see all. The guarantee agency joins when
guarantees come."""
from sqlalchemy import select

from finplat.auth.permissions import scope_rule
from finplat.contracts.models import Contract
from finplat.loans.models import Loan


@scope_rule(Contract)
def contracts(stmt, actor):
    if actor.role == "farmer":
        return stmt.where(Contract.loan_id.in_(select(Loan.id).where(Loan.borrower_id == actor.party_id)))
    if actor.institution_id is None:
        return stmt.where(False)
    return stmt.where(Contract.institution_id == actor.institution_id)
