"""What the valuation pages show, as text: numbers as people read them, a method's inputs, formula and figures
in Chinese (the report and the calculator's result), the collateral a valuation is of and the reference rows it
used.
"""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from flask import url_for
from flask_login import current_user

from finplat import cob
from finplat.auth.permissions import visible
from finplat.extensions import db
from finplat.registry.models import Party, Right, ShareRegister, Shareholding
from finplat.registry.views import (ATTRIBUTE_LABELS, PARTY_KIND_LABELS, RIGHT_KIND_LABELS, STATUS_LABELS, UNIT_LABELS,
                                    VALUE_LABELS)
from finplat.valuation import service
from finplat.valuation.derivation import remaining_years
from finplat.valuation.models import CapitalisationRate, CollectiveNetAssets, LandPrice, NetIncome, ReplacementCost
from finplat.valuation.page_forms import INPUT_FIELDS, INPUTS, STRUCTURE_LABELS, input_label
from finplat.web.forms import REGISTRY_LABELS, VALUATION_LABELS

SOURCE_LABELS = {s: VALUATION_LABELS[s] for s in ("appraiser", "registry", "reference", "default")}

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


def preview_result(method, result) -> dict:
    return {"value": money(result["value"]), "low": money(result["low"]), "high": money(result["high"]),
            **figures(method, result["details"])}


# --- the collateral

def right_facts(right) -> dict:
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


def holding_facts(holding) -> dict:
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


# --- the reference rows a valuation used

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


# --- the report

def valuation_report(valuation) -> dict:
    """What the report shows of a valuation, as text."""
    if valuation.right_id:
        right = db.session.execute(visible(Right, current_user).where(Right.id == valuation.right_id)).scalar_one_or_none()
        collateral = right_facts(right) if right else None
    else:
        holding = db.session.execute(visible(Shareholding, current_user)
                                     .where(Shareholding.id == valuation.shareholding_id)).scalar_one_or_none()
        collateral = holding_facts(holding) if holding else None
    method = valuation.method
    area_unit = collateral["unit"] if collateral and collateral.get("unit") and method == "market_comparison" \
        else "平方米"
    inputs = []
    for name in INPUTS.get(method, tuple(valuation.inputs)):
        if name not in valuation.inputs:
            continue
        inputs.append({"name": name, "label": input_label(method, name) if name in INPUT_FIELDS else name,
                       "value": input_value(method, name, valuation.inputs[name], area_unit),
                       "source": SOURCE_LABELS.get(valuation.input_sources.get(name), valuation.input_sources.get(name))})
    comparables = [{"number": i, "price": money(c.get("price")), "area": money(c.get("area")),
                    "factors": " × ".join(adjustment(f) for f in c.get("factors") or [])}
                   for i, c in enumerate(valuation.inputs.get("comparables") or [], 1) if isinstance(c, dict)]
    return {"collateral": collateral, "inputs": inputs, "comparable_inputs": comparables,
            "references": [_reference_row(ref) for ref in valuation.references or []],
            "value": money(valuation.value), "low": money(valuation.low), "high": money(valuation.high),
            **figures(method, valuation.details)}
