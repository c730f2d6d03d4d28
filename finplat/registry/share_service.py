"""Collective share registers (集体资产股权, DESIGN.md §3.2): a collective's total shares, quantified to its
member households, and transfers between its members. Pledges of shares are liens (lien_service).

Locks, always in this order so that no two operations wait on each other in a circle: the register row,
then shareholdings in id order. Replacing the register locks the register and every holding of it; a
transfer locks both holdings (and the register only when it creates the receiver's holding); a pledge locks
its holding. So pledges, transfers and register changes of one holding queue, and none of them can take
shares that another has just pledged or moved. The locks are FOR NO KEY UPDATE (what an UPDATE takes):
they queue the operations above but not the foreign-key checks of rows inserted meanwhile (a transfer's
row refers to the register), which would otherwise close a circle with a register change.

A member dropped from the register keeps a holding of 0 shares (liens and valuations may refer to it); the
register lists the holdings with shares.
"""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from finplat import audit, cob
from finplat.api_base import MAX_ID
from finplat.auth.permissions import visible
from finplat.columns import utcnow
from finplat.errors import Conflict, NotFound, field_error
from finplat.extensions import db
from finplat.registry.lien_service import live_pledged_shares
from finplat.registry.models import Lien, Party, ShareRegister, Shareholding, ShareTransfer


def _collective(collective_id: int) -> Party:
    party = db.session.get(Party, collective_id) if 1 <= collective_id <= MAX_ID else None
    if party is None or party.kind != "collective":
        raise NotFound(f"no collective {collective_id}")
    return party


def _is_member(party: Party | None, collective_id: int) -> bool:
    return party is not None and party.kind == "household" and party.collective_id == collective_id


def _pledged(holding_ids) -> dict[int, int]:
    if not holding_ids:
        return {}
    rows = db.session.execute(select(Lien.shareholding_id, func.sum(Lien.shares))
                              .where(Lien.shareholding_id.in_(holding_ids), Lien.status == "live")
                              .group_by(Lien.shareholding_id)).all()
    return {holding_id: int(shares) for holding_id, shares in rows}


