"""Fund statement routes, for the fund managers of the fund's administration (and admins; another role gets
403, a fund of another administration 404):

- `GET /funds/{id}/statement?from=YYYY-MM-DD&to=YYYY-MM-DD`: the statement as JSON, amounts as strings;
- `GET /funds/{id}/statement.csv?from=&to=`: the same as CSV (UTF-8 with a BOM, an attachment);
- `GET /funds/{id}/statement.pdf?from=&to=`: the same as PDF (an attachment).

Three routes rather than one with `?format=`: each then has one response type that the OpenAPI document
can state. `from` and `to` are business dates, both included, and default to the month to date of the open
business date; `to` may not be before `from`, after the open date or more than five years after `from`
(422 naming the field).
"""
from flask import Response
from marshmallow import Schema, fields

from finplat.api_base import ApiSchema, Blueprint, Money
from finplat.auth.permissions import current_actor, require
from finplat.risk import statement_export as export
from finplat.risk import statement_service as service

blp = Blueprint("fund_statement_api", __name__, description="Risk: risk compensation fund statements")


class StatementArgs(ApiSchema):
    start = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "first business date; default the first of the open date's month"})
    end = fields.Date(data_key="to", load_default=None,
                      metadata={"description": "last business date; default the open business date"})


class StatementFund(Schema):
    id = fields.Integer()
    name = fields.String()
    region_code = fields.String()
    program = fields.String()
    administrator = fields.String()


class StatementLine(Schema):
    transaction_id = fields.Integer(metadata={"description": "the ledger transaction"})
    booked_on = fields.Date(metadata={"description": "the business date it was booked on"})
    kind = fields.String(metadata={"description": "contribution, payout, recovery or other"})
    category = fields.String(metadata={"description": "contributions, interest, payouts, recoveries or other"})
    source = fields.String(allow_none=True, metadata={"description": "a contribution's: budget, interest, other"})
    claim_id = fields.Integer(allow_none=True, metadata={"description": "a payout's or recovery's claim"})
    loan_id = fields.Integer(allow_none=True)
    memo = fields.String(allow_none=True)
    amount_in = Money(metadata={"description": "into the fund's cash (debit)"})
    amount_out = Money(metadata={"description": "out of it (credit)"})
    balance = Money(metadata={"description": "after it"})


class InOut(Schema):
    in_ = Money(data_key="in", attribute="in")
    out = Money()


class StatementTotals(Schema):
    contributions = fields.Nested(InOut, metadata={"description": "budget and other money put in"})
    interest = fields.Nested(InOut, metadata={"description": "interest on the fund's deposit"})
    payouts = fields.Nested(InOut, metadata={"description": "the fund's shares of claims paid"})
    recoveries = fields.Nested(InOut, metadata={"description": "the fund's part of recoveries on claims paid"})
    other = fields.Nested(InOut)
    in_ = Money(data_key="in", attribute="in")
    out = Money()


class StatementSchema(Schema):
    fund = fields.Nested(StatementFund)
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    as_of = fields.Date(metadata={"description": "the open business date when it was drawn up"})
    opening_on = fields.Date(metadata={"description": "the day whose closing balance opens the statement"})
    opening_balance = Money()
    lines = fields.List(fields.Nested(StatementLine))
    totals = fields.Nested(StatementTotals)
    closing_balance = Money(metadata={"description": "opening_balance + totals.in - totals.out"})


def _file(data: bytes, mimetype: str, statement: dict, extension: str) -> Response:
    return Response(data, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export.file_name(statement, extension)}"',
        "Cache-Control": "no-store"})


@blp.route("/funds/<int:fund_id>/statement", methods=["GET"])
@require("fund_manager")
@blp.arguments(StatementArgs, location="query", as_kwargs=True)
@blp.response(200, StatementSchema)
def statement(fund_id, start, end):
    """Opening balance (the close of the day before `from`), each cash movement booked from `from` to `to`
    with the balance after it, totals in and out by category and the closing balance."""
    return service.statement(current_actor(), fund_id, start, end)


@blp.route("/funds/<int:fund_id>/statement.csv", methods=["GET"])
@require("fund_manager")
@blp.arguments(StatementArgs, location="query", as_kwargs=True)
@blp.response(200, content_type=export.CSV_MIME, description="the statement as CSV (an attachment)")
def statement_csv(fund_id, start, end):
    """The statement as CSV (UTF-8 with a byte-order mark, so that Excel shows the Chinese)."""
    found = service.statement(current_actor(), fund_id, start, end)
    return _file(export.to_csv(found), export.CSV_MIME, found, "csv")


@blp.route("/funds/<int:fund_id>/statement.pdf", methods=["GET"])
@require("fund_manager")
@blp.arguments(StatementArgs, location="query", as_kwargs=True)
@blp.response(200, content_type=export.PDF_MIME, description="the statement as PDF (an attachment)")
def statement_pdf(fund_id, start, end):
    """The statement as a PDF to print or file (not signed)."""
    found = service.statement(current_actor(), fund_id, start, end)
    return _file(export.to_pdf(found), export.PDF_MIME, found, "pdf")
