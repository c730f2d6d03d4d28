"""Who sees valuations (API.md "Who sees what"): certified, superseded and expired valuations are part of
the rights centre's public record, readable by every institution user; a draft is the appraisal agency's
own work in progress, seen only by its appraisers. A farmer sees the valuations of what their household
holds, drafts excepted."""
from sqlalchemy import or_, select

from finplat.auth.permissions import scope_rule
from finplat.registry.models import Right, Shareholding
from finplat.valuation.models import Valuation


@scope_rule(Valuation)
def valuations(stmt, actor):
    public = Valuation.status != "draft"
    if actor.role == "farmer":
        own = or_(Valuation.right_id.in_(select(Right.id).where(Right.holder_id == actor.party_id)),
                  Valuation.shareholding_id.in_(select(Shareholding.id).where(Shareholding.member_id == actor.party_id)))
        return stmt.where(public, own)
    if actor.role == "appraiser":
        return stmt.where(or_(public, Valuation.agency_id == actor.institution_id))
    return stmt.where(public)
