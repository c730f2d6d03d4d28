"""Who sees the registry (API.md "Who sees what"): it is the rights centre's public record, readable by every
logged-in institution user; a farmer sees their own household and what it holds."""
from sqlalchemy import or_, select

from finplat.auth.permissions import scope_rule
from finplat.registry.models import Lien, Party, Right, ShareRegister, Shareholding


@scope_rule(Party)
def parties(stmt, actor):
    if actor.role == "farmer":
        return stmt.where(or_(Party.id == actor.party_id, Party.id == _collective_of(actor)))
    return stmt


@scope_rule(Right)
def rights(stmt, actor):
    return stmt.where(Right.holder_id == actor.party_id) if actor.role == "farmer" else stmt


@scope_rule(ShareRegister)
def share_registers(stmt, actor):
    return stmt.where(ShareRegister.collective_id == _collective_of(actor)) if actor.role == "farmer" else stmt


@scope_rule(Shareholding)
def shareholdings(stmt, actor):
    return stmt.where(Shareholding.member_id == actor.party_id) if actor.role == "farmer" else stmt


@scope_rule(Lien)
def liens(stmt, actor):
    if actor.role != "farmer":
        return stmt
    return stmt.where(or_(Lien.right_id.in_(select(Right.id).where(Right.holder_id == actor.party_id)),
                          Lien.shareholding_id.in_(select(Shareholding.id)
                                                   .where(Shareholding.member_id == actor.party_id))))


def _collective_of(actor):
    from finplat.extensions import db
    household = db.session.get(Party, actor.party_id) if actor.party_id else None
    return household.collective_id if household else None
