"""Who sees which institutions and users (API.md, "Who sees what")."""
from finplat.auth.models import Institution, User
from finplat.auth.permissions import scope_rule


@scope_rule(Institution)
def institutions(stmt, actor):
    # The directory of institutions is public to every logged-in user: lenders, agencies and appraisers
    # need to find one another.
    return stmt


@scope_rule(User)
def users(stmt, actor):
    if actor.role == "farmer":
        return stmt.where(User.id == actor.id)
    return stmt.where(User.institution_id == actor.institution_id)