def _lock_register(collective_id: int) -> ShareRegister | None:
    return db.session.execute(select(ShareRegister).where(ShareRegister.collective_id == collective_id)
                              .with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _lock_holdings(*criteria) -> list[Shareholding]:
    return db.session.execute(select(Shareholding).where(*criteria).order_by(Shareholding.id)
                              .with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).scalars().all()


def _holding(collective_id: int, member_id: int) -> Shareholding | None:
    return db.session.execute(select(Shareholding).where(Shareholding.collective_id == collective_id,
                                                         Shareholding.member_id == member_id)).scalar_one_or_none()


def _state(register: ShareRegister, holdings) -> dict:
    return {"total_shares": register.total_shares,
            "holdings": [[h.member_id, h.shares] for h in sorted(holdings, key=lambda h: h.member_id) if h.shares]}


def register_view(actor, collective_id: int) -> dict:
    """The register as `actor` may see it: a farmer sees their own collective's, and only their own holding."""
    register = None
    if 1 <= collective_id <= MAX_ID:
        register = db.session.execute(visible(ShareRegister, actor)
                                      .where(ShareRegister.collective_id == collective_id)).scalar_one_or_none()
    if register is None:
        raise NotFound(f"no share register for collective {collective_id}")
    holdings = db.session.execute(visible(Shareholding, actor)
                                  .where(Shareholding.collective_id == collective_id, Shareholding.shares > 0)
                                  .order_by(Shareholding.member_id)).scalars().all()
    pledged = _pledged([h.id for h in holdings])
    allocated = db.session.execute(select(func.coalesce(func.sum(Shareholding.shares), 0))
                                   .where(Shareholding.collective_id == collective_id)).scalar_one()
    return {"collective_id": collective_id, "total_shares": register.total_shares, "allocated": int(allocated),
            "updated_at": register.updated_at,
            "holdings": [{"shareholding_id": h.id, "member_id": h.member_id, "member_name": h.member.name,
                          "shares": h.shares, "pledged_shares": pledged.get(h.id, 0)} for h in holdings]}


def put_register(actor, collective_id: int, data: dict) -> dict:
    """Replace the collective's register: its total and every member's holding, all at once."""
    _collective(collective_id)
    total, allocations = data["total_shares"], data["allocations"]
    wanted: dict[int, int] = {}
    for allocation in allocations:
        if allocation["member_id"] in wanted:
            raise field_error("allocations", f"member {allocation['member_id']} is listed twice")
        wanted[allocation["member_id"]] = allocation["shares"]
    members = {p.id: p for p in db.session.execute(select(Party).where(Party.id.in_(wanted))).scalars()}
    for member_id in wanted:
        if not _is_member(members.get(member_id), collective_id):
            raise field_error("allocations", f"party {member_id} is not a household of collective {collective_id}")
    allocated = sum(wanted.values())
    if allocated > total:
        raise field_error("allocations", f"{allocated} shares allocated: more than the total of {total}")

    register = _lock_register(collective_id)
    holdings = _lock_holdings(Shareholding.collective_id == collective_id)
    pledged = _pledged([h.id for h in holdings])
    for h in holdings:
        if wanted.get(h.member_id, 0) < pledged.get(h.id, 0):
            raise field_error("allocations", f"member {h.member_id} has {pledged[h.id]} shares pledged: the holding "
                              "cannot go below them", Conflict, code="shares_pledged")
    before = _state(register, holdings) if register else None
    if register is None:
        register = ShareRegister(collective_id=collective_id, total_shares=total)
        db.session.add(register)
        try:
            db.session.flush()
        except IntegrityError:  # another request created it first
            db.session.rollback()
            raise Conflict("the share register was created meanwhile: read it and try again") from None
    register.total_shares, register.updated_at = total, utcnow()
    for h in holdings:
        h.shares = wanted.pop(h.member_id, 0)
    new = [Shareholding(collective_id=collective_id, member_id=m, shares=s) for m, s in wanted.items() if s]
    db.session.add_all(new)
    db.session.flush()
    audit.record(actor, "share_register.put", "share_register", collective_id, before=before,
                 after=_state(register, holdings + new))
    db.session.commit()
    return register_view(actor, collective_id)


def transfer(actor, collective_id: int, data: dict) -> ShareTransfer:
    """Move shares between two members of the collective. Pledged shares stay where they are; a freeze of a
    right does not reach shares."""
    _collective(collective_id)
    if db.session.get(ShareRegister, collective_id) is None:
        raise NotFound(f"no share register for collective {collective_id}")
    from_id, to_id, shares = data["from_member_id"], data["to_member_id"], data["shares"]
    if not _is_member(db.session.get(Party, from_id), collective_id):
        raise field_error("from_member_id", f"party {from_id} is not a household of collective {collective_id}")
    if not _is_member(db.session.get(Party, to_id), collective_id):
        raise field_error("to_member_id", f"party {to_id} is not a household of collective {collective_id}: "
                          "shares move only between members of the same collective")
    if from_id == to_id:
        raise field_error("to_member_id", "must differ from from_member_id")
    sender = _holding(collective_id, from_id)
    if sender is None:
        raise field_error("shares", f"member {from_id} holds no shares")
    receiver = _holding(collective_id, to_id)
    if receiver is None:
        _lock_register(collective_id)  # creators of holdings queue here
        receiver = _holding(collective_id, to_id)
        if receiver is None:
            receiver = Shareholding(collective_id=collective_id, member_id=to_id, shares=0)
            db.session.add(receiver)
            db.session.flush()
    _lock_holdings(Shareholding.id.in_([sender.id, receiver.id]))
    pledged = live_pledged_shares(sender.id)
    if shares > sender.shares:
        raise field_error("shares", f"member {from_id} holds only {sender.shares} shares")
    if shares > sender.shares - pledged:
        raise field_error("shares", f"{pledged} of member {from_id}'s {sender.shares} shares are pledged", Conflict,
                          code="shares_pledged")
    before = {"from_shares": sender.shares, "to_shares": receiver.shares}
    sender.shares -= shares
    receiver.shares += shares
    record = ShareTransfer(collective_id=collective_id, from_member_id=from_id, to_member_id=to_id, shares=shares,
                           business_date=cob.open_date(), actor=audit.service.actor_label(actor)[1])
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "share_transfer.create", "share_transfer", record.id, before=before,
                 after={"collective_id": collective_id, "from_member_id": from_id, "to_member_id": to_id,
                        "shares": shares, "from_shares": sender.shares, "to_shares": receiver.shares})
    db.session.commit()
    return record
