"""Valuation records (DESIGN.md §3.3, API.md "Valuation"): preview, request, certify, expire.

A valuation is requested by an appraiser of an appraisal agency for a right or a shareholding and computed at
once from the appraiser's inputs plus what derivation fills in, as of the open business date (its valuation
date, 评估基准日); it stays `draft` until an appraiser of the same agency certifies it, and only while that
agency's certification is valid. Like an appraisal report, it is valid for 12 months from its valuation date
(through the day before the same date a year on), however late it was certified: a draft past that is
refused certification. Certifying supersedes the collateral's previous certified valuation in the same
transaction, unless that one has the later valuation date (then the older draft is refused); the COB step
`valuation.expiry` expires the lapsed ones.
"""
from datetime import date, timedelta
from decimal import Decimal

from marshmallow import ValidationError
from sqlalchemy import select, update

from finplat import cob
from finplat.audit import record
from finplat.auth.permissions import get_visible, visible
from finplat.columns import utcnow
from finplat.errors import Conflict, Forbidden, field_error, invalid_fields
from finplat.extensions import db
from finplat.registry import right_service
from finplat.registry.models import Party, Right, ShareRegister, Shareholding
from finplat.valuation import derivation, methods
from finplat.valuation.method_schemas import load_inputs
from finplat.valuation.models import Valuation

CLOSED_RIGHTS = right_service.CLOSED
VALID_MONTHS = 12


def jsonable(value):
    """Decimals as strings, recursively: how inputs and figures are stored and served."""
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _compute(method: str, inputs: dict) -> methods.Result:
    try:
        return methods.compute(method, inputs)
    except methods.InvalidInputs as exc:
        raise invalid_fields({"inputs": exc.errors}) from None


def _load_inputs(method: str, raw: dict, partial: bool) -> dict:
    try:
        return load_inputs(method, raw, partial=partial)
    except ValidationError as exc:
        raise invalid_fields({"inputs": exc.messages}) from None


def preview(method: str, raw_inputs: dict) -> dict:
    """{value, low, high, details} of `method` on the inputs as given; nothing is recorded."""
    result = _compute(method, _load_inputs(method, raw_inputs, partial=False))
    return {"value": result.value, "low": result.low, "high": result.high, "details": jsonable(result.details)}


# --- requesting

def _collateral(actor, data: dict):
    """(Right or Shareholding, derivation.Collateral) named by the request, visible to `actor`."""
    if data.get("right_id"):
        right = get_visible(Right, data["right_id"], actor)
        if right.status in CLOSED_RIGHTS:
            raise Conflict(f"right {right.id} is {right.status}: it cannot be valued", code="invalid_status")
        return right, derivation.Collateral(kind=right.kind, region_code=right.region_code, area=right.area,
                                            area_unit=right.area_unit, term_end=right.term_end,
                                            attributes=right.attributes)
    holding = get_visible(Shareholding, data["shareholding_id"], actor)
    if holding.shares <= 0:
        raise Conflict(f"shareholding {holding.id} holds no shares", code="invalid_status")
    register = db.session.get(ShareRegister, holding.collective_id)
    collective = db.session.get(Party, holding.collective_id)
    return holding, derivation.Collateral(kind="collective_shares", region_code=collective.region_code,
                                          collective_id=collective.id, shares=holding.shares,
                                          total_shares=register.total_shares)


def _term_errors(inputs: dict, collateral: derivation.Collateral, day: date) -> dict:
    """Income and term corrections run on the right's remaining term, never beyond it."""
    if collateral.term_end is None:
        return {}
    left, term = derivation.remaining_years(collateral.term_end, day), derivation.years_left(collateral.term_end, day)
    errors = {}
    for name in ("years", "remaining_years"):
        if name in inputs and inputs[name] > term:
            errors[name] = [f"must not exceed the right's remaining term, {left} years"]
    return errors


def request_valuation(actor, data: dict) -> Valuation:
    """A draft valuation of a right or a shareholding (API.md: POST /valuations)."""
    day = cob.open_date()
    agency = getattr(actor, "institution", None)
    if agency is None or agency.kind != "appraisal_agency":
        raise Forbidden("valuations are requested by an appraiser of an appraisal agency", code="not_an_appraiser")
    target, collateral = _collateral(actor, data)
    method = data["method"]
    if method not in derivation.METHODS_BY_KIND[collateral.kind]:
        allowed = ", ".join(derivation.METHODS_BY_KIND[collateral.kind])
        raise field_error("method", f"a {collateral.kind} collateral is valued by {allowed}")
    given = _load_inputs(method, data.get("inputs") or {}, partial=True)
    derived = derivation.derive(method, collateral, given, day)
    if derived.missing:
        raise invalid_fields({"inputs": derived.missing})
    errors = _term_errors(derived.inputs, collateral, day)
    if errors:
        raise invalid_fields({"inputs": errors})
    result = _compute(method, derived.inputs)
    valuation = Valuation(
        right_id=target.id if isinstance(target, Right) else None,
        shareholding_id=target.id if isinstance(target, Shareholding) else None,
        method=method, inputs=jsonable(derived.inputs), input_sources=derived.sources,
        references=derived.references, details=jsonable(result.details), value=result.value, low=result.low,
        high=result.high, note=data.get("note"), status="draft", valuation_date=day, shares=collateral.shares,
        agency_id=actor.institution_id, requested_by_id=actor.id)
    db.session.add(valuation)
    db.session.flush()
    record(actor, "valuation.requested", "valuation", valuation.id,
           after={"right_id": valuation.right_id, "shareholding_id": valuation.shareholding_id, "method": method,
                  "value": str(valuation.value), "inputs": valuation.inputs, "sources": valuation.input_sources})
    db.session.commit()
    return valuation


