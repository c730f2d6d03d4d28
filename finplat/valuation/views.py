"""Valuation pages (DESIGN.md §3.3): the valuations a user may see, an appraiser's request for a valuation of
a right or a shareholding, the valuation report (printable) with its certification, and the calculator that
records nothing.

Each form is checked by WTForms for friendly Chinese messages, then loaded through the API's schema
(ValuationIn, PreviewIn) and handed to the service function the API calls (finplat.web.forms.submit); the
service's messages about a method's inputs ({"inputs": {name: [...]}}) land on that input's field.

A method's inputs are a form of their own, built for the method chosen. The method select sits in the same
form with a "更换方法" button that shows the other method's inputs without submitting anything; a small
script presses it when the select changes, and without the script the button is there to press. A link may
choose the method with ?method=. On the request page every input is optional (left blank, it is derived from
the registry and the reference data); on the calculator every input is required.
"""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from finplat import cob
from finplat.auth.permissions import get_visible, require, visible
from finplat.auth.roles import ROLE_INSTITUTION_KIND
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.registry.models import Party, Right, ShareRegister, Shareholding
from finplat.registry.views import (ATTRIBUTE_LABELS, PARTY_KIND_LABELS, RIGHT_KIND_LABELS, STATUS_LABELS, UNIT_LABELS,
                                    VALUE_LABELS)
from finplat.valuation import service
from finplat.valuation.derivation import METHODS_BY_KIND, remaining_years
from finplat.valuation.method_schemas import INPUT_SCHEMAS
from finplat.valuation.methods import SERVICE_LIFE
from finplat.valuation.models import (METHODS, STATUSES, CapitalisationRate, CollectiveNetAssets, LandPrice, NetIncome,
                                      ReplacementCost, Valuation)
from finplat.valuation.schemas import PreviewIn, ValuationIn
from finplat.web.forms import REGISTRY_LABELS, VALUATION_LABELS, Form, Parsed, Places, show_errors, submit, values
from finplat.web.paging import page_of

bp = Blueprint("valuation", __name__, url_prefix="/valuation")

PREVIEWERS = tuple(role for role, kind in ROLE_INSTITUTION_KIND.items() if kind)  # every institution user
REQUIRED = "必填"

METHOD_LABELS = {m: VALUATION_LABELS[m] for m in METHODS}
VALUATION_STATUS_LABELS = {s: VALUATION_LABELS[s] for s in STATUSES}
SOURCE_LABELS = {s: VALUATION_LABELS[s] for s in ("appraiser", "registry", "reference", "default")}
STRUCTURE_LABELS = {s: VALUATION_LABELS[s] for s in SERVICE_LIFE}

# --- a method's inputs: the order they are asked in, what each is, and what a blank one is derived from

INPUTS = {
    "income_capitalisation": ("annual_net_income", "rate", "years"),
    "land_price_coefficient": ("base_price", "area", "factor_corrections", "rate", "remaining_years", "max_years"),
    "cost": ("replacement_cost_per_m2", "floor_area", "structure", "age_years", "land_value"),
    "market_comparison": ("comparables", "area"),
    "share_nav": ("net_assets", "total_shares", "shares"),
}
assert all(set(names) == set(INPUT_SCHEMAS[method]().fields) for method, names in INPUTS.items())

# name: (label, kind). Kinds: money, rate, years, whole_years, area, shares, structure, corrections, comparables.
INPUT_FIELDS = {
    "annual_net_income": ("年净收益 A（元）", "money"),
    "rate": ("还原率 r", "rate"),
    "years": ("收益年限 n（年）", "years"),
    "base_price": ("基准地价（元/平方米）", "money"),
    "area": ("面积", "area"),
    "factor_corrections": ("因素修正系数", "corrections"),
    "remaining_years": ("剩余使用年限 m（年）", "years"),
    "max_years": ("该用途最高出让年限 n（年）", "whole_years"),
    "replacement_cost_per_m2": ("重置单价（元/平方米）", "money"),
    "floor_area": ("建筑面积（平方米）", "area"),
    "structure": ("房屋结构", "structure"),
    "age_years": ("已使用年限 t（年）", "years"),
    "land_value": ("土地价值（元）", "money"),
    "comparables": ("可比实例", "comparables"),
    "net_assets": ("集体经营性净资产（元）", "money"),
    "total_shares": ("总股数", "shares"),
    "shares": ("持有股数", "shares"),
}
METHOD_INPUT_LABELS = {("land_price_coefficient", "area"): "土地面积（平方米）",
                       ("market_comparison", "area"): "评估对象面积"}
