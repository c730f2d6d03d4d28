"""Valuation reference data (DESIGN.md §3.3): benchmark land prices, annual net incomes per mu, capitalisation
rates, replacement costs and collectives' net assets, each versioned by effective date; the lookups the
valuation service derives inputs from, and the loader behind `finplat reference load`, the admin API and
the upload page.

Lookups
-------
Each returns the row in force on `day`, or None. A row is in force from its effective date on, until a
newer row of the same key takes over on its own date; a row dated after `day` is not in force yet.
Regions fall back from the exact six-digit code to its city (first four digits + "00") and then its
province (first two + "0000"): the most specific level with a row in force answers. Within one level, a
land price of the exact grade comes before the grade `*`, and a net income of the exact crop or species
before the item `*`; a county's own `*` row thus comes before its city's row for the exact grade.

Datasets and their CSV files
----------------------------
UTF-8 (with or without a byte-order mark) or GB18030 (as Excel saves CSV on Chinese Windows), one header
row, then one row per figure; headers in English or Chinese, without regard to case or blanks; an unknown,
repeated or missing column refuses the file. Amounts in yuan with at most two decimals, rates as decimals
("0.055") with at most eight, dates as YYYY-MM-DD, `source` optional.

=========================  ====================================================================
land_prices.csv            region_code, use, grade, price_per_m2, effective_date, source
net_incomes.csv            region_code, right_kind, item, income_per_mu, effective_date, source
capitalisation_rates.csv   region_code, right_kind, rate, effective_date, source
replacement_costs.csv      region_code, structure, cost_per_m2, effective_date, source
collective_net_assets.csv  collective_uscc, net_assets, effective_date, source
=========================  ====================================================================

use: industrial, warehouse, commercial, tourism, entertainment, other, homestead. right_kind: land_management,
forest, water_facility (net incomes); those and house, construction_land, collective_shares (rates).
structure: reinforced_concrete, brick_concrete, brick_wood, simple. grade and item are free text, `*` for
any. A collective is named by its unified social credit code and must be registered as a collective.

Loading
-------
Every row is checked (reference_schemas) and errors are named by row, field and message: a CSV row by its
number as a spreadsheet shows it (the header is row 1), a JSON row by its index in `rows` (from 0). Figures
are never edited: a row whose key and effective date are published already is skipped when its figure is
the same (reloading a file is harmless) and an error when it differs (a new figure takes a new effective
date). A key and date given twice in one load is an error on both rows. Nothing is written unless every row
is good; then all rows are inserted, one audit record (`reference.load`) describes the load and the
transaction commits once. A load that finds every row already published changes nothing and writes no
audit record. On PostgreSQL, loads of the same dataset queue behind each other (an advisory lock), so that
what a load found published stays true until it commits.
"""
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import case, exists, insert, or_, select, text
from sqlalchemy.orm import aliased

from finplat import audit
from finplat.errors import RuleViolation, field_error
from finplat.extensions import db
from finplat.registry.identity import uscc_error
from finplat.registry.models import Party
from finplat.valuation.models import CapitalisationRate, CollectiveNetAssets, LandPrice, NetIncome, ReplacementCost
from finplat.valuation.reference_schemas import ANY, INCOME_KINDS, LAND_USES, RIGHT_KINDS, ROW_SCHEMAS, STRUCTURES

SAMPLE_DIR = Path(__file__).resolve().parent / "reference_data"
LOCK_NAMESPACE = 0x46505246  # "FPRF": one advisory lock a dataset
ENCODINGS = ("utf-8-sig", "gb18030")
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


# --- reading files

@dataclass
class RowError:
    row: int
    field: str
    message: str
    file: str | None = None

    def __str__(self):
        return f"{self.file + ' ' if self.file else ''}row {self.row}, {self.field}: {self.message}"


