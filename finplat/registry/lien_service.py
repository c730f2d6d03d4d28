"""Liens: the registry's interface for origination (no route of its own).

A mortgage of a right or a pledge of part of a shareholding. The caller passes `max_secured`, the most that
may be secured (origination: certified value x the product's LTV cap), and the lien is refused when it would
take the secured amounts past it. The right's (or the shareholding's) row is locked first, with SELECT ... FOR
NO KEY UPDATE (what an UPDATE takes: it queues every other writer of the row, but not the foreign-key checks
of rows inserted meanwhile that refer to it), and every check is made after the lock, so two concurrent
requests can never both encumber the same value: the second waits for the first to commit and then sees its
lien.

- On a right, `max_secured` bounds the sum of the secured amounts of all its live liens (this one
  included); rank = the number of live liens + 1.
- On a shareholding, `max_secured` is the most that may be secured on the shares pledged by this lien (the
  other pledges of the holding cover other shares), and the pledged shares of all live pledges may not
  exceed the holding.
- Ranks are positions among the live liens of one collateral: releasing a lien moves the liens ranked
  after it up one place, so that rank = number of live liens + 1 always numbers a new lien last.

The functions commit with their audit record unless called with `commit=False`, which lets origination
register liens in its own transaction (the row lock is then held until the caller commits).
"""
from decimal import Decimal

from sqlalchemy import func, select

from finplat import audit, cob
from finplat.columns import utcnow
from finplat.errors import Conflict, NotFound, RuleViolation, field_error
from finplat.extensions import db
from finplat.money import FEN, yuan
from finplat.registry import events, right_service
from finplat.registry.models import LIEN_KINDS, Lien, Right, Shareholding

INACTIVE = ("withdrawn", "disposed", "expired")


def _amount(field: str, value, minimum=Decimal(0), strict=False) -> Decimal:
    try:
        amount = yuan(value)
    except (TypeError, ValueError):
        raise field_error(field, "must be an amount of yuan") from None
    if not amount.is_finite() or amount != amount.quantize(FEN):
        raise field_error(field, "must be an amount with at most two decimals")
    if amount < minimum or (strict and amount == minimum):
        raise field_error(field, f"must be {'more than' if strict else 'at least'} {minimum}")
    return amount.quantize(FEN)


