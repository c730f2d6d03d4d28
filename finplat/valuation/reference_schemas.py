"""Reference data at the edge: one schema per dataset for a row as a CSV file or a JSON body gives it (every
value may be a string), one for a row as the API sends it back, the load body and its summary, and the
query arguments of the list routes. The loader (finplat.valuation.reference) checks every row with the
same row schemas, whichever way the rows came."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from finplat.api_base import MAX_AMOUNT, ApiSchema, DecimalString, Money, Name, PageArgs, RateField, RegionCode, Text
from finplat.registry.models import RIGHT_KINDS as REGISTRY_RIGHT_KINDS

# Benchmark land prices by use: the uses of collective construction land (API.md "Registry"), and
# `homestead` for the land under a farm house.
LAND_USES = ("industrial", "warehouse", "commercial", "tourism", "entertainment", "other", "homestead")
STRUCTURES = ("reinforced_concrete", "brick_concrete", "brick_wood", "simple")
RIGHT_KINDS = (*REGISTRY_RIGHT_KINDS, "collective_shares")
# The kinds valued from an annual net income per mu (income capitalisation of an area).
INCOME_KINDS = ("land_management", "forest", "water_facility")
ANY = "*"  # a grade or item that stands for every one without a row of its own
MAX_ROWS = 10_000  # rows in one JSON load


def Positive(**kwargs):
    """An amount of yuan, more than 0, at most two decimals."""
    return DecimalString(2, MAX_AMOUNT, min_value=Decimal("0.01"), **kwargs)


def Rate(**kwargs):
    """A rate strictly between 0 and 1, at most eight decimals ("0.055" is 5.5 %)."""
    return RateField(validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False,
                                             error="must be more than 0 and less than 1"), **kwargs)


def Choice(choices, **kwargs):
    return fields.String(validate=validate.OneOf(choices, error="must be one of {choices}"), **kwargs)


class _Row(ApiSchema):
    effective_date = fields.Date(required=True)
    source = Text(200, allow_none=True)


class _RegionRow(_Row):
    region_code = RegionCode(required=True)


class ReferenceLandPriceRow(_RegionRow):
    """A benchmark land price (基准地价) per m2 of land, by region, use and grade (`*`: any grade)."""
    use = Choice(LAND_USES, required=True)
    grade = Name(20, required=True)
    price_per_m2 = Positive(required=True)


class ReferenceNetIncomeRow(_RegionRow):
    """An annual net income per mu by region, right kind and crop or tree species (`*`: any other)."""
    right_kind = Choice(INCOME_KINDS, required=True)
    item = Name(50, required=True)
    income_per_mu = Positive(required=True)


class ReferenceCapitalisationRateRow(_RegionRow):
    """A capitalisation (discount) rate by region and right kind."""
    right_kind = Choice(RIGHT_KINDS, required=True)
    rate = Rate(required=True)


class ReferenceReplacementCostRow(_RegionRow):
    """A replacement cost per m2 of floor area by region and structure."""
    structure = Choice(STRUCTURES, required=True)
    cost_per_m2 = Positive(required=True)


class ReferenceCollectiveNetAssetsRow(_Row):
    """A village collective's net operating assets, the collective named by its unified social credit code."""
    collective_uscc = Text(64, required=True)
    net_assets = Money(required=True)


ROW_SCHEMAS = {
    "land_prices": ReferenceLandPriceRow,
    "net_incomes": ReferenceNetIncomeRow,
    "capitalisation_rates": ReferenceCapitalisationRateRow,
    "replacement_costs": ReferenceReplacementCostRow,
    "collective_net_assets": ReferenceCollectiveNetAssetsRow,
}


# --- what the API sends back

class ReferenceLandPriceSchema(ReferenceLandPriceRow):
    id = fields.Integer()


class ReferenceNetIncomeSchema(ReferenceNetIncomeRow):
    id = fields.Integer()


class ReferenceCapitalisationRateSchema(ReferenceCapitalisationRateRow):
    id = fields.Integer()


class ReferenceReplacementCostSchema(ReferenceReplacementCostRow):
    id = fields.Integer()


class ReferenceCollectiveNetAssetsSchema(ReferenceCollectiveNetAssetsRow):
    id = fields.Integer()
    collective_id = fields.Integer()
    collective_name = fields.String()
    region_code = fields.String()


ITEM_SCHEMAS = {
    "land_prices": ReferenceLandPriceSchema,
    "net_incomes": ReferenceNetIncomeSchema,
    "capitalisation_rates": ReferenceCapitalisationRateSchema,
    "replacement_costs": ReferenceReplacementCostSchema,
    "collective_net_assets": ReferenceCollectiveNetAssetsSchema,
}


def _page(name, item_schema):
    """The list envelope of API.md, with the date the figures are in force on."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "as_of": fields.Date(),
    })


def _load_in(name, row_schema):
    return type(name, (ApiSchema,), {
        "rows": fields.List(fields.Nested(row_schema), required=True,
                            validate=validate.Length(min=1, max=MAX_ROWS)),
    })


PAGE_SCHEMAS = {
    "land_prices": _page("ReferenceLandPricePageSchema", ReferenceLandPriceSchema),
    "net_incomes": _page("ReferenceNetIncomePageSchema", ReferenceNetIncomeSchema),
    "capitalisation_rates": _page("ReferenceCapitalisationRatePageSchema", ReferenceCapitalisationRateSchema),
    "replacement_costs": _page("ReferenceReplacementCostPageSchema", ReferenceReplacementCostSchema),
    "collective_net_assets": _page("ReferenceCollectiveNetAssetsPageSchema", ReferenceCollectiveNetAssetsSchema),
}
LOAD_SCHEMAS = {
    "land_prices": _load_in("ReferenceLandPricesLoadIn", ReferenceLandPriceRow),
    "net_incomes": _load_in("ReferenceNetIncomesLoadIn", ReferenceNetIncomeRow),
    "capitalisation_rates": _load_in("ReferenceCapitalisationRatesLoadIn", ReferenceCapitalisationRateRow),
    "replacement_costs": _load_in("ReferenceReplacementCostsLoadIn", ReferenceReplacementCostRow),
    "collective_net_assets": _load_in("ReferenceCollectiveNetAssetsLoadIn", ReferenceCollectiveNetAssetsRow),
}


class ReferenceArgs(PageArgs):
    region_code = RegionCode()
    as_of = fields.Date()


class ReferenceLoadSummarySchema(Schema):
    dataset = fields.String()
    rows = fields.Integer()
    loaded = fields.Integer()
    unchanged = fields.Integer()
