"""Fund statement pages for a fund's managers: `/risk/funds/<id>/statement?from=&to=` (a GET form of two
dates, the statement's table and totals) and its downloads `/risk/funds/<id>/statement.csv` and `.pdf`, with
the same query. The form reads only; it changes nothing, so it carries no CSRF token."""

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user
from wtforms import DateField
from wtforms.validators import Optional

from finplat.auth.permissions import require
from finplat.errors import DomainError, invalid_fields
from finplat.risk import fund_service
from finplat.risk import statement_export as export
from finplat.risk import statement_service as service
from finplat.web.forms import Form, show_errors

bp = Blueprint("fund_statements", __name__, url_prefix="/risk")


class _GetForm(Form):
    class Meta:
        csrf = False


# Built with type(): the fields are named `from` and `to`, as in the API's query, and `from` is a keyword.
StatementForm = type("StatementForm", (_GetForm,), {
    "from": DateField("起始日期", validators=[Optional()], description="按记账营业日；留空为当月 1 日"),
    "to": DateField("截止日期", validators=[Optional()], description="留空为当前营业日；最长 5 年"),
})


def _period(form):
    return form["from"].data, form["to"].data


def _found(fund_id):
    """The statement of the query's period (a field error from the form or the service as a 422)."""
    form = StatementForm(request.args)
    if not form.validate():
        raise invalid_fields(form.errors)
    return service.statement(current_user, fund_id, *_period(form))


@bp.route("/funds/<int:fund_id>/statement")
@require("fund_manager")
def statement(fund_id):
    fund = fund_service.get_fund(current_user, fund_id)  # a fund the user may not see is a 404, whatever the query
    form = StatementForm(request.args)
    found, status, links = None, 422, {}
    if form.validate():
        try:
            found, status = service.statement(current_user, fund_id, *_period(form)), 200
        except DomainError as exc:
            if exc.status == 404:
                raise
            status = show_errors(form, exc)
    if found:
        args = {"from": found["from"].isoformat(), "to": found["to"].isoformat()}
        links = {kind: url_for(f"fund_statements.statement_{kind}", fund_id=fund_id, **args)
                 for kind in ("csv", "pdf")}
        for name in ("from", "to"):  # the period covered, defaults filled in
            form[name].data, form[name].raw_data = found[name], None
    return render_template("risk/fund_statement.html", form=form, fund=fund, statement=found, links=links,
                           kinds=export.KIND_LABELS, categories=export.CATEGORY_LABELS,
                           detail=export.detail), status


@bp.route("/funds/<int:fund_id>/statement.csv")
@require("fund_manager")
def statement_csv(fund_id):
    found = _found(fund_id)
    return _file(export.to_csv(found), export.CSV_MIME, found, "csv")


@bp.route("/funds/<int:fund_id>/statement.pdf")
@require("fund_manager")
def statement_pdf(fund_id):
    found = _found(fund_id)
    return _file(export.to_pdf(found), export.PDF_MIME, found, "pdf")


def _file(data: bytes, mimetype: str, found: dict, extension: str) -> Response:
    return Response(data, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export.file_name(found, extension)}"',
        "Cache-Control": "no-store"})
