"""Valuation reference data (DESIGN.md §3.3): benchmark land prices, annual net incomes per mu, capitalisation
rates, replacement costs and collectives' net assets, each versioned by effective date; the datasets, and the lookups
the valuation service derives inputs from. Loading them from CSV files or JSON rows is reference_loader's.

Lookups
-------
Each returns the row in force on `day`, or None. A row is in force from its effective date on, until a
newer row of the same key takes over on its own date; a row dated after `day` is not in force yet.
Regions fall back from the exact six-digit code to its city (first four digits + "00") and then its
province (first two + "0000"): the most specific level with a row in force answers. Within one level, a
land price of the exact grade comes before the grade `*`, and a net income of the exact crop or species
before the item `*`; a county's own `*` row thus comes before its city's row for the exact grade.
"""
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import case, exists, or_, select
from sqlalchemy.orm import aliased

from finplat.errors import field_error
from finplat.extensions import db
from finplat.registry.models import Party
from finplat.valuation.models import CapitalisationRate, CollectiveNetAssets, LandPrice, NetIncome, ReplacementCost
from finplat.valuation.reference_schemas import ANY, INCOME_KINDS, LAND_USES, RIGHT_KINDS, ROW_SCHEMAS, STRUCTURES

SAMPLE_DIR = Path(__file__).resolve().parent / "reference_data"
CHOICES = {"use": LAND_USES, "structure": STRUCTURES, "net_incomes.right_kind": INCOME_KINDS,
           "capitalisation_rates.right_kind": RIGHT_KINDS}


@dataclass(frozen=True)
class Dataset:
    name: str
    model: type
    keys: tuple  # the columns that, with effective_date, name one figure
    figure: str
    columns: tuple  # of its CSV file, in order
    aliases: dict  # column -> Chinese headers accepted

    @property
    def required(self) -> tuple:
        return tuple(name for name, f in ROW_SCHEMAS[self.name]().fields.items() if f.required)


_COMMON = {"region_code": ("行政区划代码", "区划代码"), "effective_date": ("生效日期",), "source": ("来源", "数据来源")}
DATASETS = {d.name: d for d in (
    Dataset("land_prices", LandPrice, ("region_code", "use", "grade"), "price_per_m2",
            ("region_code", "use", "grade", "price_per_m2", "effective_date", "source"),
            {**_COMMON, "use": ("用途", "土地用途"), "grade": ("级别", "土地级别"), "price_per_m2": ("基准地价",)}),
    Dataset("net_incomes", NetIncome, ("region_code", "right_kind", "item"), "income_per_mu",
            ("region_code", "right_kind", "item", "income_per_mu", "effective_date", "source"),
            {**_COMMON, "right_kind": ("权利类型",), "item": ("作物或树种", "项目"), "income_per_mu": ("亩均年净收益",)}),
    Dataset("capitalisation_rates", CapitalisationRate, ("region_code", "right_kind"), "rate",
            ("region_code", "right_kind", "rate", "effective_date", "source"),
            {**_COMMON, "right_kind": ("权利类型",), "rate": ("还原率",)}),
    Dataset("replacement_costs", ReplacementCost, ("region_code", "structure"), "cost_per_m2",
            ("region_code", "structure", "cost_per_m2", "effective_date", "source"),
            {**_COMMON, "structure": ("结构", "房屋结构"), "cost_per_m2": ("重置成本",)}),
    Dataset("collective_net_assets", CollectiveNetAssets, ("collective_id",), "net_assets",
            ("collective_uscc", "net_assets", "effective_date", "source"),
            {"collective_uscc": ("统一社会信用代码",), "net_assets": ("净资产",), "effective_date": ("生效日期",),
             "source": ("来源", "数据来源")}),
)}
assert all(set(d.columns) == set(ROW_SCHEMAS[n]().fields) == set(d.aliases) for n, d in DATASETS.items())


def dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise field_error("dataset", f"unknown dataset {name}: one of {', '.join(DATASETS)}")
    return DATASETS[name]


# --- lookups

