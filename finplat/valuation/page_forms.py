"""The valuation pages' forms: a method's inputs, what each is asked as and what a blank one is derived from,
read into the API's `inputs`; the service's messages about a method's inputs ({"inputs": {name: [...]}}) land
on that input's field.

A method's inputs are a form of their own, built for the method chosen. The method select sits in the same
form with a "更换方法" button that shows the other method's inputs without submitting anything; a small
script presses it when the select changes, and without the script the button is there to press. A link may
choose the method with ?method=. On the request page every input is optional (left blank, it is derived from
the registry and the reference data); on the calculator every input is required.
"""
import re

from flask import request
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from finplat.valuation.method_schemas import INPUT_SCHEMAS
from finplat.valuation.methods import SERVICE_LIFE
from finplat.valuation.models import METHODS
from finplat.web.forms import VALUATION_LABELS, Form, Parsed, Places, values

REQUIRED = "必填"

METHOD_LABELS = {m: VALUATION_LABELS[m] for m in METHODS}
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


def input_label(method, name):
    return METHOD_INPUT_LABELS.get((method, name), INPUT_FIELDS[name][0])


def _input_field(method, name, required):
    label, kind = input_label(method, name), INPUT_FIELDS[name][1]
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


def chosen_method(allowed):
    """The method the form is for: the one posted, or ?method=, or the first allowed."""
    chosen = (request.form if request.method == "POST" else request.args).get("method")
    return chosen if chosen in allowed else allowed[0]


def method_form(method, allowed, required):
    form = _form_class(method, required)()
    form.method.choices = [SelectChoice(m, METHOD_LABELS[m]) for m in allowed]
    return form


def switching(method) -> bool:
    """A post that only changes the method: the "更换方法" button, or a select changed without it."""
    return request.method == "POST" and ("switch" in request.form or request.form.get("shown", method) != method)


def shown(form, method):
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


def extra(form, method, key, required):
    """What submit adds to the form's data: the collateral's key and the method's inputs, or None."""
    inputs = _inputs(form, method, required)
    return None if inputs is None else {**key, "inputs": inputs}


COMPARABLE_PARTS = {"price": "价格", "area": "面积", "factors": "修正系数"}


def field_of(form):
    """Where a schema's or the service's message about inputs.x goes: x's field, a comparable's to its line."""
    def field_of_name(name):
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
    return field_of_name


# --- the report's certification

class CertifyForm(Form):
    """Only the CSRF token: the button that certifies a draft."""
