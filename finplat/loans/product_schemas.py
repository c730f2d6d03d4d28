"""Products and the LPR table at the edge: the product a client sends and gets back, and the LPR rows as a CSV
file, a JSON load or a response gives them. The schemas check each value; product_service checks the rules
between values (min <= max, caps for accepted kinds only, the LPR tenor of the term)."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from finplat.api_base import MAX_AMOUNT, ApiSchema, DecimalString, Id, Money, Name, PageArgs, Text
from finplat.loans.models import (COLLATERAL_KINDS, MAX_TERM_MONTHS, PENALTY_FACTOR_RANGE, REPAYMENT_METHODS,
                                  SPREAD_BPS_RANGE, TENORS)

CODE = r"\A[A-Z0-9][A-Z0-9_-]{0,39}\Z"
MAX_LPR_ROWS = 10_000


class _Code(fields.String):
    """A product code: trimmed and upper-cased ("land-mortgage" is LAND-MORTGAGE), then letters, digits, - and _."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


def _choices(choices, what, **kwargs):
    """A list of distinct values among `choices`, at least one."""
    def check(values):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValidationError(f"listed twice: {', '.join(repeated)}")
    return fields.List(fields.String(validate=validate.OneOf(choices, error="must be one of {choices}")),
                       validate=[validate.Length(min=1, error=f"choose at least one {what}"), check], **kwargs)


class LtvCap(DecimalString):
    """An LTV cap: more than 0, at most 1, two decimals ("0.70")."""

    def __init__(self, **kwargs):
        super().__init__(2, Decimal(1), min_value=Decimal("0.01"), **kwargs)


class ProductIn(ApiSchema):
    """A new product (POST /products). `ltv_caps` may leave out kinds: they take DESIGN.md's defaults.
    `lpr_tenor` may be left out: it follows from max_term_months (1y up to 60 months, 5y above)."""
    code = _Code(required=True, validate=validate.Regexp(
        CODE, error="upper-case letters, digits, - and _ only, at most 40 (e.g. LAND-MORTGAGE)"))
    name = Name(200, required=True)
    collateral_kinds = _choices(COLLATERAL_KINDS, "collateral kind", required=True)
    ltv_caps = fields.Dict(keys=fields.String(validate=validate.OneOf(COLLATERAL_KINDS,
                                                                      error="must be one of {choices}")),
                           values=LtvCap(), load_default=dict)
    min_amount = Money(required=True, validate=validate.Range(min=Decimal("0.01"), error="must be more than 0"))
    max_amount = Money(required=True, validate=validate.Range(min=Decimal("0.01"), error="must be more than 0"))
    min_term_months = fields.Integer(required=True, strict=True, validate=validate.Range(
        min=1, max=MAX_TERM_MONTHS, error=f"must be a whole number of months from 1 to {MAX_TERM_MONTHS}"))
    max_term_months = fields.Integer(required=True, strict=True, validate=validate.Range(
        min=1, max=MAX_TERM_MONTHS, error=f"must be a whole number of months from 1 to {MAX_TERM_MONTHS}"))
    lpr_tenor = fields.String(validate=validate.OneOf(TENORS, error="must be one of {choices}"))
    spread_bps = fields.Integer(required=True, strict=True, validate=validate.Range(
        *SPREAD_BPS_RANGE, error=f"must be a whole number of basis points from {SPREAD_BPS_RANGE[0]} "
                                 f"to {SPREAD_BPS_RANGE[1]}"))
    repayment_methods = _choices(REPAYMENT_METHODS, "repayment method", required=True)
    penalty_factor = DecimalString(2, PENALTY_FACTOR_RANGE[1], min_value=PENALTY_FACTOR_RANGE[0], required=True)
    guarantee_required = fields.Boolean(load_default=False)
    program_id = Id(allow_none=True, load_default=None)


class ProductSchema(ProductIn):
    id = fields.Integer()
    created_at = fields.DateTime()


class ProductFilter(PageArgs):
    collateral_kind = fields.String(validate=validate.OneOf(COLLATERAL_KINDS, error="must be one of {choices}"))


# --- the LPR table

class LprRateField(DecimalString):
    """An LPR as a decimal with at most four places (3.10 % is "0.0310"); a figure of 20 % or more is taken
    for a percentage typed as it is published, and refused."""

    def __init__(self, **kwargs):
        super().__init__(4, MAX_AMOUNT, min_value=-MAX_AMOUNT, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number <= 0:
            raise ValidationError("must be more than 0")
        if number >= Decimal("0.2"):
            raise ValidationError("must be a decimal under 0.2: 3.10 % is 0.0310")
        return number


class LprRow(ApiSchema):
    """One announced LPR: its announcement date, tenor (1y, or 5y for five years and above), the rate as a
    decimal and where it was published."""
    effective_date = fields.Date(required=True)
    tenor = fields.String(required=True, validate=validate.OneOf(TENORS, error="must be one of {choices}"))
    rate = LprRateField(required=True)
    source = Text(200, allow_none=True)


class LprSchema(LprRow):
    id = fields.Integer()


class LprArgs(PageArgs):
    tenor = fields.String(validate=validate.OneOf(TENORS, error="must be one of {choices}"))
    as_of = fields.Date()


class LprInForce(Schema):
    one_year = fields.Nested(LprSchema, allow_none=True, data_key="1y")
    five_year = fields.Nested(LprSchema, allow_none=True, data_key="5y")


class LprPageSchema(Schema):
    """The announcements on or before `as_of`, newest first, and the rate of each tenor in force that day."""
    items = fields.List(fields.Nested(LprSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    as_of = fields.Date()
    in_force = fields.Nested(LprInForce)


class LprLoadIn(ApiSchema):
    rows = fields.List(fields.Nested(LprRow), required=True, validate=validate.Length(min=1, max=MAX_LPR_ROWS))


class LprLoadSummarySchema(Schema):
    rows = fields.Integer()
    loaded = fields.Integer()
    unchanged = fields.Integer()