def region_levels(region_code: str | None) -> list[str]:
    """The code, its city's and its province's: the levels a lookup tries, most specific first."""
    code = (region_code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return [code] if code else []
    return list(dict.fromkeys((code, code[:4] + "00", code[:2] + "0000")))


def _in_force(model, region_code, day: date, alternatives: list[dict], **fixed):
    """The row in force on `day` at the most specific region level, trying `alternatives` (values of the
    other key columns, the preferred first) at each level; one query."""
    levels = region_levels(region_code)
    if not levels or day is None:
        return None
    stmt = select(model).where(model.region_code.in_(levels), model.effective_date <= day,
                               *(getattr(model, k) == v for k, v in fixed.items()))
    varied = sorted({k for alt in alternatives for k in alt})
    for column in varied:
        stmt = stmt.where(getattr(model, column).in_({alt[column] for alt in alternatives}))
    latest = {}
    for row in db.session.execute(stmt.order_by(model.effective_date.desc(), model.id.desc())).scalars():
        latest.setdefault((row.region_code, *(getattr(row, k) for k in varied)), row)
    for level in levels:
        for alt in alternatives:
            row = latest.get((level, *(alt[k] for k in varied)))
            if row is not None:
                return row
    return None


def _with_any(value) -> list:
    value = "" if value is None else str(value).strip()
    return [value, ANY] if value and value != ANY else [ANY]


def land_price(region_code: str, use: str, grade, day: date) -> LandPrice | None:
    """The benchmark land price per m2 for `use` (a construction-land use, or `homestead`) and `grade`
    (None or `*`: the grade `*` only) in force on `day`."""
    if not use:
        return None
    return _in_force(LandPrice, region_code, day, [{"grade": g} for g in _with_any(grade)], use=use)


def net_income(region_code: str, right_kind: str, item, day: date) -> NetIncome | None:
    """The annual net income per mu of `right_kind` for a crop or species `item` (None or `*`: the item `*`
    only) in force on `day`."""
    if not right_kind:
        return None
    return _in_force(NetIncome, region_code, day, [{"item": i} for i in _with_any(item)], right_kind=right_kind)


def capitalisation_rate(region_code: str, right_kind: str, day: date) -> CapitalisationRate | None:
    if not right_kind:
        return None
    return _in_force(CapitalisationRate, region_code, day, [{}], right_kind=right_kind)


def replacement_cost(region_code: str, structure: str, day: date) -> ReplacementCost | None:
    if not structure:
        return None
    return _in_force(ReplacementCost, region_code, day, [{}], structure=structure)


def collective_net_assets(collective_id: int, day: date) -> CollectiveNetAssets | None:
    """The collective's latest net assets in force on `day`."""
    if collective_id is None or day is None:
        return None
    return db.session.execute(
        select(CollectiveNetAssets).where(CollectiveNetAssets.collective_id == collective_id,
                                          CollectiveNetAssets.effective_date <= day)
        .order_by(CollectiveNetAssets.effective_date.desc()).limit(1)).scalar_one_or_none()


def in_force(name: str, day: date, region_code: str | None = None):
    """A SELECT of the rows of dataset `name` in force on `day`: for each key, the latest row dated on or
    before it. `region_code` narrows to the rows that concern that region: its own, those of the regions
    within it (a city's counties) and those of its city and province, which apply to it where it has none of
    its own. Collectives' net assets are narrowed by the collective's region."""
    spec = dataset(name)
    model = spec.model
    newer = aliased(model)
    stmt = select(model).where(model.effective_date <= day, ~exists().where(
        *(getattr(newer, k) == getattr(model, k) for k in spec.keys),
        newer.effective_date > model.effective_date, newer.effective_date <= day))
    if model is CollectiveNetAssets:
        stmt = stmt.join(Party, Party.id == model.collective_id)
        region_column, order = Party.region_code, (Party.region_code, Party.name, model.id)
    else:
        region_column, order = model.region_code, _reading_order(spec)
    if region_code:
        prefix = region_code
        while prefix.endswith("00"):
            prefix = prefix[:-2]
        stmt = stmt.where(or_(region_column.in_(region_levels(region_code)),
                              region_column.startswith(prefix, autoescape=True)))
    return stmt.order_by(*order)


def _reading_order(spec: Dataset) -> tuple:
    """By region, then codes in the order the schemas list them (industrial first), `*` after the others."""
    order = []
    for key in spec.keys:
        column = getattr(spec.model, key)
        choices = CHOICES.get(key if key != "right_kind" else f"{spec.name}.right_kind")
        if choices:
            order.append(case({value: i for i, value in enumerate(choices)}, value=column, else_=len(choices)))
        elif key in ("grade", "item"):
            order.append(case((column == ANY, 1), else_=0))
        order.append(column)
    return tuple(order)


def describe(name: str, rows) -> list[dict]:
    """Rows of dataset `name` as the API and the pages show them: every column, and a collective's name,
    credit code and region for net assets."""
    spec = dataset(name)
    columns = [c.key for c in spec.model.__table__.columns]
    out = [{c: getattr(row, c) for c in columns} for row in rows]
    if spec.model is CollectiveNetAssets and out:
        parties = {pid: (party_name, uscc, region) for pid, party_name, uscc, region in db.session.execute(
            select(Party.id, Party.name, Party.uscc, Party.region_code)
            .where(Party.id.in_({r["collective_id"] for r in out})))}
        for r in out:
            r["collective_name"], r["collective_uscc"], r["region_code"] = parties[r["collective_id"]]
    return out
