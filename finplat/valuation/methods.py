"""The valuation methods of DESIGN.md §3.3 as pure functions: no Flask, no database. Each takes Decimals (ints
for whole counts) and returns a Result: the value, its low/high range and the formula's intermediate figures.

Figures are computed at 34 significant digits in a context of their own, whatever the caller's context; only
value, low and high are rounded, half-up to the fen, after a snap to 30 significant digits: an exact half fen
that arrives as 0.00499999... through an inexact quotient (a derived cost per m2) still rounds up, and no
other figure is near enough a half fen for the snap to move it across. The range is the least and the greatest value over every
combination of the method's sensitivities, each at -, 0 and +: the rate +/- 1 point where the method has a
rate, and the income or price +/- 10 %. A combination whose rate would not be positive is left out. The
middle combination is the value itself, so low <= value <= high.

Bad inputs raise InvalidInputs, which names every bad input at once ({input: [message]}); the messages are
short English phrases that the web layer translates.
"""
import functools
import inspect
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import NamedTuple

from finplat.money import to_fen

CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
                  traps=[InvalidOperation, DivisionByZero, Overflow])
RATE_STEP = Decimal("0.01")  # the rate sensitivity: one point, absolute
PRICE_STEP = Decimal("0.10")  # the income or price sensitivity: ten per cent
MIN_COMPARABLES = 3
SNAP = Context(prec=30, rounding=ROUND_HALF_EVEN)
MAX_VALUE = Decimal("9999999999999999.99")  # values are recorded as NUMERIC(18,2)


class ServiceLife(NamedTuple):
    years: int  # N
    residual: Decimal  # R, the share of the replacement cost a building keeps past its service life


SERVICE_LIFE = {
    "reinforced_concrete": ServiceLife(60, Decimal("0")),
    "brick_concrete": ServiceLife(50, Decimal("0.02")),
    "brick_wood": ServiceLife(40, Decimal("0.04")),
    "simple": ServiceLife(10, Decimal("0")),
}


@dataclass(frozen=True)
class Result:
    value: Decimal  # fen
    low: Decimal  # fen
    high: Decimal  # fen
    details: dict  # snake_case keys; Decimal (unrounded), int or str values


class InvalidInputs(Exception):
    """Every bad input at once: errors is {input name: [message, ...]}, a comparable's as "comparables.1.area"."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


# --- input checks: each returns a message, or None when the input is fine

def _number_error(value, whole=False):
    if value is None:
        return "required"
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not Decimal(value).is_finite():
        return "must be a whole number" if whole else "must be a decimal number"  # floats too: never near money
    if whole and value != Decimal(value).to_integral_value():
        return "must be a whole number"
    return None


def _positive(value, whole=False):
    return _number_error(value, whole) or (None if value > 0 else "must be greater than 0")


def _not_negative(value):
    return _number_error(value) or (None if value >= 0 else "must not be negative")


def _is_list(value):
    return isinstance(value, (list, tuple))


def _raise_if(messages: dict) -> None:
    errors = {name: [message] for name, message in messages.items() if message}
    if errors:
        raise InvalidInputs(errors)


def _exact(function):
    """Run the method in CONTEXT (localcontext copies it), so that no caller's context changes a figure."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with localcontext(CONTEXT):
            return function(*args, **kwargs)
    return wrapper


def _result(value_at, details: dict, price_input: str, rate=None, label=None) -> Result:
    """value_at(scale, shift): the value with the income or price (`price_input`) times `scale` and the rate plus
    `shift`. A range past what a record holds is the price input's error."""
    shifts = [shift for shift in (-RATE_STEP, 0, RATE_STEP) if rate + shift > 0] if rate is not None else [0]
    values = [value_at(1 + sign * PRICE_STEP, shift) for sign in (-1, 0, 1) for shift in shifts]
    if max(values) > MAX_VALUE:
        raise InvalidInputs({price_input: ["gives a value too large to record"]})
    sensitivities = f"{label or price_input} +/-10%"
    if rate is not None:
        sensitivities += ", rate +/-0.01" if len(shifts) == 3 else ", rate +0.01"
    return Result(_fen(value_at(1, 0)), _fen(min(values)), _fen(max(values)),
                  {**details, "sensitivities": sensitivities})


