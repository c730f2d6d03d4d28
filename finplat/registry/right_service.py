"""Rights: registration, consents, freeze, unfreeze, withdrawal and expiry (DESIGN.md §3.2). Each change
commits with its event (events.record, which also writes the audit record); the rules themselves are in
right_rules.

Statuses: a right is registered `active`; the lien service makes it `encumbered` and back. Freeze takes an
active or encumbered right to `frozen` and keeps the status it left in the event's details; unfreeze returns
to it, unless the liens changed meanwhile (a live lien means `encumbered`, none `active`). Only an active
right without a live lien may be withdrawn. COB expires active rights whose term has ended; a right with a
live lien never expires silently: it gets one `expiry_warning` event 180 days before its term ends.
"""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from finplat import cob
from finplat.api_base import MAX_ID
from finplat.auth.permissions import get_visible, visible
from finplat.errors import Conflict, NotFound, field_error, invalid_fields
from finplat.extensions import db
from finplat.registry import events, right_rules
from finplat.registry.models import Consent, HouseholdMember, Lien, Party, Right, RightEvent

FREEZABLE = ("active", "encumbered")
CLOSED = ("disposed", "expired", "withdrawn")  # no more consents, freezes or withdrawals
EXPIRY_WARNING_DAYS = 180
EVENT_BATCH = 5000  # rights per bulk insert of events (bound parameters are limited)


def live_lien_exists(right_id_column):
    return exists().where(Lien.right_id == right_id_column, Lien.status == "live")


def has_live_lien(right_id: int) -> bool:
    return db.session.execute(select(live_lien_exists(right_id))).scalar()


def holder_is_contractor(right: Right) -> bool:
    """Whether the holder of a land management right is the contracting household rather than a transferee:
    a transferee's right names the contracted right it was let out of (attributes.contract_right_id)."""
    return right.holder.kind == "household" and not right.attributes.get("contract_right_id")


def _contract_facts(right_id: int | None) -> dict | None:
    """What right_rules.contract_right_errors needs of a contracted right; a missing one has no kind."""
    if right_id is None:
        return None
    contract = db.session.get(Right, right_id)
    if contract is None:
        return {"kind": None, "holder_kind": None, "holder_id": None, "status": None, "term_end": None,
                "collective_id": None}
    return {"kind": contract.kind, "holder_kind": contract.holder.kind, "holder_id": contract.holder_id,
            "status": contract.status, "term_end": contract.term_end, "collective_id": contract.holder.collective_id}


def _collective_of(right: Right, contract: dict | None) -> int | None:
    """The collective a right's filings, consents and meetings come from: the one that let a transferee's land
    (its contractor's), a household's own, a collective holder itself; None when the registry cannot tell (an
    enterprise's construction land: the granting collective is not recorded)."""
    if contract is not None:
        return contract["collective_id"]
    if right.holder.kind == "collective":
        return right.holder_id
    return right.holder.collective_id


# --- registration

def register_right(actor, data: dict) -> Right:
    holder = db.session.get(Party, data["holder_id"])
    if holder is None:
        raise field_error("holder_id", "no such party")
    errors = right_rules.right_errors(data["kind"], holder.kind, data["area_unit"], data.get("term_start"),
                                      data.get("term_end"), data["attributes"])
    if data["kind"] == "land_management":
        contract = _contract_facts(data["attributes"].get("contract_right_id"))
        errors = {**right_rules.contract_right_errors(holder.kind, holder.id, data.get("term_end"), contract),
                  **errors}
    year_built = data["attributes"].get("year_built")
    if year_built is not None and year_built > cob.open_date().year:
        errors.setdefault("attributes", {})["year_built"] = ["must not be after the current year"]
    if errors:
        raise invalid_fields(errors)
    taken = field_error("certificate_no", "a right with that certificate number is registered", Conflict,
                        code="duplicate")
    if db.session.execute(select(Right.id).where(Right.certificate_no == data["certificate_no"])).first():
        raise taken
    right = Right(kind=data["kind"], certificate_no=data["certificate_no"], holder_id=holder.id,
                  region_code=data["region_code"], area=data["area"], area_unit=data["area_unit"],
                  term_start=data.get("term_start"), term_end=data.get("term_end"), attributes=data["attributes"],
                  status="active")
    db.session.add(right)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent registration took the number between the check and the insert
        db.session.rollback()
        if db.session.execute(select(Right.id).where(Right.certificate_no == data["certificate_no"])).first():
            raise taken from None
        raise
    events.record(right, "registered", actor)
    db.session.commit()
    return right