HINTS = {
    "annual_net_income": "整个产权一年的净收益",
    "rate": "小数，如 0.06 即 6%",
    "years": "可有小数，如 21.10",
    "factor_corrections": "各项修正以空格分隔，如 0.02 -0.01（即 +2%、-1%）",
    "remaining_years": "可有小数",
    "comparables": "每行一个实例：价格,面积,因素1 因素2 …，如 300000.00,100.00,1.02 0.98 1.00。"
                   "因素为交易情况、交易日期、区域、个别、年期等修正系数；至少三行",
    ("market_comparison", "area"): "与可比实例的面积单位相同",
}
# What a blank input is taken from on the request page (finplat.valuation.derivation).
DERIVED = {
    "annual_net_income": "留空：参考数据中的亩均年净收益 × 面积（亩）",
    "rate": "留空：参考数据中的还原率",
    "years": "留空：产权的剩余期限（登记簿）",
    "base_price": "留空：参考数据中该用途、级别的基准地价",
    ("land_price_coefficient", "area"): "留空：登记面积（折算为平方米）",
    ("market_comparison", "area"): "留空：登记面积",
    "factor_corrections": "留空：不作修正",
    "remaining_years": "留空：产权的剩余期限（登记簿）",
    "max_years": "留空：该用途的法定最高出让年限",
    "replacement_cost_per_m2": "留空：参考数据中该结构的重置成本（水利设施为登记的建设成本 ÷ 面积）",
    "floor_area": "留空：登记的建筑面积",
    "structure": "留空：登记的房屋结构",
    "age_years": "留空：估值年份 − 建成年份",
    "land_value": "留空：宅基地面积 × 参考数据中的宅基地基准地价（未登记宅基地为 0）",
    "comparables": "须填写：可比实例无法推算",
    "net_assets": "留空：参考数据中该村集体经济组织的净资产",
    "total_shares": "留空：股权登记簿的总股数",
    "shares": "留空：登记的持股数",
}


def _input_label(method, name):
    return METHOD_INPUT_LABELS.get((method, name), INPUT_FIELDS[name][0])


def _input_field(method, name, required):
    label, kind = _input_label(method, name), INPUT_FIELDS[name][1]
    hint = HINTS.get((method, name), HINTS.get(name, ""))
    if not required:
        hint = "；".join(filter(None, [DERIVED.get((method, name), DERIVED.get(name)), hint]))
    presence = InputRequired(REQUIRED) if required and kind != "corrections" else Optional()
    decimal = {"inputmode": "decimal", "autocomplete": "off"}
    if kind in ("money", "area", "rate", "years"):
        places = {"money": 2, "area": 2, "rate": 8, "years": 4}[kind]
        return DecimalField(label, places=None, validators=[presence, Parsed(), Places(places)], description=hint,
                            render_kw=decimal)
    if kind in ("shares", "whole_years"):
        return IntegerField(label, validators=[presence, Parsed()], description=hint,
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    if kind == "structure":
        return SelectField(label, choices=[SelectChoice("", "—")] + [SelectChoice(k, v) for k, v in STRUCTURE_LABELS.items()],
                           validators=[presence], default="", description=hint)
    if kind == "corrections":
        if required:
            hint += "；无修正留空"
        return StringField(label, validators=[presence, Length(max=1000, message="内容过长")], description=hint,
                           render_kw={**decimal, "inputmode": "text", "spellcheck": "false"})
    return TextAreaField(label, validators=[presence, Length(max=10000, message="内容过长")], description=hint,
                         render_kw={"rows": 5, "autocomplete": "off", "spellcheck": "false",
                                    "placeholder": "300000.00,100.00,1.02 0.98 1.00"})


_FORMS = {}


def _form_class(method, required):
    """The form of `method`'s inputs (all required on the calculator, all optional on the request page)."""
    key = (method, required)
    if key not in _FORMS:
        attrs = {"method": SelectField("评估方法", validators=[InputRequired("请选择评估方法")],
                                       invalid_choice_message="请从列表中选择"),
                 "shown": HiddenField()}
        for name in INPUTS[method]:
            attrs[name] = _input_field(method, name, required)
        if not required:
            attrs["note"] = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="最多 2000 个字")],
                                          description="如：实地查看情况、可比实例的来源", render_kw={"rows": 3})
        _FORMS[key] = type(f"{method.title().replace('_', '')}Form", (Form,), attrs)
    return _FORMS[key]