def _fen(value: Decimal) -> Decimal:
    return to_fen(SNAP.plus(value))


def _discount(rate, years):
    """1 - 1/(1+r)^n: the share of a perpetuity that n years of income are worth (n may be fractional)."""
    return 1 - 1 / (1 + rate) ** years


# --- the methods

@_exact
def income_capitalisation(annual_net_income, rate, years) -> Result:
    """收益还原法: P = A / r x (1 - 1/(1+r)^n); A the whole right's annual net income, n its remaining years."""
    _raise_if({"annual_net_income": _positive(annual_net_income), "rate": _positive(rate),
               "years": _positive(years)})

    def value_at(scale, shift):
        return annual_net_income * scale / (rate + shift) * _discount(rate + shift, years)

    term_factor = _discount(rate, years)
    return _result(value_at, {
        "formula": "P = A / r x (1 - 1/(1+r)^n)",
        "perpetuity_value": annual_net_income / rate,
        "term_factor": term_factor,
        "annuity_factor": term_factor / rate,
    }, "annual_net_income", rate)


def _factor_errors(name, factors, check) -> dict:
    if factors is None:
        return {name: "required"}
    if not _is_list(factors):
        return {name: "must be a list"}
    return {f"{name}.{i}": check(factor) for i, factor in enumerate(factors)}


@_exact
def land_price_coefficient(base_price, area, factor_corrections, rate, remaining_years, max_years) -> Result:
    """基准地价系数修正法: P = base price x (1 + sum of corrections) x K x area, with the term correction
    K = (1 - 1/(1+r)^m) / (1 - 1/(1+r)^n), m the remaining years, n the use's maximum term."""
    corrections = _factor_errors("factor_corrections", factor_corrections, _number_error)
    if not any(corrections.values()) and sum(factor_corrections) <= -1:
        corrections["factor_corrections"] = "must sum to more than -1"
    messages = {"base_price": _positive(base_price), "area": _positive(area), "rate": _positive(rate),
                "remaining_years": _positive(remaining_years), "max_years": _positive(max_years, whole=True),
                **corrections}
    if not (messages["remaining_years"] or messages["max_years"]) and remaining_years > max_years:
        messages["remaining_years"] = "must not exceed max_years"
    _raise_if(messages)
    correction_sum = sum(factor_corrections, Decimal(0))

    def term_correction(shift):
        return _discount(rate + shift, remaining_years) / _discount(rate + shift, max_years)

    def value_at(scale, shift):
        return base_price * scale * (1 + correction_sum) * term_correction(shift) * area

    k = term_correction(0)
    return _result(value_at, {
        "formula": "P = base price x (1 + sum of corrections) x K x area, K = (1 - 1/(1+r)^m) / (1 - 1/(1+r)^n)",
        "correction_sum": correction_sum,
        "term_correction": k,
        "corrected_unit_price": base_price * (1 + correction_sum) * k,
    }, "base_price", rate)


def _structure_error(structure):
    if structure is None:
        return "required"
    if isinstance(structure, str) and structure in SERVICE_LIFE:
        return None
    return f"unknown structure; one of: {', '.join(SERVICE_LIFE)}"


@_exact
def cost(replacement_cost_per_m2, floor_area, structure, age_years, land_value) -> Result:
    """成本法: replacement cost x floor area x (1 - d) + land value, with straight-line depreciation
    d = (1 - R) x t / N capped at 1 - R: a building past its service life keeps its residual value."""
    _raise_if({"replacement_cost_per_m2": _positive(replacement_cost_per_m2), "floor_area": _positive(floor_area),
               "structure": _structure_error(structure),
               "age_years": _not_negative(age_years), "land_value": _not_negative(land_value)})
    life = SERVICE_LIFE[structure]
    depreciation_rate = min((1 - life.residual) * age_years / life.years, 1 - life.residual)
    # (N - min((1 - R) t, (1 - R) N)) / N is 1 - d with the one division last, so that an exact figure stays
    # exact (1 - 10/60 is no finite decimal; 50/60 of a cost may still be an exact half fen).
    kept = life.years - min((1 - life.residual) * age_years, (1 - life.residual) * life.years)

    def value_at(scale, shift):
        return replacement_cost_per_m2 * scale * floor_area * kept / life.years + land_value

    replacement_value = replacement_cost_per_m2 * floor_area
    return _result(value_at, {
        "formula": "P = replacement cost x floor area x (1 - d) + land value, d = min((1 - R) x t / N, 1 - R)",
        "service_life_years": life.years,
        "residual_rate": life.residual,
        "depreciation_rate": depreciation_rate,
        "replacement_value": replacement_value,
        "building_value": replacement_value * (1 - depreciation_rate),
        "land_value": land_value,
    }, "replacement_cost_per_m2")