class InvalidRows(RuleViolation):
    """Rows that break the rules, every one named in `errors` (RowError); nothing was written. `fields` nests
    the messages by row, {"rows": {"3": {"rate": [...]}}}, and by file first when a load read several."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: (e.file or "", e.row))
        fields = {}
        for e in self.errors:
            place = fields.setdefault(e.file, {}) if e.file else fields
            place.setdefault("rows", {}).setdefault(str(e.row), {}).setdefault(e.field, []).append(e.message)
        bad = len({(e.file, e.row) for e in self.errors})
        super().__init__(f"{bad} row(s) have errors: nothing written", fields=fields)


class BadFile(RuleViolation):
    """A file that cannot be read as a dataset's CSV at all (encoding, headers): no row was checked."""

    def __init__(self, message: str, file: str | None = None):
        super().__init__(message, fields={"file": [message]})
        self.file = file

    def __str__(self):
        return f"{self.file}: {self.message}" if self.file else self.message


@dataclass
class CsvFile:
    """The rows of one dataset's file, each with its number as a spreadsheet shows it."""
    dataset: str
    name: str
    rows: list
    numbers: list
    sha256: str


def _decode(data: bytes, encoding: str | None, name: str) -> str:
    for candidate in ((encoding,) if encoding else ENCODINGS):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    if encoding:
        raise BadFile(f"the file is not {encoding} text", name)
    raise BadFile("the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8", name)


def _header(spec: Dataset, titles: list[str], name: str) -> list[str]:
    known = {alias.lower(): column for column, aliases in spec.aliases.items() for alias in (column, *aliases)}
    columns, unknown = [], []
    for title in titles:
        column = known.get(title.strip().lstrip("\ufeff").lower())
        if column is None:
            unknown.append(title.strip())
        columns.append(column)
    if unknown:
        raise BadFile(f"unknown columns: {', '.join(unknown)} (known: {', '.join(spec.columns)})", name)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise BadFile(f"columns given twice: {', '.join(repeated)}", name)
    missing = [c for c in spec.required if c not in columns]
    if missing:
        raise BadFile(f"missing columns: {', '.join(missing)}", name)
    return columns