# --- reading

def get_right(actor, right_id: int) -> Right:
    return get_visible(Right, right_id, actor)


def describe(actor, right_id: int, as_of: date | None = None) -> dict:
    """The right whole (RightSchema), now or as it stood at the close of `as_of`."""
    right = get_right(actor, right_id)
    if as_of is None:
        # The right is visible to `actor`, and so are the liens on it.
        liens = db.session.execute(select(Lien).where(Lien.right_id == right.id, Lien.status == "live")
                                   .order_by(Lien.rank, Lien.id)).scalars().all()
        return {**_columns(right), "holder_name": right.holder.name, "consents": list(right.consents),
                "liens": liens, "certified_value": _certified_value(right.id), "as_of": None}
    snapshot = events.as_of(right.id, as_of)
    if snapshot is None:
        raise NotFound(f"right {right_id} was not registered on {as_of.isoformat()}")
    recorded = select(RightEvent.details).where(RightEvent.right_id == right.id, RightEvent.kind == "consent_recorded",
                                                RightEvent.business_date <= as_of)
    consent_ids = {details["consent_id"] for details in db.session.execute(recorded).scalars() if details}
    holder = db.session.get(Party, snapshot["holder_id"])
    snapshot = {**snapshot, "area": Decimal(snapshot["area"]),
                **{key: date.fromisoformat(snapshot[key]) if snapshot.get(key) else None
                   for key in ("term_start", "term_end")}}
    return {**_columns(right), **snapshot, "holder_name": holder.name if holder else None,
            "consents": [c for c in right.consents if c.id in consent_ids], "liens": None,
            "certified_value": _certified_value(right.id, as_of), "as_of": as_of}


def _certified_value(right_id: int, day: date | None = None) -> Decimal | None:
    """The value of the certified valuation in force (on `day`, default the open date), or None."""
    from finplat.valuation.service import certified_value  # valuation builds on the registry, not back
    return certified_value(right_id, day)


def _columns(right: Right) -> dict:
    return {name: getattr(right, name) for name in (
        "id", "kind", "certificate_no", "holder_id", "region_code", "area", "area_unit", "term_start", "term_end",
        "attributes", "status", "created_at")}


def search(actor, holder_id=None, kind=None, status=None, certificate_no=None, village=None):
    """A SELECT of the rights `actor` may see that match every filter given."""
    stmt = visible(Right, actor).order_by(Right.id)
    if holder_id:
        stmt = stmt.where(Right.holder_id == holder_id)
    if kind:
        stmt = stmt.where(Right.kind == kind)
    if status:
        stmt = stmt.where(Right.status == status)
    if certificate_no:
        stmt = stmt.where(Right.certificate_no == certificate_no)
    if village:
        stmt = stmt.join(Party, Party.id == Right.holder_id).where(Party.village == village)
    return stmt


def history(actor, right_id: int):
    """A SELECT of the right's events, oldest first (404 for a right `actor` may not see)."""
    return events.events_of(get_right(actor, right_id).id)


# --- changes

def _locked(actor, right_id: int) -> Right:
    """The right, its row locked until commit (the lien service locks it too), fresh from the database."""
    right = None
    if 1 <= right_id <= MAX_ID:
        right = db.session.execute(visible(Right, actor).where(Right.id == right_id).with_for_update()
                                   .execution_options(populate_existing=True)).scalar_one_or_none()
    if right is None:
        raise NotFound(f"no right {right_id}")
    return right