def _comparable(item):
    """(price, area, factors) from a dict with those keys or a 3-sequence; None when it is neither."""
    if isinstance(item, dict):
        return item.get("price"), item.get("area"), item.get("factors")
    return tuple(item) if _is_list(item) and len(item) == 3 else None


def _comparable_errors(comparables) -> dict:
    if comparables is None:
        return {"comparables": "required"}
    if not _is_list(comparables):
        return {"comparables": "must be a list"}
    messages = {"comparables": None if len(comparables) >= MIN_COMPARABLES else "at least three comparables"}
    for i, item in enumerate(comparables):
        fields = _comparable(item)
        if fields is None:
            messages[f"comparables.{i}"] = "must have a price, an area and factors"
            continue
        price, area, factors = fields
        messages.update({f"comparables.{i}.price": _positive(price), f"comparables.{i}.area": _positive(area),
                         **_factor_errors(f"comparables.{i}.factors", factors, _positive)})
    return messages


def _product(factors):
    product = Decimal(1)
    for factor in factors:
        product *= factor
    return product


@_exact
def market_comparison(comparables, area) -> Result:
    """市场比较法: each comparable's unit price (price / area) times the product of its adjustment factors
    (circumstances, date, regional, individual, term), averaged with equal weights, times the subject's area."""
    _raise_if({**_comparable_errors(comparables), "area": _positive(area)})
    rows = [_comparable(item) for item in comparables]
    adjusted = [price / comparable_area * _product(factors) for price, comparable_area, factors in rows]
    mean = sum(adjusted, Decimal(0)) / len(adjusted)

    def value_at(scale, shift):  # every comparable's price scaled together scales the mean
        return mean * scale * area

    details = {"formula": "P = mean of (price / area x product of factors) x area",
               "comparable_count": len(rows)}
    for i, ((price, comparable_area, factors), unit) in enumerate(zip(rows, adjusted)):
        details[f"comparable_{i}_unit_price"] = price / comparable_area
        details[f"comparable_{i}_factor_product"] = _product(factors)
        details[f"comparable_{i}_adjusted_unit_price"] = unit
    details["mean_unit_price"] = mean
    return _result(value_at, details, "comparables", label="comparable prices")


@_exact
def share_nav(net_assets, total_shares, shares) -> Result:
    """Collective shares: the collective's net operating assets / total shares x shares held."""
    messages = {"net_assets": _not_negative(net_assets), "total_shares": _positive(total_shares, whole=True),
                "shares": _positive(shares, whole=True)}
    if not (messages["total_shares"] or messages["shares"]) and shares > total_shares:
        messages["shares"] = "must not exceed total_shares"
    _raise_if(messages)

    def value_at(scale, shift):
        return net_assets * scale / total_shares * shares

    return _result(value_at, {"formula": "P = net assets / total shares x shares",
                              "nav_per_share": net_assets / total_shares}, "net_assets")


METHODS = {
    "income_capitalisation": income_capitalisation,
    "land_price_coefficient": land_price_coefficient,
    "cost": cost,
    "market_comparison": market_comparison,
    "share_nav": share_nav,
}


def compute(method: str, inputs: dict) -> Result:
    """The method named `method` on `inputs` (its inputs by name). A missing input is "required", an input the
    method does not take "unknown input", an unknown method an error on "method"."""
    function = METHODS.get(method)
    if function is None:
        raise InvalidInputs({"method": [f"unknown method; one of: {', '.join(METHODS)}"]})
    names = inspect.signature(function).parameters
    unknown = {name: ["unknown input"] for name in inputs if name not in names}
    try:
        result = function(**{name: inputs.get(name) for name in names})
    except InvalidInputs as exc:
        raise InvalidInputs({**unknown, **exc.errors}) from None
    if unknown:
        raise InvalidInputs(unknown)
    return result
