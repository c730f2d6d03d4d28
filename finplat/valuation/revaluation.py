"""Batch revaluation (DESIGN.md §3.3, §6): every right under a live lien gets an indicative value recomputed
from the reference data in force, by its kind's default method and the inputs derivation would take; then
every exposure it secures gets its LTV recomputed, and an LTV-breach alert is raised for each that passes
its cap.

On PostgreSQL the values come from one INSERT ... SELECT (the reference tables resolved by hash joins, the
formulas in numeric arithmetic), so that a million rights take seconds, not a Python loop each. SQLite (the
demo) computes the same figures row by row through derivation and the pure methods; a test holds the two to
the same fen.

Exposures come from the domains that lend: a function registered with `@exposure_source` returns, for a
business date, a SELECT of (secures_type, secures_id, exposure, cap) — a loan's outstanding principal and its
product's LTV cap. The collateral of an exposure is every live lien whose secures_type/secures_id name it: a
right at its indicative value (or, lacking one, its certified value), a pledged part of a shareholding at the
certified value per share.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, delete, func, literal, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite

from finplat import cob
from finplat.audit import record
from finplat.extensions import db
from finplat.registry.models import Lien, Right
from finplat.valuation import derivation, methods
from finplat.valuation.models import IndicativeValue, LtvAlert, Valuation

REVALUATION_LOCK = 0x46505256  # "FPRV": one revaluation at a time
_exposure_sources = []


def exposure_source(fn):
    """Register `fn(day) -> SELECT (secures_type, secures_id, exposure, cap)`: what a domain lends (once)."""
    if fn not in _exposure_sources:
        _exposure_sources.append(fn)
    return fn


def revalue(actor, day: date | None = None) -> dict:
    """Revalue every right under a live lien as of `day` (default: the open business date), recompute the
    LTVs and raise the breaches; one transaction, one audit record."""
    day = day or cob.open_date()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REVALUATION_LOCK})
    # Values of the last run go: a right whose lien was released, whose term ran out or whose reference
    # figures are gone must not lend an old value to an LTV.
    db.session.execute(delete(IndicativeValue))
    in_scope, revalued = _revalue_sql(day) if postgres else _revalue_rows(day)
    breaches = raise_ltv_alerts(day)
    summary = {"business_date": day, "rights_revalued": revalued, "rights_not_revalued": in_scope - revalued,
               "ltv_breaches": breaches}
    record(actor, "valuation.revalued", "revaluation", day.isoformat(), after=summary)
    db.session.commit()
    return summary


def _has_live_lien():
    return select(Lien.id).where(Lien.right_id == Right.id, Lien.status == "live").exists()


# --- SQLite and the reference: one right at a time, as a certified valuation would derive it

def indicative_value(right: Right, day: date) -> tuple[str, Decimal] | None:
    """(method, value) of `right` by its kind's default method on reference data alone, or None when an
    input cannot be derived."""
    method = derivation.DEFAULT_METHOD[right.kind]
    collateral = derivation.Collateral(kind=right.kind, region_code=right.region_code, area=right.area,
                                       area_unit=right.area_unit, term_end=right.term_end,
                                       attributes=right.attributes)
    derived = derivation.derive(method, collateral, {}, day)
    if derived.missing:
        return None
    try:
        return method, methods.compute(method, derived.inputs).value
    except methods.InvalidInputs:
        return None


def _revalue_rows(day: date) -> tuple[int, int]:
    in_scope = revalued = 0
    for right in db.session.execute(select(Right).where(_has_live_lien()).order_by(Right.id)).scalars():
        in_scope += 1
        got = indicative_value(right, day)
        if got is None:
            continue
        db.session.add(IndicativeValue(right_id=right.id, method=got[0], value=got[1], computed_on=day))
        revalued += 1
    db.session.flush()
    return in_scope, revalued


# --- PostgreSQL: one statement

_IN_FORCE = """
ni AS (SELECT DISTINCT ON (region_code, right_kind, item) region_code, right_kind, item, income_per_mu
       FROM ref_net_incomes WHERE effective_date <= :day
       ORDER BY region_code, right_kind, item, effective_date DESC, id DESC),
cr AS (SELECT DISTINCT ON (region_code, right_kind) region_code, right_kind, rate
       FROM ref_capitalisation_rates WHERE effective_date <= :day
       ORDER BY region_code, right_kind, effective_date DESC, id DESC),
lp AS (SELECT DISTINCT ON (region_code, use, grade) region_code, use, grade, price_per_m2
       FROM ref_land_prices WHERE effective_date <= :day
       ORDER BY region_code, use, grade, effective_date DESC, id DESC),
