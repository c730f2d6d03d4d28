"""What every JSON blueprint shares: the body parser (JSON numbers read as Decimal, never float), field
types for ids, money and rates, and the list envelope {"items", "total", "page", "per_page"}."""
import json
from decimal import Decimal, InvalidOperation

import flask_smorest
from marshmallow import Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import func, select
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import UnsupportedMediaType

from finplat.extensions import db

MAX_AMOUNT = Decimal("9999999999999999.99")  # NUMERIC(18,2)
MAX_ID = 2**31 - 1  # primary keys are INTEGER


def _strings(value):
    """Every string in a parsed JSON document, keys included (iteratively: no depth limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800"
        return False
    return True


class DecimalParser(FlaskParser):
    """JSON bodies only: a body sent as anything else is a 415, not an empty object. Text that is not
    Unicode (lone surrogate escapes), nesting deeper than the parser can follow and numbers beyond Decimal's
    range are malformed (400), never a crash."""

    def _raw_load_json(self, req):
        if not req.is_json:
            if req.mimetype or req.content_length:  # without reading the stream: a form stays parseable
                raise UnsupportedMediaType("the body must be JSON, sent as Content-Type: application/json")
            return super()._raw_load_json(req)
        data = req.get_data(cache=True)
        if not data:
            return super()._raw_load_json(req)
        try:
            document = json.loads(data, parse_float=Decimal)
        except (UnicodeDecodeError, ValueError, ArithmeticError, RecursionError) as exc:
            return self._handle_invalid_json_error(exc, req)
        if not all(_is_unicode(text) for text in _strings(document)):
            return self._handle_invalid_json_error(ValueError("lone surrogate"), req)
        return document


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalParser()


class ApiSchema(Schema):
    """Unknown fields are errors (marshmallow's default RAISE), named in the response. No string may hold a
    NUL character: PostgreSQL text cannot store one, and no legitimate input contains one."""

    @pre_load
    def _no_nul(self, data, **kwargs):
        if hasattr(data, "items"):
            bad = {key: ["must not contain NUL characters"] for key, value in data.items()
                   if any("\x00" in text for text in _strings(value))}
            if bad:
                raise ValidationError(bad)
        return data


class DecimalString(fields.Decimal):
    """A decimal given as a string or JSON number, sent back as a string with fixed places."""

    def __init__(self, places, max_value, min_value=Decimal(0), **kwargs):
        super().__init__(as_string=True, allow_nan=False, **kwargs)
        self.exact_places, self.max_value, self.min_value = places, max_value, min_value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ValidationError("must be a decimal number, as a string")
        text = str(value).strip()
        if not text.isascii():  # Decimal() would read full-width and other scripts' digits as well
            raise ValidationError("not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError("not a number") from None
        if not number.is_finite():
            raise ValidationError("not a number")
        if -number.as_tuple().exponent > self.exact_places:
            raise ValidationError(f"at most {self.exact_places} decimal places")
        if not self.min_value <= number <= self.max_value:
            raise ValidationError(f"must be between {self.min_value} and {self.max_value}")
        # Exact (the places were checked): "1E+2" and "-0" reach services and the audit log as 100.00 and 0.00.
        return number.quantize(Decimal(1).scaleb(-self.exact_places)) + 0

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return f"{Decimal(value):.{self.exact_places}f}"


def Id(**kwargs):
    """The id of a row: a JSON integer (not 1.5, not "1"; pass strict=False for query strings) that fits
    the INTEGER primary keys, so that an absurd id is a 422, never a database overflow."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Money(**kwargs):
    return DecimalString(2, MAX_AMOUNT, **kwargs)


def RateField(max_value=Decimal(1), **kwargs):
    return DecimalString(8, max_value, **kwargs)


def Text(max_len=200, min_len=1, **kwargs):
    """A string with a length bound: no input is ever unbounded."""
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


# \A...\Z and [0-9]: "$" would let a trailing newline through and "\d" any script's digits.
REGION_CODE = r"\A[0-9]{6}\Z"
PHONE = r"\A\+?[0-9]{5,19}\Z"  # phone columns are VARCHAR(20)


def RegionCode(**kwargs):
    """A GB/T 2260 six-digit division code."""
    return fields.String(validate=validate.Regexp(REGION_CODE, error="must be a six-digit GB/T 2260 code"), **kwargs)


def Phone(**kwargs):
    return fields.String(validate=validate.Regexp(PHONE, error="5 to 19 digits, optionally after a +"), **kwargs)


class _Trimmed(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def Name(max_len=200, **kwargs):
    """A name or other identifier: surrounding blanks are dropped ("X " is "X"), and a blank one is refused."""
    return _Trimmed(validate=validate.Length(min=1, max=max_len), **kwargs)


class PageArgs(ApiSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def page_schema(item_schema):
    """The list envelope of API.md for `item_schema`."""
    return type(f"{item_schema.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    })


def paginate(stmt, page: int, per_page: int, rows: bool = False) -> dict:
    """A page of `stmt`'s objects (or, with `rows`, of its rows as dicts)."""
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    rows = [row._asdict() for row in result] if rows else result.scalars().all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}