def record_consent(actor, right_id: int, data: dict) -> Consent:
    right = _locked(actor, right_id)
    if right.status in CLOSED:
        raise Conflict(f"right {right.id} is {right.status}: no consent can be recorded", code="invalid_status")
    party = db.session.get(Party, data["party_id"])
    if party is None:
        raise field_error("party_id", "no such party")
    member = db.session.get(HouseholdMember, data["member_id"]) if data.get("member_id") else None
    if data.get("member_id") and member is None:
        raise field_error("member_id", "no such household member")
    contract = _contract_facts(right.attributes.get("contract_right_id"))
    errors = right_rules.consent_party_errors(
        data["kind"], party.kind, right.kind, party.id, _collective_of(right, contract), holder_id=right.holder_id,
        contractor_id=contract["holder_id"] if contract else None, member_id=data.get("member_id"),
        member_household_id=member.household_id if member else None)
    if data["signed_on"] > cob.open_date():
        errors["signed_on"] = ["must not be after the business date"]
    if errors:
        raise invalid_fields(errors)
    consent = Consent(right_id=right.id, kind=data["kind"], party_id=party.id, member_id=data.get("member_id"),
                      document_ref=data["document_ref"], signed_on=data["signed_on"])
    db.session.add(consent)
    db.session.flush()
    details = {"consent_id": consent.id, "kind": consent.kind, "party_id": party.id,
               "document_ref": consent.document_ref, "signed_on": consent.signed_on.isoformat()}
    if member is not None:
        details["member_id"] = member.id
    events.record(right, "consent_recorded", actor, status_before=right.status, details=details)
    db.session.commit()
    return consent


def missing_consents(right: Right) -> list[str]:
    """The consents a mortgage of `right` still needs (for origination): for a house, every member of the
    holding household is a co-owner whose consent must be on file."""
    # Consents given before the right last changed hands were given for the old holder: they do not count.
    moved = db.session.execute(select(func.max(RightEvent.occurred_at)).where(
        RightEvent.right_id == right.id, RightEvent.kind == "transferred")).scalar()
    query = select(Consent.kind, Consent.member_id).where(Consent.right_id == right.id)
    if moved is not None:
        query = query.where(Consent.recorded_at > moved)
    consents = db.session.execute(query).all()
    co_owners = ()
    if right.kind == "house":
        co_owners = db.session.execute(select(HouseholdMember.id)
                                       .where(HouseholdMember.household_id == right.holder_id)).scalars().all()
    return right_rules.missing_consents(right.kind, [kind for kind, _ in consents], holder_is_contractor(right),
                                        co_owners, [member for kind, member in consents if kind == "co_owner"])


def freeze(actor, right_id: int, reason: str) -> Right:
    right = _locked(actor, right_id)
    if right.status not in FREEZABLE:
        raise Conflict(f"right {right.id} is {right.status}: only an active or encumbered right can be frozen",
                       code="invalid_status")
    before = right.status
    right.status = "frozen"
    events.record(right, "frozen", actor, status_before=before, details={"reason": reason, "return_to": before})
    db.session.commit()
    return right


def unfreeze(actor, right_id: int, reason: str | None = None) -> Right:
    right = _locked(actor, right_id)
    if right.status != "frozen":
        raise Conflict(f"right {right.id} is {right.status}, not frozen", code="invalid_status")
    frozen = db.session.execute(select(RightEvent.details).where(RightEvent.right_id == right.id,
                                                                 RightEvent.kind == "frozen")
                                .order_by(RightEvent.id.desc()).limit(1)).scalar_one_or_none() or {}
    remembered = frozen.get("return_to")
    # The liens decide if they changed while the right was frozen (API.md: a live lien means encumbered).
    back = "encumbered" if has_live_lien(right.id) else "active"
    right.status = back
    events.record(right, "unfrozen", actor, status_before="frozen",
                  details={"reason": reason, "return_to": remembered} if reason else {"return_to": remembered})
    db.session.commit()
    return right