# --- certifying

def valid_until(certified_on: date) -> date:
    """The last day a valuation certified on `certified_on` is valid: 12 months, the anniversary excluded."""
    return add_months(certified_on, VALID_MONTHS) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 month = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _check_certifier(actor, valuation: Valuation, day: date):
    agency = actor.institution
    if agency is None or agency.kind != "appraisal_agency" or valuation.agency_id != agency.id:
        raise Forbidden("only an appraiser of the agency that made the valuation may certify it",
                        code="not_the_agency")
    if not agency.certification_no or agency.certified_until is None:
        raise Forbidden(f"agency {agency.name} holds no appraisal certification", code="agency_not_certified")
    if agency.certified_until < day:
        raise Forbidden(f"agency {agency.name}'s certification expired on {agency.certified_until.isoformat()}",
                        code="certification_expired")


def may_certify(actor, valuation: Valuation) -> bool:
    """Whether `actor` may certify `valuation` now (the page shows the button only then)."""
    if valuation.status != "draft" or actor.role != "appraiser":
        return False
    try:
        _check_certifier(actor, valuation, cob.open_date())
    except Forbidden:
        return False
    return True


def _lock_collateral(valuation: Valuation):
    """Serialise certifications of one collateral: lock its row until commit."""
    model, key = (Right, valuation.right_id) if valuation.right_id else (Shareholding, valuation.shareholding_id)
    row = db.session.execute(select(model).where(model.id == key).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one()
    if model is Right and row.status in CLOSED_RIGHTS:
        raise Conflict(f"right {row.id} is {row.status}: its valuation cannot be certified", code="invalid_status")


def certify(actor, valuation_id: int) -> Valuation:
    day = cob.open_date()
    valuation = get_valuation(actor, valuation_id)
    _check_certifier(actor, valuation, day)
    _lock_collateral(valuation)
    db.session.refresh(valuation)
    if valuation.status != "draft":
        raise Conflict(f"valuation {valuation.id} is {valuation.status}: only a draft can be certified",
                       code="invalid_status")
    last_day = valid_until(valuation.valuation_date)
    if last_day < day:
        raise Conflict(f"valuation {valuation.id} is of {valuation.valuation_date.isoformat()}: past its 12 months, "
                       "request a new one", code="stale_valuation")
    column = Valuation.right_id if valuation.right_id else Valuation.shareholding_id
    key = valuation.right_id or valuation.shareholding_id
    older = db.session.execute(select(Valuation).where(column == key, Valuation.status == "certified")
                               .with_for_update()).scalars().all()
    if any(old.valuation_date > valuation.valuation_date for old in older):
        raise Conflict(f"a valuation of a later date is certified: valuation {valuation.id} cannot replace it",
                       code="newer_valuation_certified")
    for old in older:
        old.status = "superseded"
        old.superseded_by_id = valuation.id
    db.session.flush()  # the old one leaves `certified` before the new one enters (one certified per collateral)
    valuation.status = "certified"
    valuation.certified_by_id = actor.id
    valuation.certified_at = utcnow()
    valuation.certified_on = day
    valuation.valid_until = last_day
    db.session.flush()
    record(actor, "valuation.certified", "valuation", valuation.id, before={"status": "draft"},
           after={"status": "certified", "value": str(valuation.value),
                  "valid_until": valuation.valid_until.isoformat(), "superseded": [old.id for old in older]})
    db.session.commit()
    return valuation


# --- reading

def get_valuation(actor, valuation_id: int) -> Valuation:
    return get_visible(Valuation, valuation_id, actor)


def search(actor, right_id=None, shareholding_id=None, status=None):
    stmt = visible(Valuation, actor).order_by(Valuation.id.desc())
    if right_id:
        stmt = stmt.where(Valuation.right_id == right_id)
    if shareholding_id:
        stmt = stmt.where(Valuation.shareholding_id == shareholding_id)
    if status:
        stmt = stmt.where(Valuation.status == status)
    return stmt


def current_certified(right_id: int | None = None, shareholding_id: int | None = None,
                      day: date | None = None) -> Valuation | None:
    """The certified valuation in force for a collateral on `day` (default: the open business date): the
    one origination checks and takes the value of. An expired or superseded one never is."""
    day = day or cob.open_date()
    column, key = (Valuation.right_id, right_id) if right_id else (Valuation.shareholding_id, shareholding_id)
    return db.session.execute(select(Valuation).where(column == key, Valuation.status == "certified",
                                                      Valuation.valid_until >= day)).scalar_one_or_none()


def certified_value(right_id: int, day: date | None = None) -> Decimal | None:
    """The value of the right's certified valuation in force on `day`, as GET /rights/{id} shows it. For a
    past day: the valuation that was certified by then and valid on it, superseded since or not."""
    if day is None:
        valuation = current_certified(right_id=right_id)
        return valuation.value if valuation else None
    return db.session.execute(
        select(Valuation.value).where(Valuation.right_id == right_id, Valuation.certified_on <= day,
                                      Valuation.valid_until >= day, Valuation.status != "draft")
        .order_by(Valuation.certified_on.desc(), Valuation.id.desc()).limit(1)).scalar_one_or_none()


# --- close of business

@cob.cob_step("valuation.expiry", order=110)
def expire_valuations(day: date) -> dict:
    """At the close of `day`, certified valuations valid through `day` or earlier expire (one UPDATE)."""
    expired = db.session.execute(update(Valuation).where(Valuation.status == "certified",
                                                         Valuation.valid_until <= day)
                                 .values(status="expired").returning(Valuation.id)).scalars().all()
    return {"expired": len(expired)}