rc AS (SELECT DISTINCT ON (region_code, structure) region_code, structure, cost_per_m2
       FROM ref_replacement_costs WHERE effective_date <= :day
       ORDER BY region_code, structure, effective_date DESC, id DESC)"""


def _fallback(alias: str, table: str, column: str, match: str, alternatives=("",)) -> tuple[str, str]:
    """(joins, COALESCE) of `table`'s `column` for each right at its region, then its city's, then its
    province's, trying `alternatives` (extra join conditions, the preferred first) at each level."""
    joins, picks = [], []
    for level in ("l1", "l2", "l3"):
        for n, extra in enumerate(alternatives):
            name = f"{alias}_{level}_{n}"
            joins.append(f"LEFT JOIN {table} {name} ON {name}.region_code = r.{level} AND "
                         + match.format(t=name) + (f" AND {extra.format(t=name)}" if extra else ""))
            picks.append(f"{name}.{column}")
    return "\n".join(joins), f"COALESCE({', '.join(picks)})"


def _statement() -> str:
    income_joins, income = _fallback("ni", "ni", "income_per_mu", "{t}.right_kind = r.kind",
                                     ("{t}.item = r.item", "{t}.item = '*'"))
    rate_joins, rate = _fallback("cr", "cr", "rate", "{t}.right_kind = r.kind")
    price_joins, price = _fallback("lp", "lp", "price_per_m2", "{t}.use = r.use",
                                   ("{t}.grade = r.grade", "{t}.grade = '*'"))
    home_joins, home_price = _fallback("hp", "lp", "price_per_m2", "{t}.use = 'homestead' AND {t}.grade = '*'")
    cost_joins, cost = _fallback("rc", "rc", "cost_per_m2", "{t}.structure = r.structure")
    life = " ".join(f"WHEN '{s}' THEN {v.years}" for s, v in methods.SERVICE_LIFE.items())
    residual = " ".join(f"WHEN '{s}' THEN {v.residual}" for s, v in methods.SERVICE_LIFE.items())
    max_term = " ".join(f"WHEN '{use}' THEN {years}" for use, years in derivation.TERM_LIMITS["construction_land"][1].items())
    concrete = methods.SERVICE_LIFE["reinforced_concrete"]
    return f"""
WITH {_IN_FORCE},
r AS (
  SELECT r.id, r.kind, r.area, r.area_unit,
         r.region_code AS l1, substr(r.region_code, 1, 4) || '00' AS l2, substr(r.region_code, 1, 2) || '0000' AS l3,
         COALESCE(NULLIF(r.attributes->>'crop', ''), NULLIF(r.attributes->>'species', ''), '*') AS item,
         r.attributes->>'use' AS use, COALESCE(NULLIF(r.attributes->>'grade', ''), '*') AS grade,
         r.attributes->>'structure' AS structure,
         (r.attributes->>'floor_area')::numeric AS floor_area,
         (r.attributes->>'homestead_area')::numeric AS homestead_area,
         (r.attributes->>'build_cost')::numeric AS build_cost,
         GREATEST(EXTRACT(YEAR FROM CAST(:day AS date))::int - (r.attributes->>'year_built')::int, 0)::numeric AS age,
         CASE WHEN r.area_unit = 'mu' THEN r.area ELSE r.area / (10000 / 15.0) END AS mu,
         CASE WHEN r.area_unit = 'm2' THEN r.area ELSE r.area * (10000 / 15.0) END AS m2,
         trunc(GREATEST(r.term_end - CAST(:day AS date), 0) / 365.25, 2) AS years
  FROM rights r
  WHERE EXISTS (SELECT 1 FROM liens l WHERE l.right_id = r.id AND l.status = 'live')
),
x AS (
  SELECT r.*, {income} AS income_per_mu, {rate} AS rate, {price} AS price, {home_price} AS home_price,
         {cost} AS cost_per_m2,
         CASE r.structure {life} END AS life, CASE r.structure {residual} END AS residual,
         CASE r.use {max_term} END AS max_term
  FROM r
  {income_joins}
  {rate_joins}
  {price_joins}
  {home_joins}
  {cost_joins}
),
v AS (
  SELECT id, kind,
    CASE
      WHEN kind IN ('land_management', 'forest') AND years > 0 THEN
        round(round(income_per_mu * mu, 2)::numeric(60, 30) * (1 - power((1 + rate)::numeric(40, 30), -years))
              / rate, 2)
      WHEN kind = 'construction_land' AND years > 0 AND years <= max_term THEN
        round((price * m2)::numeric(60, 30) * (1 - power((1 + rate)::numeric(40, 30), -years))
              / (1 - power((1 + rate)::numeric(40, 30), -max_term)), 2)
      WHEN kind = 'house' THEN
        round((cost_per_m2 * floor_area * (life - LEAST((1 - residual) * age, (1 - residual) * life)))::numeric(60, 30)
              / life + CASE WHEN homestead_area IS NULL THEN 0 ELSE round(homestead_area * home_price, 2) END, 2)
      WHEN kind = 'water_facility' AND m2 > 0 THEN
        round((build_cost * ({concrete.years} - LEAST(age, {concrete.years})))::numeric(60, 30) / {concrete.years}, 2)
    END AS value
  FROM x
),
kept AS (
  INSERT INTO indicative_values (right_id, method, value, computed_on)
  SELECT id, CASE kind {" ".join(f"WHEN '{k}' THEN '{m}'" for k, m in derivation.DEFAULT_METHOD.items())} END,
         value, CAST(:day AS date)
  FROM v WHERE value IS NOT NULL AND value <= {methods.MAX_VALUE}
  RETURNING 1
)
SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM kept)
"""


