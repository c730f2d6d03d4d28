"""The inputs an appraiser leaves out, derived from the collateral's registered facts and the reference data
in force on the valuation date (DESIGN.md §3.3), and where each input came from.

`derive(method, collateral, given, day)` returns (inputs, sources, references, missing): the appraiser's
inputs win; every other input the method needs is filled from the registry (`registry`), from reference
data (`reference`, with the row used listed in `references`) or from a stated default (`default`). What can
be derived from neither is listed in `missing` with the reason, for a 422 naming the input.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from finplat.money import to_fen
from finplat.registry.right_rules import TERM_LIMITS
from finplat.valuation import reference
from finplat.valuation.methods import CONTEXT

M2_PER_MU = CONTEXT.divide(Decimal(10000), Decimal(15))  # 1 mu = 666.67 m2, at the methods' precision
DAYS_PER_YEAR = Decimal("365.25")

# The methods each kind of collateral may be valued by (DESIGN.md §3.3); market comparison fits any right.
METHODS_BY_KIND = {
    "land_management": ("income_capitalisation", "market_comparison"),
    "forest": ("income_capitalisation", "market_comparison"),
    "water_facility": ("cost", "income_capitalisation", "market_comparison"),
    "house": ("cost", "market_comparison"),
    "construction_land": ("land_price_coefficient", "market_comparison"),
    "collective_shares": ("share_nav", "income_capitalisation"),
}
# The method batch revaluation recomputes each kind by.
DEFAULT_METHOD = {kind: methods[0] for kind, methods in METHODS_BY_KIND.items()}


@dataclass
class Collateral:
    """What derivation reads of a right (kind, region, area, term, attributes) or of a shareholding
    (kind `collective_shares`, its collective, its shares and the register's total)."""
    kind: str
    region_code: str
    area: Decimal | None = None
    area_unit: str | None = None
    term_end: date | None = None
    attributes: dict = field(default_factory=dict)
    collective_id: int | None = None
    shares: int | None = None
    total_shares: int | None = None


@dataclass
class Derived:
    inputs: dict
    sources: dict
    references: list
    missing: dict


def years_left(term_end: date, day: date) -> Decimal:
    """Years from `day` to the end of the term, unrounded (days / 365.25), never below 0."""
    return max(Decimal(0), Decimal((term_end - day).days) / DAYS_PER_YEAR)


def remaining_years(term_end: date | None, day: date) -> Decimal | None:
    """Years from `day` to the end of the term, to two decimals, rounded down (a right never gains days)."""
    if term_end is None:
        return None
    return years_left(term_end, day).quantize(Decimal("0.01"), ROUND_DOWN)


def area_in_mu(collateral: Collateral) -> Decimal | None:
    if collateral.area is None:
        return None
    return collateral.area if collateral.area_unit == "mu" else CONTEXT.divide(collateral.area, M2_PER_MU)


def area_in_m2(collateral: Collateral) -> Decimal | None:
    if collateral.area is None:
        return None
    return collateral.area if collateral.area_unit == "m2" else CONTEXT.multiply(collateral.area, M2_PER_MU)


def derive(method: str, collateral: Collateral, given: dict, day: date) -> Derived:
    out = Derived(inputs=dict(given), sources={name: "appraiser" for name in given}, references=[], missing={})
    _DERIVERS[method](out, collateral, day)
    return out


# --- one filler per method: each `_put` only fills an input the appraiser left out

def _put(out: Derived, name: str, value, source: str, row=None, why: str = ""):
    if name in out.inputs:
        return
    if value is None:
        out.missing[name] = [why or "give it: it cannot be derived"]
        return
    out.inputs[name] = value
    out.sources[name] = source
    if row is not None:
        out.references.append({"table": row.__tablename__, "id": row.id,
                               "effective_date": row.effective_date.isoformat()})


def _looked_up(out, name, row, column, scale=None, why=""):
    """Put `row.column` (times `scale`, to the fen) from reference data, or say what is missing."""
    if name in out.inputs:
        return
    if row is None:
        _put(out, name, None, "reference", why=why)
        return
    value = getattr(row, column)
    if scale is not None:
        value = to_fen(value * scale)
    _put(out, name, value, "reference", row)


def _income(out: Derived, c: Collateral, day: date):
    if c.kind == "collective_shares":
        for name in ("annual_net_income", "rate", "years"):
            _put(out, name, None, "", why="give it: a share's dividends are not in the reference data")
        return
    item = c.attributes.get("crop") or c.attributes.get("species") or "*"
    mu = area_in_mu(c)
    _looked_up(out, "annual_net_income", reference.net_income(c.region_code, c.kind, item, day), "income_per_mu",
               scale=mu, why=f"no net income per mu in force for {c.kind} {item} in region {c.region_code}")
    _rate(out, c, day)
    years = remaining_years(c.term_end, day)
    _put(out, "years", years if years else None, "registry",
         why="give it: the right has no term to run" if years is None else "the right's term has run out")


def _rate(out: Derived, c: Collateral, day: date):
    _looked_up(out, "rate", reference.capitalisation_rate(c.region_code, c.kind, day), "rate",
               why=f"no capitalisation rate in force for {c.kind} in region {c.region_code}")


def _land_price(out: Derived, c: Collateral, day: date):
    use, grade = c.attributes.get("use"), c.attributes.get("grade") or "*"
    _looked_up(out, "base_price", reference.land_price(c.region_code, use, grade, day), "price_per_m2",
               why=f"no benchmark land price in force for {use} grade {grade} in region {c.region_code}")
    _put(out, "area", area_in_m2(c), "registry")
    _put(out, "factor_corrections", [], "default")
    _rate(out, c, day)
    years = remaining_years(c.term_end, day)
    _put(out, "remaining_years", years if years else None, "registry", why="the right's term has run out")
    limits = TERM_LIMITS["construction_land"][1]
    _put(out, "max_years", limits.get(use), "registry", why=f"no maximum term for use {use}")


def _cost(out: Derived, c: Collateral, day: date):
    attrs = c.attributes
    built = attrs.get("year_built")
    _put(out, "age_years", Decimal(max(0, day.year - built)) if built is not None else None, "registry")
    if c.kind == "house":
        _put(out, "structure", attrs.get("structure"), "registry")
        structure = out.inputs.get("structure")  # the appraiser's, when given: its cost goes with it
        _put(out, "floor_area", Decimal(attrs["floor_area"]) if attrs.get("floor_area") else None, "registry")
        _looked_up(out, "replacement_cost_per_m2", reference.replacement_cost(c.region_code, structure, day),
                   "cost_per_m2", why=f"no replacement cost in force for {structure} in region {c.region_code}")
        homestead = Decimal(attrs["homestead_area"]) if attrs.get("homestead_area") else None
        if homestead is None:
            _put(out, "land_value", Decimal("0.00"), "default")
        else:
            _looked_up(out, "land_value", reference.land_price(c.region_code, "homestead", "*", day), "price_per_m2",
                       scale=homestead, why=f"no homestead land price in force in region {c.region_code}")
        return
    # A water facility: its build cost spread over its area (unrounded: the product gives the cost back), a
    # concrete work's service life, no land value.
    m2 = area_in_m2(c)
    _put(out, "floor_area", m2, "registry")
    cost = Decimal(attrs["build_cost"]) if attrs.get("build_cost") else None
    _put(out, "replacement_cost_per_m2", CONTEXT.divide(cost, m2) if cost and m2 else None, "registry")
    _put(out, "structure", "reinforced_concrete", "default")
    _put(out, "land_value", Decimal("0.00"), "default")


def _market(out: Derived, c: Collateral, day: date):
    _put(out, "comparables", None, "", why="give at least three comparable transactions")
    _put(out, "area", c.area, "registry")


def _share_nav(out: Derived, c: Collateral, day: date):
    row = reference.collective_net_assets(c.collective_id, day) if c.collective_id else None
    _looked_up(out, "net_assets", row, "net_assets", why="no net assets of the collective in force")
    _put(out, "total_shares", c.total_shares, "registry")
    _put(out, "shares", c.shares, "registry")


_DERIVERS = {"income_capitalisation": _income, "land_price_coefficient": _land_price, "cost": _cost,
             "market_comparison": _market, "share_nav": _share_nav}