def read_csv(name: str, source, encoding: str | None = None, file_name: str | None = None) -> CsvFile:
    """Dataset `name`'s rows from `source`, a path or the bytes of an uploaded file. `encoding` None tries
    UTF-8, then GB18030. BadFile when the file as a whole cannot be read; blank lines are skipped."""
    spec = dataset(name)
    if isinstance(source, (bytes, bytearray)):
        data, file_name = bytes(source), file_name or f"{name}.csv"
    else:
        data, file_name = Path(source).read_bytes(), file_name or Path(source).name
    reader = csv.reader(io.StringIO(_decode(data, encoding, file_name), newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(t.strip() for t in header):
            raise BadFile("the file is empty", file_name)
        columns = _header(spec, header, file_name)
        rows, numbers = [], []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            numbers.append(reader.line_num)
            if len(values) > len(columns):
                rows.append(TooManyValues(len(values), len(columns)))
                continue
            rows.append({c: v.strip() for c, v in zip(columns, values) if v.strip()})
    except csv.Error as exc:
        raise BadFile(f"not a CSV file: {exc}", file_name) from None
    if not rows:
        raise BadFile("no rows: the file has a header only", file_name)
    return CsvFile(name, file_name, rows, numbers, hashlib.sha256(data).hexdigest())


@dataclass
class TooManyValues:
    """A CSV line with more values than the header has columns (the row is reported, not read)."""
    values: int
    columns: int


def read_dir(path, encoding: str | None = None) -> list[CsvFile]:
    """Every known `<dataset>.csv` in folder `path`, in dataset order; other files are left alone
    (unknown_files() names the CSV files among them)."""
    folder = Path(path)
    if not folder.is_dir():
        raise field_error("path", f"{folder} is not a folder")
    files = [read_csv(name, folder / f"{name}.csv", encoding) for name in DATASETS if (folder / f"{name}.csv").is_file()]
    if not files:
        raise field_error("path", f"no reference data file in {folder}: expected {', '.join(f'{n}.csv' for n in DATASETS)}")
    return files


def unknown_files(path) -> list[str]:
    """The CSV files in folder `path` that name no dataset (a misspelt name is otherwise silently ignored)."""
    return sorted(p.name for p in Path(path).glob("*.csv") if p.stem not in DATASETS)


# --- checking and writing

@dataclass
class Summary:
    dataset: str
    rows: int = 0
    loaded: int = 0
    unchanged: int = 0
    effective_dates: list = field(default_factory=list)  # of the rows loaded

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "rows": self.rows, "loaded": self.loaded, "unchanged": self.unchanged}


@dataclass
class _Plan:
    spec: Dataset
    file: CsvFile
    summary: Summary
    values: list = field(default_factory=list)  # the rows to insert
    errors: list = field(default_factory=list)


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        return [pair for key, value in messages.items() for pair in _flatten(value, f"{prefix}{key}.")]
    return [(prefix.rstrip(".") or "-", m) for m in (messages if isinstance(messages, list) else [messages])]


def _collectives(plan: _Plan, loaded: list) -> list:
    """Each row's collective_uscc as collective_id: a registered collective, or an error on the row."""
    codes = {}
    for number, data in loaded:
        code = data.pop("collective_uscc").strip().upper()
        problem = uscc_error(code)
        if problem:
            plan.errors.append(RowError(number, "collective_uscc", problem, plan.file.name))
        else:
            codes[number] = code
    found = {uscc: (pid, kind) for uscc, pid, kind in db.session.execute(
        select(Party.uscc, Party.id, Party.kind).where(Party.uscc.in_(set(codes.values()))))} if codes else {}
    out = []
    for number, data in loaded:
        if number not in codes:
            continue
        pid, kind = found.get(codes[number], (None, None))
        if pid is None:
            plan.errors.append(RowError(number, "collective_uscc", "no collective is registered with this credit code",
                                        plan.file.name))
        elif kind != "collective":
            plan.errors.append(RowError(number, "collective_uscc", f"registered to party {pid}, a {kind}, not a collective",
                                        plan.file.name))
        else:
            out.append((number, {**data, "collective_id": pid}))
    return out


def _check(spec: Dataset, file: CsvFile, progress=None) -> _Plan:
    """Every row of `file` checked alone, against the file's other rows and against what is published."""
    plan = _Plan(spec, file, Summary(spec.name, rows=len(file.rows)))
    schema = ROW_SCHEMAS[spec.name]()
    loaded = []
    for number, raw in zip(file.numbers, file.rows):
        if isinstance(raw, TooManyValues):
            plan.errors.append(RowError(number, "-", f"{raw.values} values for {raw.columns} columns", file.name))
        elif not isinstance(raw, dict):
            plan.errors.append(RowError(number, "-", "a row must be an object of column names and values", file.name))
        else:
            try:
                loaded.append((number, schema.load(raw)))
            except ValidationError as exc:
                plan.errors.extend(RowError(number, f, m, file.name) for f, m in _flatten(exc.messages))
        if progress:
            progress(1)
    if spec.model is CollectiveNetAssets:
        loaded = _collectives(plan, loaded)

    key_columns = (*spec.keys, "effective_date")
    seen = {}
    for number, data in loaded:
        seen.setdefault(tuple(data[k] for k in key_columns), []).append(number)
    for numbers in seen.values():
        for number in numbers if len(numbers) > 1 else ():
            others = ", ".join(str(n) for n in numbers if n != number)
            plan.errors.append(RowError(number, spec.figure, f"also on row {others}", file.name))

    published = _published(spec, {data["effective_date"] for _, data in loaded}, seen)
    for number, data in loaded:
        key = tuple(data[k] for k in key_columns)
        if len(seen[key]) > 1:
            continue
        if key in published:
            old = published[key]
            if old == data[spec.figure]:
                plan.summary.unchanged += 1
            else:
                plan.errors.append(RowError(
                    number, spec.figure, f"{old} is already published for {data['effective_date']}: a published "
                                         f"figure is not changed; give the new figure a later effective date",
                    file.name))
            continue
        plan.values.append(data)
    plan.summary.loaded = len(plan.values)
    plan.summary.effective_dates = sorted({v["effective_date"] for v in plan.values})
    return plan


def _published(spec: Dataset, dates: set, keys: dict) -> dict:
    """{key + effective date: figure} of the published rows among `keys`, for the dates given."""
    if not dates:
        return {}
    model = spec.model
    key_columns = (*spec.keys, "effective_date")
    first = spec.keys[0]  # region_code or collective_id: narrows the rows read to those the load names
    stmt = select(*(getattr(model, c) for c in key_columns), getattr(model, spec.figure)).where(
        model.effective_date.in_(dates), getattr(model, first).in_({k[0] for k in keys}))
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(stmt)}