def _revalue_sql(day: date) -> tuple[int, int]:
    """(rights under a live lien, rights valued): one statement, so both counts see the same rights."""
    return tuple(db.session.execute(text(_statement()), {"day": day}).one())


# --- LTV

def collateral_values():
    """A SELECT of (secures_type, secures_id, collateral_value): what the live liens of each exposure are
    worth. A mortgage gets its right's indicative value (else its certified one) less what the liens ranking
    before it on the same right secure, never below 0; a pledge of shares gets the certified value per share
    times the shares pledged."""
    certified_right = (select(Valuation.value).where(Valuation.right_id == Lien.right_id,
                                                     Valuation.status == "certified")
                       .correlate(Lien).scalar_subquery())
    right_value = func.coalesce(select(IndicativeValue.value).where(IndicativeValue.right_id == Lien.right_id)
                                .correlate(Lien).scalar_subquery(), certified_right)
    per_share = (select(Valuation.value / Valuation.shares)
                 .where(Valuation.shareholding_id == Lien.shareholding_id, Valuation.status == "certified")
                 .correlate(Lien).scalar_subquery())
    senior = func.sum(Lien.secured_amount).over(partition_by=Lien.right_id, order_by=(Lien.rank, Lien.id),
                                                rows=(None, -1))
    liens = select(Lien.secures_type, Lien.secures_id, Lien.right_id,
                   func.coalesce(case((Lien.right_id.is_not(None), right_value), else_=per_share * Lien.shares), 0)
                   .label("worth"), func.coalesce(senior, 0).label("senior")).where(Lien.status == "live").subquery()
    left = liens.c.worth - liens.c.senior
    available = case((liens.c.right_id.is_(None), liens.c.worth), (left > 0, left), else_=0)
    return (select(liens.c.secures_type, liens.c.secures_id, func.sum(available).label("collateral_value"))
            .group_by(liens.c.secures_type, liens.c.secures_id))


def ltv_rows(day: date):
    """A SELECT of (secures_type, secures_id, exposure, cap, collateral_value, ltv) for every registered
    exposure on `day`; ltv is NULL when the collateral is worth nothing."""
    sources = [fn(day) for fn in _exposure_sources]
    if not sources:
        return None
    exposures = union_all(*sources).subquery() if len(sources) > 1 else sources[0].subquery()
    values = collateral_values().subquery()
    value = func.coalesce(values.c.collateral_value, 0)
    ltv = case((value > 0, exposures.c.exposure / value), else_=None)
    return (select(exposures.c.secures_type, exposures.c.secures_id, exposures.c.exposure, exposures.c.cap,
                   value.label("collateral_value"), ltv.label("ltv"))
            .select_from(exposures.outerjoin(values, and_(values.c.secures_type == exposures.c.secures_type,
                                                          values.c.secures_id == exposures.c.secures_id))))


def raise_ltv_alerts(day: date) -> int:
    """One alert per exposure past its cap (or with worthless collateral) and business date."""
    rows = ltv_rows(day)
    if rows is None:
        return 0
    rows = rows.subquery()
    breach = select(rows.c.secures_type, rows.c.secures_id, rows.c.exposure, rows.c.collateral_value,
                    case((rows.c.ltv < 10000, rows.c.ltv), else_=None), rows.c.cap, literal(day)).where(
        rows.c.exposure > 0, (rows.c.ltv.is_(None)) | (rows.c.ltv > rows.c.cap))
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LtvAlert).from_select(
        ["secures_type", "secures_id", "exposure", "collateral_value", "ltv", "cap", "business_date"], breach
    ).on_conflict_do_nothing(index_elements=["secures_type", "secures_id", "business_date"]).returning(LtvAlert.id)
    return len(db.session.execute(stmt).all())
