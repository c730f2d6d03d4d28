"""Who sees a contract: the institution that signed it (a bank's officers and managers). Admins see all.
Origination adds the loan's other parties (guarantor, borrower) when contracts belong to loans."""
from finplat.auth.permissions import scope_rule
from finplat.contracts.models import Contract


@scope_rule(Contract)
def contracts(stmt, actor):
    if actor.institution_id is None:
        return stmt.where(False)
    return stmt.where(Contract.institution_id == actor.institution_id)
