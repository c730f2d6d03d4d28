"""Reference data pages: `/reference/` lists the figures in force on a date, one dataset at a time, narrowed by
region, for every logged-in institution user; admins load a dataset's CSV file through the same service as
the CLI and the API (finplat.valuation.reference_loader.load_csv), and a refused file's rows are listed on the page
with their row number, column and message."""
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import Optional, Regexp

from finplat import cob
from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.errors import DomainError
from finplat.valuation import reference, reference_loader
from finplat.valuation.reference_schemas import ANY, INCOME_KINDS, LAND_USES, RIGHT_KINDS, STRUCTURES
from finplat.web.forms import REGISTRY_LABELS, Form, chinese, show_errors
from finplat.web.paging import page_of

bp = Blueprint("reference", __name__, url_prefix="/reference")

READERS = INSTITUTION_ROLES
MAX_ERRORS_SHOWN = 500

DATASET_LABELS = {"land_prices": "基准地价", "net_incomes": "亩均年净收益", "capitalisation_rates": "还原率",
                  "replacement_costs": "房屋重置成本", "collective_net_assets": "集体经济组织净资产"}
COLUMN_LABELS = {
    "region_code": "行政区划代码", "use": "用途", "grade": "级别", "price_per_m2": "基准地价（元/平方米）",
    "right_kind": "权利类型", "item": "作物或树种", "income_per_mu": "年净收益（元/亩）", "rate": "还原率",
    "structure": "结构", "cost_per_m2": "重置成本（元/平方米）", "collective_uscc": "统一社会信用代码",
    "collective_name": "村集体经济组织", "net_assets": "净资产（元）", "effective_date": "生效日期", "source": "来源",
    "file": "文件", "-": "整行",
}
# What each dataset's table shows, in order.
TABLE_COLUMNS = {
    "land_prices": ("region_code", "use", "grade", "price_per_m2", "effective_date", "source"),
    "net_incomes": ("region_code", "right_kind", "item", "income_per_mu", "effective_date", "source"),
    "capitalisation_rates": ("region_code", "right_kind", "rate", "effective_date", "source"),
    "replacement_costs": ("region_code", "structure", "cost_per_m2", "effective_date", "source"),
    "collective_net_assets": ("collective_name", "collective_uscc", "region_code", "net_assets", "effective_date",
                              "source"),
}
VALUE_LABELS = {
    **{k: REGISTRY_LABELS.get(k, k) for k in (*LAND_USES, *RIGHT_KINDS)},
    "homestead": "宅基地", "collective_shares": "集体资产股权",
    "reinforced_concrete": "钢筋混凝土", "brick_concrete": "砖混", "brick_wood": "砖木", "simple": "简易",
    ANY: "其他（通用）",
}
CODED = {"use", "right_kind", "structure", "grade", "item"}  # columns whose codes read better in Chinese
# The codes a file may use, shown beside the upload form.
CODES = {
    "land_prices": ("use", LAND_USES),
    "net_incomes": ("right_kind", INCOME_KINDS),
    "capitalisation_rates": ("right_kind", RIGHT_KINDS),
    "replacement_costs": ("structure", STRUCTURES),
}
assert set(DATASET_LABELS) == set(TABLE_COLUMNS) == set(reference.DATASETS)


class FilterForm(Form):
    """The list's filter: sent as a query string (a GET form, no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    region_code = StringField("行政区划代码", validators=[Optional(), Regexp(r"\A[0-9]{6}\Z", message="须为六位数字，如 370100（济南市）")],
                              description="含所辖区县及所属市、省的数据；留空为全部",
                              render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"})
    as_of = DateField("有效日期", validators=[Optional()], description="留空为当前营业日")


class UploadForm(Form):
    file = FileField("CSV 文件", validators=[FileRequired("请选择文件"), FileAllowed(["csv"], "须为 .csv 文件")],
                     description="UTF-8 或 GB18030（Excel“CSV”格式）编码；首行为列名。所有行都正确才会导入，否则一行也不写入。",
                     render_kw={"accept": ".csv,text/csv"})


def _cell(column: str, value) -> str:
    if value is None:
        return ""
    if column == "rate":
        return format((Decimal(value) * 100).normalize(), "f") + "%"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if column in CODED:
        return VALUE_LABELS.get(value, value)
    return str(value)


def _index(name: str, upload_form=None, row_errors=None, status=200):
    form = FilterForm(request.args)
    valid = form.validate()
    day = (form.as_of.data if valid else None) or cob.open_date()
    region = form.region_code.data if valid and form.region_code.data else None
    table = page_of(reference.in_force(name, day, region))
    rows = [[_cell(c, row[c]) for c in TABLE_COLUMNS[name]] for row in reference.describe(name, table.rows)]
    admin = current_user.is_admin
    args = {"dataset": name, **({"region_code": region} if region else {}),
            **({"as_of": form.as_of.data.isoformat()} if valid and form.as_of.data else {})}
    errors = [(e.row, COLUMN_LABELS.get(e.field, e.field), chinese(e.message))
              for e in (row_errors or [])[:MAX_ERRORS_SHOWN]]
    return render_template(
        "valuation/reference.html", dataset=name, datasets=DATASET_LABELS, filter_form=form, day=day, table=table,
        rows=rows, columns=[COLUMN_LABELS[c] for c in TABLE_COLUMNS[name]], args=args, admin=admin,
        upload_form=(upload_form or UploadForm()) if admin else None, row_errors=errors,
        more_errors=max(0, len(row_errors or []) - MAX_ERRORS_SHOWN),
        file_columns=reference.DATASETS[name].columns, codes=CODES.get(name), column_labels=COLUMN_LABELS,
        value_labels=VALUE_LABELS), status if valid else 422


@bp.route("/")
@require(*READERS)
def index():
    name = request.args.get("dataset") or "land_prices"
    if name not in reference.DATASETS:
        abort(404)
    return _index(name)


def _file_name(upload, name: str) -> str:
    """The uploaded file's own name for the audit record: printable characters only, without a path."""
    given = "".join(ch for ch in Path((upload.filename or "").replace("\\", "/")).name if ch.isprintable())
    return given[:100] or f"{name}.csv"


@bp.route("/<name>/upload", methods=["POST"])
@require("admin")
def upload(name):
    if name not in reference.DATASETS:
        abort(404)
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(name, upload_form=form, status=422)
    upload_file = form.file.data
    try:
        summary = reference_loader.load_csv(current_user, name, upload_file.read(), file_name=_file_name(upload_file, name))
    except reference_loader.InvalidRows as exc:
        return _index(name, upload_form=form, row_errors=exc.errors, status=show_errors(form, exc))
    except DomainError as exc:
        return _index(name, upload_form=form, status=show_errors(form, exc))
    flash(f"已导入{DATASET_LABELS[name]}：共 {summary.rows} 行，新增 {summary.loaded} 行，"
          f"已公布且数值相同而跳过 {summary.unchanged} 行")
    return redirect(url_for("reference.index", dataset=name))