def _chosen_method(allowed):
    """The method the form is for: the one posted, or ?method=, or the first allowed."""
    chosen = (request.form if request.method == "POST" else request.args).get("method")
    return chosen if chosen in allowed else allowed[0]


def _method_form(method, allowed, required):
    form = _form_class(method, required)()
    form.method.choices = [SelectChoice(m, METHOD_LABELS[m]) for m in allowed]
    return form


def _switching(method) -> bool:
    """A post that only changes the method: the "更换方法" button, or a select changed without it."""
    return request.method == "POST" and ("switch" in request.form or request.form.get("shown", method) != method)


def _shown(form, method):
    """Ready the form to render for `method`: the method selected and remembered as the one shown."""
    form.method.data = method
    form.shown.data = method
    return form


# --- a form's inputs as the API's `inputs`

NUMBER = re.compile(r"\A[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")
COMPARABLE_FORMAT = "须为“价格,面积,因素1 因素2 …”，如 300000.00,100.00,1.02 0.98 1.00"


def _comparables(form):
    """The comparables typed one a line ("价格,面积,因素1 因素2 …", ASCII or Chinese commas) as
    [{price, area, factors}], or None with the lines that cannot be read marked on the field. The line each
    comparable came from is kept on the form, for the service's messages about comparable i."""
    comparables, lines, errors = [], [], []
    for number, line in enumerate((form.comparables.data or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        factors = parts[2].replace("、", " ").split() if len(parts) == 3 else []
        if len(parts) != 3 or not parts[0] or not parts[1] or not factors:
            errors.append(f"第 {number} 行{COMPARABLE_FORMAT}")
            continue
        bad = [text for text in (parts[0], parts[1], *factors) if not NUMBER.match(text)]
        if bad:
            errors.append(f"第 {number} 行：“{bad[0]}”不是数字")
            continue
        comparables.append({"price": parts[0], "area": parts[1], "factors": factors})
        lines.append(number)
    form.comparable_lines = lines
    if errors:
        form.comparables.errors = list(form.comparables.errors) + errors
        return None
    return comparables


def _inputs(form, method, required):
    """The method's inputs as the API takes them, or None after marking what cannot be read. A blank input
    is left out on the request page (derived) and an empty list of factor corrections means none."""
    names = INPUTS[method]
    inputs = values(form, [n for n in names if n not in ("factor_corrections", "comparables")])
    if "factor_corrections" in names:
        corrections = (form.factor_corrections.data or "").replace(",", " ").replace("，", " ").replace("、", " ").split()
        if corrections or required:
            inputs["factor_corrections"] = corrections
    if "comparables" in names:
        comparables = _comparables(form)
        if comparables is None:
            return None
        if comparables:
            inputs["comparables"] = comparables
    return inputs


COMPARABLE_PARTS = {"price": "价格", "area": "面积", "factors": "修正系数"}


def _field_of(form):
    """Where a schema's or the service's message about inputs.x goes: x's field, a comparable's to its line."""
    def field_of(name):
        parts = name.split(".")
        if parts[0] != "inputs" or len(parts) < 2:
            return None
        field = parts[1]
        if field == "comparables" and len(parts) > 2 and parts[2].isdigit():
            index, lines = int(parts[2]), getattr(form, "comparable_lines", [])
            what = COMPARABLE_PARTS.get(parts[3], "") if len(parts) > 3 else ""
            if len(parts) > 4 and parts[4].isdigit():
                what += f"第 {int(parts[4]) + 1} 个"
            return "comparables", f"第 {lines[index] if index < len(lines) else index + 1} 行{what}："
        if field == "factor_corrections" and len(parts) > 2 and parts[2].isdigit():
            return "factor_corrections", f"第 {int(parts[2]) + 1} 项："
        return (field, "") if field in form else None
    return field_of


# --- numbers as people read them

FEN = Decimal("0.01")
EIGHT = Decimal("1E-8")


def _decimal(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money(value) -> str:
    """12,345.68: thousands separated, two decimals, half up."""
    number = _decimal(value)
    if number is None:
        return "—" if value is None else str(value)
    with localcontext() as ctx:
        ctx.prec = 60
        return f"{number.quantize(FEN, ROUND_HALF_UP):,.2f}"


def factor(value) -> str:
    """0.70755362: eight decimals, half up."""
    number = _decimal(value)
    if number is None:
        return "—" if value is None else str(value)
    with localcontext() as ctx:
        ctx.prec = 60
        return f"{number.quantize(EIGHT, ROUND_HALF_UP):.8f}"


def plain(value) -> str:
    """A decimal without trailing zeros ("0.06000000" -> "0.06", "20" -> "20")."""
    number = _decimal(value)
    if number is None:
        return "—" if value is None else str(value)
    return format(number.normalize(), "f")


def _trimmed(value, whole_too=False) -> str:
    """A decimal without trailing zeros past the second decimal ("21.1000" -> "21.10"); a whole number as
    it is ("20") or, with whole_too, with two decimals ("1.00000000" -> "1.00")."""
    number = _decimal(value)
    if number is None:
        return plain(value)
    number = number.normalize()
    if -number.as_tuple().exponent < 2 and (whole_too or number != number.to_integral_value()):
        number = number.quantize(FEN)
    return format(number, "f")


def years(value) -> str:
    return _trimmed(value)


def adjustment(value) -> str:
    """An adjustment factor as typed: "0.98", "1.00", "1.025"."""
    return _trimmed(value, whole_too=True)


def _rate(value) -> str:
    number = _decimal(value)
    if number is None:
        return plain(value)
    return f"{plain(number)}（{plain(number * 100)}%）"


def _signed(value) -> str:
    number = _decimal(value)
    return plain(value) if number is None or number <= 0 else f"+{plain(number)}"


def input_value(method, name, value, unit="") -> str:
    """An input as the report shows it: money in yuan, a rate with its percentage, years, areas with their
    unit, a structure by its Chinese name."""
    if value is None:
        return "—"
    kind = INPUT_FIELDS.get(name, (name, ""))[1]
    if kind == "money":
        return f"{money(value)} 元"
    if kind == "rate":
        return _rate(value)
    if kind in ("years", "whole_years"):
        return f"{years(value)} 年"
    if kind == "area":
        return f"{money(value)} {unit}".strip()
    if kind == "shares":
        return f"{value} 股"
    if kind == "structure":
        return STRUCTURE_LABELS.get(value, value)
    if kind == "corrections":
        return "、".join(_signed(c) for c in value) if value else "无"
    if kind == "comparables":
        return f"{len(value)} 个（见下表）"
    return str(value)


# --- a method's figures (details) in Chinese

FORMULAS = {
    "income_capitalisation": "P = A ÷ r × [1 − 1 ÷ (1 + r)^n]",
    "land_price_coefficient": "P = 基准地价 × (1 + Σ因素修正系数) × K × 土地面积，K = [1 − 1 ÷ (1 + r)^m] ÷ [1 − 1 ÷ (1 + r)^n]",
    "cost": "P = 重置单价 × 建筑面积 × (1 − d) + 土地价值，d = min[(1 − R) × t ÷ N, 1 − R]",
    "market_comparison": "P = 各可比实例“价格 ÷ 面积 × 各修正系数之积”的平均值 × 评估对象面积",
    "share_nav": "P = 集体经营性净资产 ÷ 总股数 × 持有股数",
}
FIGURES = {  # detail key: (label, kind)
    "perpetuity_value": ("永续收益价值 A ÷ r（元）", "money"),
    "term_factor": ("年期修正系数 1 − 1 ÷ (1 + r)^n", "factor"),
    "annuity_factor": ("年金现值系数 [1 − 1 ÷ (1 + r)^n] ÷ r", "factor"),
    "correction_sum": ("因素修正系数之和 Σ", "factor"),
    "term_correction": ("年期修正系数 K", "factor"),
    "corrected_unit_price": ("修正后单价（元/平方米）", "money"),
    "service_life_years": ("耐用年限 N（年）", "whole"),
    "residual_rate": ("残值率 R", "factor"),
    "depreciation_rate": ("折旧率 d", "factor"),
    "replacement_value": ("重置价值（元）", "money"),
    "building_value": ("建筑物现值（元）", "money"),
    "land_value": ("土地价值（元）", "money"),
    "comparable_count": ("可比实例数", "whole"),
    "mean_unit_price": ("平均修正单价（元）", "money"),
    "nav_per_share": ("每股净资产（元/股）", "money"),
}
COMPARABLE_FIGURE = re.compile(r"comparable_(\d+)_(unit_price|factor_product|adjusted_unit_price)")
SENSITIVITY_NAMES = {"rate": "还原率", "comparable prices": "可比实例价格"}


def _sensitivities(text) -> str:
    """"annual_net_income +/-10%, rate +/-0.01" in Chinese."""
    said = []
    for part in (text or "").split(", "):
        name, _, change = part.rpartition(" ")
        if not name:
            continue
        label = SENSITIVITY_NAMES.get(name) or INPUT_FIELDS.get(name, (name,))[0].split("（")[0]
        if change == "+0.01" and name == "rate":
            said.append(f"{label} +0.01（减 0.01 后还原率不为正，未计入）")
        else:
            said.append(f"{label} {change.replace('+/-', '±')}")
    return "、".join(said)


def figures(method, details) -> dict:
    """{formula, rows: [(label, text)], comparables: [{number, unit_price, factor_product, adjusted}],
    sensitivities} of a method's details."""
    rows, comparables = [], {}
    for key, value in (details or {}).items():
        match = COMPARABLE_FIGURE.fullmatch(key)
        if match:
            comparables.setdefault(int(match[1]), {})[match[2]] = value
            continue
        if key in ("formula", "sensitivities"):
            continue
        label, kind = FIGURES.get(key, (key, ""))
        text = money(value) if kind == "money" else factor(value) if kind == "factor" else str(value)
        rows.append((label, text))
    return {"formula": FORMULAS.get(method, (details or {}).get("formula", "")), "rows": rows,
            "comparables": [{"number": i + 1, "unit_price": money(c.get("unit_price")),
                             "factor_product": factor(c.get("factor_product")),
                             "adjusted": money(c.get("adjusted_unit_price"))} for i, c in sorted(comparables.items())],
            "sensitivities": _sensitivities((details or {}).get("sensitivities"))}


def _result(method, result) -> dict:
    return {"value": money(result["value"]), "low": money(result["low"]), "high": money(result["high"]),
            **figures(method, result["details"])}


# --- the collateral

def _right_facts(right) -> dict:
    day = cob.open_date()
    left = remaining_years(right.term_end, day)
    attributes = [(ATTRIBUTE_LABELS.get(k, k), VALUE_LABELS.get(v, v) if isinstance(v, str) else v)
                  for k, v in (right.attributes or {}).items()]
    return {"type": "right", "id": right.id, "kind": right.kind, "kind_label": RIGHT_KIND_LABELS[right.kind],
            "certificate_no": right.certificate_no, "status": right.status, "status_label": STATUS_LABELS[right.status],
            "holder": right.holder.name, "holder_kind": PARTY_KIND_LABELS.get(right.holder.kind, right.holder.kind),
            "region_code": right.region_code, "area": f"{money(right.area)} {UNIT_LABELS[right.area_unit]}",
            "unit": UNIT_LABELS[right.area_unit], "term_start": right.term_start, "term_end": right.term_end,
            "remaining": f"{left} 年" if left is not None else None, "attributes": attributes,
            "closed": right.status in service.CLOSED_RIGHTS,
            "url": url_for("registry.right", right_id=right.id)}


def _holding_facts(holding) -> dict:
    collective = db.session.execute(visible(Party, current_user).where(Party.id == holding.collective_id)
                                    ).scalar_one_or_none()
    register = db.session.execute(visible(ShareRegister, current_user)
                                  .where(ShareRegister.collective_id == holding.collective_id)).scalar_one_or_none()
    return {"type": "shareholding", "id": holding.id, "kind": "collective_shares",
            "kind_label": VALUATION_LABELS["collective_shares"],
            "collective": collective.name if collective else f"村集体经济组织 {holding.collective_id}",
            "holder": holding.member.name, "shares": holding.shares,
            "total_shares": register.total_shares if register else None, "closed": holding.shares <= 0,
            "url": url_for("registry.shares", collective_id=holding.collective_id)}


def _requested_collateral():
    """(facts, {"right_id": N} or {"shareholding_id": N}) named by the query string, or (None, None)."""
    right_id = request.args.get("right_id", type=int)
    holding_id = request.args.get("shareholding_id", type=int)
    if right_id:
        right = get_visible(Right, right_id, current_user)
        return _right_facts(right), {"right_id": right.id}
    if holding_id:
        holding = get_visible(Shareholding, holding_id, current_user)
        return _holding_facts(holding), {"shareholding_id": holding.id}
    return None, None


# --- pages

@bp.route("/")
@require()
def index():
    """The valuations the user may see, newest first (an appraiser's agency's drafts among them)."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    table = page_of(service.search(current_user, status=status).options(selectinload(Valuation.agency)))
    right_ids = {v.right_id for v in table.rows if v.right_id}
    holding_ids = {v.shareholding_id for v in table.rows if v.shareholding_id}
    rights = {r.id: r for r in db.session.execute(visible(Right, current_user).where(Right.id.in_(right_ids)))
              .scalars()} if right_ids else {}
    holdings = {h.id: h for h in db.session.execute(visible(Shareholding, current_user).options(
        selectinload(Shareholding.member)).where(Shareholding.id.in_(holding_ids))).scalars()} if holding_ids else {}
    return render_template("valuation/valuations.html", table=table, status=status, rights=rights,
                           holdings=holdings, labels=_labels())


@bp.route("/new", methods=["GET", "POST"])
@require("appraiser")
def new():
    """An appraiser's valuation of a right (?right_id=) or a shareholding (?shareholding_id=): a draft."""
    collateral, key = _requested_collateral()
    if collateral is None:
        if request.method == "POST":
            abort(404)
        return render_template("valuation/valuation_new.html", collateral=None, form=None, labels=_labels())
    allowed = METHODS_BY_KIND[collateral["kind"]]
    method = _chosen_method(allowed)
    form = _method_form(method, allowed, required=False)
    status = 200
    if not _switching(method):
        valuation, status = submit(form, ValuationIn(),
                                   lambda data: service.request_valuation(current_user, data),
                                   extra=lambda f: _extra(f, method, key, required=False), field_of=_field_of(form))
        if valuation is not None:
            flash(f"已生成评估草稿（编号 {valuation.id}）：评估价值 {money(valuation.value)} 元，待认证")
            return redirect(url_for("valuation.valuation", valuation_id=valuation.id))
    return render_template("valuation/valuation_new.html", collateral=collateral, key=key,
                           form=_shown(form, method), method=method, inputs=INPUTS[method],
                           labels=_labels()), status


def _extra(form, method, key, required):
    inputs = _inputs(form, method, required)
    return None if inputs is None else {**key, "inputs": inputs}


@bp.route("/preview", methods=["GET", "POST"])
@require(*PREVIEWERS)
def preview():
    """The calculator: a method's value, range and figures on inputs as given; nothing is recorded."""
    method = _chosen_method(METHODS)
    form = _method_form(method, METHODS, required=True)
    result, status = None, 200
    if not _switching(method):
        result, status = submit(form, PreviewIn(), lambda data: service.preview(data["method"], data["inputs"]),
                                extra=lambda f: _extra(f, method, {}, required=True), field_of=_field_of(form))
    return render_template("valuation/preview.html", form=_shown(form, method), method=method,
                           inputs=INPUTS[method], result=_result(method, result) if result else None,
                           labels=_labels()), status


class CertifyForm(Form):
    """Only the CSRF token: the button that certifies a draft."""


REFERENCE_TABLES = {
    "ref_net_incomes": (NetIncome, "亩均年净收益"),
    "ref_capitalisation_rates": (CapitalisationRate, "还原率"),
    "ref_land_prices": (LandPrice, "基准地价"),
    "ref_replacement_costs": (ReplacementCost, "房屋重置成本"),
    "ref_collective_net_assets": (CollectiveNetAssets, "集体经济组织净资产"),
}


def _word(word):
    return VALUATION_LABELS.get(word, REGISTRY_LABELS.get(word, word))


def _reference_row(ref) -> dict:
    """A reference row a valuation used: what it is, for what, its figure and effective date."""
    model, label = REFERENCE_TABLES.get(ref.get("table"), (None, ref.get("table")))
    row = db.session.get(model, ref["id"]) if model is not None and isinstance(ref.get("id"), int) else None
    scope = figure = ""
    if isinstance(row, NetIncome):
        scope = f"{row.region_code} {_word(row.right_kind)} {'通用' if row.item == '*' else row.item}"
        figure = f"{money(row.income_per_mu)} 元/亩"
    elif isinstance(row, CapitalisationRate):
        scope, figure = f"{row.region_code} {_word(row.right_kind)}", _rate(row.rate)
    elif isinstance(row, LandPrice):
        grade = "" if row.grade == "*" else f" {row.grade} 级"
        scope, figure = f"{row.region_code} {_word(row.use)}{grade}", f"{money(row.price_per_m2)} 元/平方米"
    elif isinstance(row, ReplacementCost):
        scope, figure = f"{row.region_code} {_word(row.structure)}", f"{money(row.cost_per_m2)} 元/平方米"
    elif isinstance(row, CollectiveNetAssets):
        party = db.session.execute(visible(Party, current_user).where(Party.id == row.collective_id)).scalar_one_or_none()
        scope = party.name if party else f"村集体经济组织 {row.collective_id}"
        figure = f"{money(row.net_assets)} 元"
    return {"label": label, "scope": scope, "figure": figure, "effective_date": ref.get("effective_date", ""),
            "source": getattr(row, "source", None) or ""}


def _report(valuation) -> dict:
    """What the report shows of a valuation, as text."""
    if valuation.right_id:
        right = db.session.execute(visible(Right, current_user).where(Right.id == valuation.right_id)).scalar_one_or_none()
        collateral = _right_facts(right) if right else None
    else:
        holding = db.session.execute(visible(Shareholding, current_user)
                                     .where(Shareholding.id == valuation.shareholding_id)).scalar_one_or_none()
        collateral = _holding_facts(holding) if holding else None
    method = valuation.method
    area_unit = collateral["unit"] if collateral and collateral.get("unit") and method == "market_comparison" \
        else "平方米"
    inputs = []
    for name in INPUTS.get(method, tuple(valuation.inputs)):
        if name not in valuation.inputs:
            continue
        inputs.append({"name": name, "label": _input_label(method, name) if name in INPUT_FIELDS else name,
                       "value": input_value(method, name, valuation.inputs[name], area_unit),
                       "source": SOURCE_LABELS.get(valuation.input_sources.get(name), valuation.input_sources.get(name))})
    comparables = [{"number": i, "price": money(c.get("price")), "area": money(c.get("area")),
                    "factors": " × ".join(adjustment(f) for f in c.get("factors") or [])}
                   for i, c in enumerate(valuation.inputs.get("comparables") or [], 1) if isinstance(c, dict)]
    return {"collateral": collateral, "inputs": inputs, "comparable_inputs": comparables,
            "references": [_reference_row(ref) for ref in valuation.references or []],
            "value": money(valuation.value), "low": money(valuation.low), "high": money(valuation.high),
            **figures(method, valuation.details)}


def _valuation_page(valuation_id, certify_form=None, status=200):
    valuation = service.get_valuation(current_user, valuation_id)
    can_certify = (valuation.status == "draft" and current_user.role == "appraiser"
                   and current_user.institution_id == valuation.agency_id)
    return render_template("valuation/valuation.html", valuation=valuation, report=_report(valuation),
                           can_certify=can_certify, certify_form=certify_form or CertifyForm(prefix="certify"),
                           labels=_labels()), status


@bp.route("/<int:valuation_id>")
@require()
def valuation(valuation_id):
    return _valuation_page(valuation_id)


@bp.route("/<int:valuation_id>/certify", methods=["POST"])
@require("appraiser")
def certify(valuation_id):
    form = CertifyForm(prefix="certify")
    if not form.validate_on_submit():
        return _valuation_page(valuation_id, certify_form=form, status=400)
    try:
        done = service.certify(current_user, valuation_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _valuation_page(valuation_id, certify_form=form, status=show_errors(form, exc))
    flash(f"已认证：评估价值 {money(done.value)} 元，有效期至 {done.valid_until.isoformat()}")
    return redirect(url_for("valuation.valuation", valuation_id=done.id))


def _labels():
    return {"method": METHOD_LABELS, "status": VALUATION_STATUS_LABELS, "source": SOURCE_LABELS,
            "right": RIGHT_KIND_LABELS, "unit": UNIT_LABELS}
