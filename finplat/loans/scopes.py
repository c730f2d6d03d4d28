"""Who sees a loan (API.md "Who sees what"): its bank's officers and managers, its borrower (a farmer of
the household), a guarantee agency asked to guarantee it, the fund managers of a fund it claims on, and
admins. Anyone else gets 404."""
from sqlalchemy import exists

from finplat.auth.permissions import scope_rule
from finplat.loans.models import Loan
from finplat.risk.models import Claim, Fund, Guarantee


@scope_rule(Loan)
def loans(stmt, actor):
    if actor.role == "farmer":
        return stmt.where(Loan.borrower_id == actor.party_id)
    if actor.role in ("loan_officer", "bank_manager"):
        return stmt.where(Loan.bank_id == actor.institution_id)
    if actor.role == "guarantor":
        return stmt.where(exists().where(Guarantee.loan_id == Loan.id, Guarantee.agency_id == actor.institution_id))
    if actor.role == "fund_manager":
        return stmt.where(exists().where(Claim.loan_id == Loan.id, Claim.fund_id == Fund.id,
                                         Fund.administrator_id == actor.institution_id))
    return stmt.where(False)
