"""Product and LPR pages: `/admin/products` lists the products and creates one (admin); `/products/` is the
same list, read only, for every institution user; `/lpr/` shows the LPR in force on a date and every
announcement, and takes an admin's CSV upload through the same loader as `finplat lpr load`."""
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from finplat import cob
from finplat.api_base import MAX_AMOUNT, MAX_ID
from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.errors import DomainError
from finplat.loans import lpr, product_service
from finplat.loans.models import (COLLATERAL_KINDS, DEFAULT_LTV_CAPS, MAX_TERM_MONTHS, ONE_YEAR_TENOR_MAX_MONTHS,
                                  PENALTY_FACTOR_RANGE, REPAYMENT_METHODS, SPREAD_BPS_RANGE, TENORS)
from finplat.loans.product_schemas import ProductIn
from finplat.valuation.reference_loader import InvalidRows
from finplat.web.forms import LOAN_LABELS, Form, Parsed, Places, chinese, show_errors, submit
from finplat.web.paging import page_of

bp = Blueprint("products", __name__)

REQUIRED = "必填"
MAX_ERRORS_SHOWN = 500
COLUMN_LABELS = {"effective_date": "公布日期", "tenor": "期限", "rate": "利率", "source": "来源", "-": "整行"}


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per choice."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AtLeastOne:
    """At least one box ticked (unlike DataRequired, it marks no single box `required`)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(self.message)


class ProductForm(Form):
    """Mirrors ProductIn (the API's schema decides what is valid); the LTV caps are one field per kind,
    sent as `ltv_caps` for the kinds filled in."""
    code = StringField("产品代码", validators=[DataRequired(REQUIRED), Length(max=40, message="最多 40 个字符"),
                                            Regexp(r"\A\s*[A-Za-z0-9][A-Za-z0-9_-]*\s*\Z",
                                                   message="只能用字母、数字、连字符和下划线，如 LAND-MORTGAGE")],
                       description="不能与已有产品重复；小写字母自动转为大写",
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    name = StringField("产品名称", validators=[DataRequired(REQUIRED), Length(max=200, message="最多 200 个字")])
    collateral_kinds = MultiCheckboxField(
        "接受的抵质押物", choices=[SelectChoice(k, LOAN_LABELS[k]) for k in COLLATERAL_KINDS],
        validators=[AtLeastOne("请至少选择一种抵质押物")])
    min_amount = DecimalField("最低金额（元）", places=None, render_kw={"inputmode": "decimal"}, validators=[
        InputRequired(REQUIRED), Parsed(), Places(2), NumberRange(min=Decimal("0.01"), message="须大于 0"),
        NumberRange(max=MAX_AMOUNT, message=f"不能超过 {MAX_AMOUNT} 元")])
    max_amount = DecimalField("最高金额（元）", places=None, render_kw={"inputmode": "decimal"}, validators=[
        InputRequired(REQUIRED), Parsed(), Places(2), NumberRange(min=Decimal("0.01"), message="须大于 0"),
        NumberRange(max=MAX_AMOUNT, message=f"不能超过 {MAX_AMOUNT} 元")])
    min_term_months = IntegerField("最短期限（月）", render_kw={"inputmode": "numeric"}, validators=[
        InputRequired(REQUIRED), Parsed(), NumberRange(1, MAX_TERM_MONTHS, message=f"须为 1 到 {MAX_TERM_MONTHS} 个月")])
    max_term_months = IntegerField(
        "最长期限（月）", render_kw={"inputmode": "numeric"},
        validators=[InputRequired(REQUIRED), Parsed(),
                    NumberRange(1, MAX_TERM_MONTHS, message=f"须为 1 到 {MAX_TERM_MONTHS} 个月")],
        description=f"贷款期限 {ONE_YEAR_TENOR_MAX_MONTHS} 个月（5 年）及以内按 1 年期 LPR 定价，以上按 5 年期以上 LPR 定价")
    spread_bps = IntegerField(
        "LPR 加点（基点）", default=0, render_kw={"inputmode": "numeric"},
        validators=[InputRequired(REQUIRED), Parsed(), NumberRange(*SPREAD_BPS_RANGE, message=(
            f"须在 {SPREAD_BPS_RANGE[0]} 到 {SPREAD_BPS_RANGE[1]} 基点之间"))],
        description=f"贷款年利率 = LPR + 加点；1 基点 = 0.01%，可为负数（{SPREAD_BPS_RANGE[0]} 到 {SPREAD_BPS_RANGE[1]}）")
    repayment_methods = MultiCheckboxField(
        "可选还款方式", choices=[SelectChoice(m, LOAN_LABELS[m]) for m in REPAYMENT_METHODS],
        default=list(REPAYMENT_METHODS), validators=[AtLeastOne("请至少选择一种还款方式")])
    penalty_factor = DecimalField(
        "罚息系数", places=None, default=Decimal("1.50"), render_kw={"inputmode": "decimal"},
        validators=[InputRequired(REQUIRED), Parsed(), Places(2),
                    NumberRange(*PENALTY_FACTOR_RANGE, message="须在 1.3 到 1.5 之间")],
        description="逾期罚息利率 = 合同利率 × 罚息系数（即加收 30% 至 50%）")
    guarantee_required = BooleanField("须由融资担保机构担保")
    program_id = IntegerField("风险分担项目编号", render_kw={"inputmode": "numeric"},
                              validators=[Optional(), Parsed(), NumberRange(min=1, message="须为正整数"),
                                          NumberRange(max=MAX_ID, message="编号过大，请核对")],
                              description="可不填")


for _kind in COLLATERAL_KINDS:
    setattr(ProductForm, f"ltv_{_kind}", DecimalField(
        f"{LOAN_LABELS[_kind]}{'质押率' if _kind == 'collective_shares' else '抵押率'}上限", places=None,
        render_kw={"inputmode": "decimal", "placeholder": str(DEFAULT_LTV_CAPS[_kind])},
        validators=[Optional(), Parsed(), Places(2), NumberRange(Decimal("0.01"), Decimal(1), message="须大于 0 且不超过 1")],
        description=f"小数，如 0.70 即 70%；留空取默认 {DEFAULT_LTV_CAPS[_kind]}"))
LTV_FIELDS = {kind: f"ltv_{kind}" for kind in COLLATERAL_KINDS}


def _caps(form) -> dict:
    return {"ltv_caps": {kind: str(form[name].data) for kind, name in LTV_FIELDS.items()
                         if form[name].data is not None}}


def _field_of(name: str):
    """A message about `ltv_caps.<kind>` belongs on that kind's cap field, one about an item of a list on the
    list's field."""
    head, _, rest = name.partition(".")
    if head == "ltv_caps" and rest.split(".")[0] in LTV_FIELDS:
        return LTV_FIELDS[rest.split(".")[0]], ""
    if head in ("collateral_kinds", "repayment_methods"):
        return head, ""
    return None


def _percent(rate: Decimal) -> str:
    return format((Decimal(rate) * 100).quantize(Decimal("0.01")), "f") + "%"


def _pricing(product, in_force: dict) -> list[str]:
    """How the product prices, tenor by tenor of its terms, with the rate in force today."""
    tenors = sorted({lpr.tenor_for(product.min_term_months), lpr.tenor_for(product.max_term_months)}, key=TENORS.index)
    spread = Decimal(product.spread_bps) / 10_000
    lines = []
    for tenor in tenors:
        when = "" if len(tenors) == 1 else (f"{ONE_YEAR_TENOR_MAX_MONTHS} 个月及以内：" if tenor == "1y"
                                            else f"{ONE_YEAR_TENOR_MAX_MONTHS} 个月以上：")
        line = f"{when}{LOAN_LABELS[tenor]} {'+' if product.spread_bps >= 0 else '−'} {abs(product.spread_bps)} 基点"
        row = in_force.get(tenor)
        if row is not None:
            line += f"（现为 {_percent(row.rate + spread)}）"
        lines.append(line)
    return lines


def _list(form=None, status=200, endpoint="products.index"):
    table = page_of(product_service.products(current_user))
    in_force = lpr.rates_on(cob.open_date())
    rows = [{
        "product": p,
        "collateral": [f"{LOAN_LABELS[k]} {_percent(cap)}" for k, cap in p.ltv_caps.items()],
        "pricing": _pricing(p, in_force),
        "methods": [LOAN_LABELS[m] for m in p.repayment_methods],
    } for p in table.rows]
    return render_template("loans/products.html", table=table, rows=rows, form=form, endpoint=endpoint,
                           ltv_fields=LTV_FIELDS, labels=LOAN_LABELS, business_date=cob.open_date()), status


@bp.route("/admin/products", methods=["GET", "POST"])
@require("admin")
def admin_products():
    form = ProductForm()
    product, status = submit(form, ProductIn(), lambda data: product_service.create_product(current_user, data),
                             extra=_caps, field_of=_field_of)
    if product is None:
        return _list(form, status, endpoint="products.admin_products")
    flash(f"已创建产品：{product.code} {product.name}")
    return redirect(url_for("products.admin_products"))


@bp.route("/products/")
@require(*INSTITUTION_ROLES)
def index():
    return _list()


# --- the LPR table

class LprFilterForm(Form):
    """Sent as a query string (a GET form, no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    as_of = DateField("日期", validators=[Optional()], description="留空为当前营业日")


class LprUploadForm(Form):
    file = FileField("CSV 文件", validators=[FileRequired("请选择文件"), FileAllowed(["csv"], "须为 .csv 文件")],
                     description="UTF-8 或 GB18030（Excel“CSV”格式）编码；首行为列名。所有行都正确才会导入，否则一行也不写入。",
                     render_kw={"accept": ".csv,text/csv"})


def _lpr_page(upload_form=None, row_errors=None, status=200):
    form = LprFilterForm(request.args)
    valid = form.validate()
    day = (form.as_of.data if valid else None) or cob.open_date()
    args = {"as_of": form.as_of.data.isoformat()} if valid and form.as_of.data else {}
    table = page_of(lpr.history())
    in_force = lpr.rates_on(day)
    errors = [(e.row, COLUMN_LABELS.get(e.field, e.field), chinese(e.message))
              for e in (row_errors or [])[:MAX_ERRORS_SHOWN]]
    admin = current_user.is_admin
    return render_template(
        "loans/lpr.html", filter_form=form, day=day, args=args, in_force=in_force, table=table,
        labels=LOAN_LABELS, percent=_percent, upload_form=(upload_form or LprUploadForm()) if admin else None,
        row_errors=errors, more_errors=max(0, len(row_errors or []) - MAX_ERRORS_SHOWN),
        one_year_max=ONE_YEAR_TENOR_MAX_MONTHS, columns=lpr.COLUMNS), status if valid else 422


@bp.route("/lpr/")
@require(*INSTITUTION_ROLES)
def lpr_index():
    return _lpr_page()


def _file_name(upload) -> str:
    """The uploaded file's own name for the audit record: printable characters only, without a path."""
    given = "".join(ch for ch in Path((upload.filename or "").replace("\\", "/")).name if ch.isprintable())
    return given[:100] or "lpr.csv"


@bp.route("/lpr/upload", methods=["POST"])
@require("admin")
def lpr_upload():
    form = LprUploadForm()
    if not form.validate_on_submit():
        return _lpr_page(upload_form=form, status=422)
    upload = form.file.data
    try:
        summary = lpr.load_csv(current_user, upload.read(), file_name=_file_name(upload))
    except InvalidRows as exc:
        return _lpr_page(upload_form=form, row_errors=exc.errors, status=show_errors(form, exc))
    except DomainError as exc:
        return _lpr_page(upload_form=form, status=show_errors(form, exc))
    flash(f"已导入 LPR：共 {summary.rows} 行，新增 {summary.loaded} 行，已公布且数值相同而跳过 {summary.unchanged} 行")
    return redirect(url_for("products.lpr_index"))