def withdraw(actor, right_id: int, reason: str) -> Right:
    right = _locked(actor, right_id)
    if has_live_lien(right.id):
        raise Conflict(f"right {right.id} has a live lien: it cannot be withdrawn", code="encumbered")
    if right.status != "active":
        raise Conflict(f"right {right.id} is {right.status}: only an active right can be withdrawn",
                       code="invalid_status")
    right.status = "withdrawn"
    events.record(right, "withdrawn", actor, status_before="active", details={"reason": reason})
    db.session.commit()
    return right


def transfer(actor, right_id: int, data: dict) -> Right:
    """Move a right to a new holder (a land-management transfer, a sale of a construction-land right...).
    A frozen right, or one under a live lien, cannot move; the new holder must be a kind that may hold it."""
    right = _locked(actor, right_id)
    if right.status == "frozen":
        raise Conflict(f"right {right.id} is frozen: it cannot be transferred", code="collateral_frozen")
    if has_live_lien(right.id):
        raise Conflict(f"right {right.id} has a live lien: it cannot be transferred", code="encumbered")
    if right.status != "active":
        raise Conflict(f"right {right.id} is {right.status}: only an active right can be transferred",
                       code="invalid_status")
    holder = db.session.get(Party, data["to_holder_id"])
    if holder is None:
        raise field_error("to_holder_id", "no such party")
    if holder.id == right.holder_id:
        raise field_error("to_holder_id", "the right is already held by this party")
    errors = right_rules.holder_errors(right.kind, holder.kind)
    if errors:
        raise invalid_fields({"to_holder_id": errors["holder_id"]})
    if right.kind == "land_management" and holder_is_contractor(right) and holder.kind != "household":
        raise field_error("to_holder_id", "a contracted right passes only to a household: a transferee registers "
                                          "its own right naming this one as its contract")
    before = right.holder_id
    right.holder_id = holder.id
    events.record(right, "transferred", actor, status_before=right.status,
                  details={"from_holder_id": before, "to_holder_id": holder.id,
                           "document_ref": data["document_ref"]})
    db.session.commit()
    return right


# --- close of business

@cob.cob_step("registry.expiry", order=100)
def expire_rights(day: date) -> dict:
    """At the close of `day`: active rights without a live lien whose term ended before `day` expire (one
    UPDATE); each right with a live lien whose term ends within 180 days gets one `expiry_warning` event,
    never repeated. The events are inserted in bulk; the COB run's audit record covers them."""
    expired_ids = db.session.execute(
        update(Right).where(Right.status == "active", Right.term_end < day, ~live_lien_exists(Right.id))
        .values(status="expired").returning(Right.id)).scalars().all()
    _insert_events(expired_ids, day, "expired", "active", {"term_end_before": day.isoformat()})

    already_warned = exists().where(RightEvent.right_id == Right.id, RightEvent.kind == "expiry_warning")
    warn = db.session.execute(
        select(Right.id).where(Right.term_end <= day + timedelta(days=EXPIRY_WARNING_DAYS), Right.status.not_in(CLOSED),
                               live_lien_exists(Right.id), ~already_warned)).scalars().all()
    _insert_events(warn, day, "expiry_warning", None, {"warning_days": EXPIRY_WARNING_DAYS})
    return {"expired": len(expired_ids), "expiry_warnings": len(warn)}


def _insert_events(right_ids, day: date, kind: str, status_before: str | None, details: dict):
    for start in range(0, len(right_ids), EVENT_BATCH):
        rights = db.session.execute(select(Right).where(Right.id.in_(right_ids[start:start + EVENT_BATCH]))
                                    .execution_options(populate_existing=True)).scalars().all()
        db.session.execute(insert(RightEvent), [
            {"right_id": r.id, "kind": kind, "status_before": status_before or r.status, "status_after": r.status,
             "snapshot": events.snapshot(r), "details": {**details, "term_end": r.term_end.isoformat()},
             "actor_id": None, "actor": "system:cob", "business_date": day} for r in rights])
