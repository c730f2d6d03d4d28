"""The inputs of each valuation method at the API edge (API.md "Valuation"), one schema per method. These check
types, places and magnitudes only (negative amounts, rates outside 0..1 and absurd sizes stop here); every
other rule (positive rates, areas and terms, remaining years within the maximum, at least three comparables,
shares within the total) is methods.py's, so that one place owns it and names every bad input at once.

Every field is required; a caller that derives missing inputs loads with partial=True. A comparable is given
whole all the same: nothing derives a comparable's price, area or factors.
"""
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from finplat.api_base import ApiSchema, DecimalString, Money, RateField
from finplat.registry.share_schemas import Shares
from finplat.valuation.methods import SERVICE_LIFE

MAX_AREA = Decimal("999999999999.99")  # rights' areas are NUMERIC(14,2)
MAX_YEARS = Decimal(999)
MAX_FACTOR = Decimal(10)  # an adjustment factor multiplies a unit price: 1.05 is +5 %
MAX_COMPARABLES = 50


def Area(**kwargs):
    return DecimalString(2, MAX_AREA, **kwargs)


def Years(**kwargs):
    """A term or an age in years, fractional allowed ("21.10", 20)."""
    return DecimalString(4, MAX_YEARS, **kwargs)


def Correction(**kwargs):
    """A factor correction of the benchmark land price: a signed share ("-0.03" is -3 %)."""
    return DecimalString(8, Decimal(1), min_value=Decimal(-1), **kwargs)


def Factor(**kwargs):
    return DecimalString(8, MAX_FACTOR, **kwargs)


class _Whole(fields.Nested):
    """A nested object loaded whole even when the request is loaded partially."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return super()._deserialize(value, attr, data, partial=None, **kwargs)


class IncomeCapitalisationIn(ApiSchema):
    annual_net_income = Money(required=True)
    rate = RateField(required=True)
    years = Years(required=True)


class LandPriceCoefficientIn(ApiSchema):
    base_price = Money(required=True)
    area = Area(required=True)
    factor_corrections = fields.List(Correction(), required=True, validate=validate.Length(max=50))
    rate = RateField(required=True)
    remaining_years = Years(required=True)
    max_years = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=int(MAX_YEARS)))


class CostIn(ApiSchema):
    replacement_cost_per_m2 = Money(required=True)
    floor_area = Area(required=True)
    structure = fields.String(required=True, validate=validate.OneOf(tuple(SERVICE_LIFE)))
    age_years = Years(required=True)
    land_value = Money(required=True)


class ComparableIn(ApiSchema):
    price = Money(required=True)
    area = Area(required=True)
    factors = fields.List(Factor(), required=True, validate=validate.Length(max=10))


class MarketComparisonIn(ApiSchema):
    comparables = fields.List(_Whole(ComparableIn), required=True, validate=validate.Length(max=MAX_COMPARABLES))
    area = Area(required=True)


class ShareNavIn(ApiSchema):
    net_assets = Money(required=True)
    total_shares = Shares(required=True)
    shares = Shares(required=True)


INPUT_SCHEMAS = {
    "income_capitalisation": IncomeCapitalisationIn,
    "land_price_coefficient": LandPriceCoefficientIn,
    "cost": CostIn,
    "market_comparison": MarketComparisonIn,
    "share_nav": ShareNavIn,
}


def load_inputs(method: str, data, partial=False) -> dict:
    """`data` loaded with `method`'s schema: Decimals and ints by input name, ready for methods.compute."""
    schema = INPUT_SCHEMAS.get(method)
    if schema is None:
        raise ValidationError({"method": [f"unknown method; one of: {', '.join(INPUT_SCHEMAS)}"]})
    return schema().load(data, partial=partial)