def _locked(model, object_id):
    """The row, locked until the transaction ends (PostgreSQL), read afresh even if the session holds it."""
    return db.session.execute(select(model).where(model.id == object_id).with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _live(*criteria):
    return select(Lien).where(Lien.status == "live", *criteria).order_by(Lien.rank, Lien.id)


def live_liens(right_id: int | None = None, shareholding_id: int | None = None) -> list[Lien]:
    column, value = (Lien.right_id, right_id) if right_id is not None else (Lien.shareholding_id, shareholding_id)
    return db.session.execute(_live(column == value)).scalars().all()


def _not_securing(excluding):
    """Liens other than those securing `excluding` = (secures_type, secures_id), or every lien for None."""
    if excluding is None:
        return True
    return ~((Lien.secures_type == excluding[0]) & (Lien.secures_id == str(excluding[1])))


def live_secured(right_id: int, excluding=None) -> Decimal:
    """The sum of the secured amounts of a right's live liens (but those securing `excluding`)."""
    return db.session.execute(select(func.coalesce(func.sum(Lien.secured_amount), 0))
                              .where(Lien.right_id == right_id, Lien.status == "live", _not_securing(excluding))
                              ).scalar_one() + Decimal("0.00")


def live_pledged_shares(shareholding_id: int, excluding=None) -> int:
    """The shares of a holding under live pledges (but those securing `excluding`)."""
    return int(db.session.execute(select(func.coalesce(func.sum(Lien.shares), 0))
                                  .where(Lien.shareholding_id == shareholding_id, Lien.status == "live",
                                         _not_securing(excluding))).scalar_one())


def snapshot(lien: Lien) -> dict:
    return {"lien_id": lien.id, "kind": lien.kind, "right_id": lien.right_id, "shareholding_id": lien.shareholding_id,
            "shares": lien.shares, "rank": lien.rank, "secured_amount": str(lien.secured_amount),
            "secures_type": lien.secures_type, "secures_id": lien.secures_id, "holder_id": lien.holder_id,
            "status": lien.status}


def create_lien(actor, *, right_id=None, shareholding_id=None, shares=None, kind, secured_amount, max_secured,
                secures_type, secures_id, holder_id=None, commit=True) -> Lien:
    if (right_id is None) == (shareholding_id is None):
        raise field_error("right_id", "give either a right_id or a shareholding_id")
    if kind not in LIEN_KINDS:
        raise field_error("kind", f"must be one of {', '.join(LIEN_KINDS)}")
    if right_id is not None and kind != "mortgage":
        raise field_error("kind", "a right is mortgaged")
    if shareholding_id is not None and kind != "pledge":
        raise field_error("kind", "shares are pledged")
    secured_amount = _amount("secured_amount", secured_amount, strict=True)
    max_secured = _amount("max_secured", max_secured)
    if not secures_type or secures_id is None or str(secures_id) == "":
        raise field_error("secures_type", "say what the lien secures")
    lien = Lien(kind=kind, secured_amount=secured_amount, secures_type=secures_type, secures_id=str(secures_id),
                holder_id=holder_id, status="live")
    if right_id is not None:
        if shares is not None:
            raise field_error("shares", "only a pledge of a shareholding has shares")
        _lien_on_right(actor, lien, right_id, max_secured)
    else:
        _pledge_of_shares(actor, lien, shareholding_id, shares, max_secured)
    if commit:
        db.session.commit()
    return lien


def create_liens(actor, liens: list[dict], commit=True) -> list[Lien]:
    """Several liens (a loan secured by more than one right or holding) in one transaction, all or none.
    Every row is locked first, in one order (rights, then holdings, each by id), and only then are the liens
    written with their audit records (whose lock is the platform's): so two callers securing overlapping
    collateral wait for each other instead of deadlocking. Each dict holds create_lien's keyword arguments;
    the liens come back in the order given."""
    def order(spec):
        return (spec.get("right_id") is None, spec.get("right_id") or spec.get("shareholding_id") or 0)

    made = {}
    try:
        ordered = sorted(enumerate(liens), key=lambda pair: order(pair[1]))
        for _, spec in ordered:
            if spec.get("right_id") is not None:
                _locked(Right, spec["right_id"])
            elif spec.get("shareholding_id") is not None:
                _locked(Shareholding, spec["shareholding_id"])
        for index, spec in ordered:
            made[index] = create_lien(actor, **spec, commit=False)
    except BaseException:
        db.session.rollback()
        raise
    if commit:
        db.session.commit()
    return [made[i] for i in range(len(liens))]


def _lien_on_right(actor, lien: Lien, right_id: int, max_secured: Decimal):
    right = _locked(Right, right_id)
    if right is None:
        raise NotFound(f"no right {right_id}")
    if right.status == "frozen":
        raise field_error("right_id", "the right is frozen", Conflict, code="collateral_frozen")
    if right.status in INACTIVE:
        raise field_error("right_id", f"the right is {right.status}", Conflict, code="collateral_not_active")
    if right.term_end is not None and right.term_end < cob.open_date():
        raise field_error("right_id", f"the right's term ended on {right.term_end}", Conflict,
                          code="collateral_not_active")
    missing = right_service.missing_consents(right)
    if missing:  # the centre registers no mortgage without the consents the law asks for (DESIGN.md §3.2)
        raise RuleViolation(f"a mortgage of this right needs consents not on file: {', '.join(missing)}",
                            fields={"consents": missing}, code="consent_missing")
    live = live_liens(right_id=right.id)
    secured = sum((other.secured_amount for other in live), Decimal("0.00"))
    if secured + lien.secured_amount > max_secured:
        raise field_error("secured_amount", f"{secured} is already secured on the right: {lien.secured_amount} "
                          f"more passes the limit of {max_secured}", Conflict, code="lien_exceeds_limit")
    lien.right_id, lien.rank = right.id, len(live) + 1
    db.session.add(lien)
    db.session.flush()
    status_before, right.status = right.status, "encumbered"
    events.record(right, "encumbered", actor, status_before, details=snapshot(lien))


def _pledge_of_shares(actor, lien: Lien, shareholding_id: int, shares, max_secured: Decimal):
    if isinstance(shares, bool) or not isinstance(shares, int) or shares <= 0:
        raise field_error("shares", "a pledge of shares needs a whole number of shares, more than 0")
    holding = _locked(Shareholding, shareholding_id)
    if holding is None:
        raise NotFound(f"no shareholding {shareholding_id}")
    if shares > holding.shares:
        raise field_error("shares", f"the holding has only {holding.shares} shares")
    pledged = live_pledged_shares(holding.id)
    if pledged + shares > holding.shares:
        raise field_error("shares", f"{pledged} of the holding's {holding.shares} shares are already pledged",
                          Conflict, code="shares_already_pledged")
    if lien.secured_amount > max_secured:
        raise field_error("secured_amount", f"{lien.secured_amount} passes the limit of {max_secured}", Conflict,
                          code="lien_exceeds_limit")
    lien.shareholding_id, lien.shares = holding.id, shares
    lien.rank = len(live_liens(shareholding_id=holding.id)) + 1
    db.session.add(lien)
    db.session.flush()
    audit.record(actor, "lien.create", "lien", lien.id, after=snapshot(lien))


def release_lien(actor, lien_id: int, commit=True) -> Lien:
    """Release a live lien (its loan is paid off). When a right's last live lien goes, the right is active
    again (unless it is frozen, disposed, ... meanwhile: that status stays)."""
    lien = db.session.get(Lien, lien_id)
    if lien is None:
        raise NotFound(f"no lien {lien_id}")
    if lien.right_id is not None:
        collateral = _locked(Right, lien.right_id)
    else:
        collateral = _locked(Shareholding, lien.shareholding_id)
    lien = _locked(Lien, lien_id)  # the collateral first, as create_lien does
    if lien.status != "live":
        raise Conflict(f"lien {lien_id} is already released", code="lien_released")
    lien.status, lien.released_at = "released", utcnow()
    db.session.flush()
    remaining = live_liens(right_id=lien.right_id, shareholding_id=lien.shareholding_id)
    for rank, other in enumerate(remaining, start=1):
        other.rank = rank
    details = {**snapshot(lien), "live_liens": len(remaining)}
    if lien.right_id is not None:
        status_before = collateral.status
        if not remaining and collateral.status == "encumbered":
            collateral.status = "active"
        events.record(collateral, "released", actor, status_before, details=details)
    else:
        audit.record(actor, "lien.release", "lien", lien.id, before={"status": "live"}, after=details)
    if commit:
        db.session.commit()
    return lien