def _lock(names):
    """Loads of the same dataset wait for each other (PostgreSQL), so that the published figures a load
    compared with cannot change under it before it commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        for name in sorted(names):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :k)"),
                               {"ns": LOCK_NAMESPACE, "k": list(DATASETS).index(name)})


def load_files(actor, files: list[CsvFile], progress=None, by_file: bool = True) -> dict:
    """Check every row of every file; write them all, with one audit record, in one transaction, or raise
    InvalidRows naming every bad row (by file too unless `by_file` is false) and write nothing.
    {dataset: Summary}, in the files' order."""
    names = [f.dataset for f in files]
    if len(set(names)) != len(names):
        raise field_error("dataset", "each dataset may be loaded from one file at a time")
    _lock(names)
    plans = [_check(dataset(f.dataset), f, progress) for f in files]
    errors = [e for plan in plans for e in plan.errors]
    if errors:
        db.session.rollback()
        if not by_file:
            for error in errors:
                error.file = None
        raise InvalidRows(errors)
    for plan in plans:
        if plan.values:
            db.session.execute(insert(plan.spec.model), plan.values)
    if any(plan.values for plan in plans):
        audit.record(actor, "reference.load", "reference_data", names[0] if len(names) == 1 else None, after={
            "datasets": {plan.spec.name: {**plan.summary.as_dict(), "effective_dates": plan.summary.effective_dates,
                                          "file": plan.file.name or None, "sha256": plan.file.sha256 or None}
                         for plan in plans}})
    db.session.commit()
    return {plan.spec.name: plan.summary for plan in plans}


def load(actor, name: str, rows: list, numbers: list | None = None, source: dict | None = None,
         progress=None) -> Summary:
    """Load rows of dataset `name` (dicts of column -> value, as a CSV file or a JSON body gives them); the
    rows' numbers in error messages are `numbers`, by default their index in `rows` (from 0). `source`
    ({"file", "sha256"}) is kept in the audit record."""
    dataset(name)
    source = source or {}
    file = CsvFile(name, source.get("file") or "", list(rows),
                   list(numbers) if numbers is not None else list(range(len(rows))), source.get("sha256") or "")
    return load_files(actor, [file], progress, by_file=False)[name]


def load_csv(actor, name: str, source, encoding: str | None = None, file_name: str | None = None,
             progress=None) -> Summary:
    """Load dataset `name` from a CSV file (a path, or an upload's bytes); rows named as a spreadsheet does."""
    return load_files(actor, [read_csv(name, source, encoding, file_name)], progress, by_file=False)[name]


def load_dir(actor, path, encoding: str | None = None, progress=None) -> dict:
    """Load every known `<dataset>.csv` in folder `path`, all files in one transaction. {dataset: Summary}."""
    return load_files(actor, read_dir(path, encoding), progress)
