"""Loading valuation reference data (finplat.valuation.reference) from CSV files and JSON rows: the loader
behind `finplat reference load`, `POST /admin/reference/{dataset}` and the upload page.

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
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import insert, select, text

from finplat import audit
from finplat.errors import RuleViolation, field_error
from finplat.extensions import db
from finplat.registry.identity import uscc_error
from finplat.registry.models import Party
from finplat.valuation.models import CollectiveNetAssets
from finplat.valuation.reference import DATASETS, Dataset, dataset
from finplat.valuation.reference_schemas import ROW_SCHEMAS

LOCK_NAMESPACE = 0x46505246  # "FPRF": one advisory lock a dataset
ENCODINGS = ("utf-8-sig", "gb18030")


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


def _header(titles: list[str], columns: tuple, aliases: dict, required: tuple, name: str) -> list[str]:
    known = {alias.lower(): column for column, names in aliases.items() for alias in (column, *names)}
    found, unknown = [], []
    for title in titles:
        column = known.get("".join(title.lstrip("\ufeff").split()).lower())
        if column is None:
            unknown.append(title.strip())
        found.append(column)
    if unknown:
        raise BadFile(f"unknown columns: {', '.join(unknown)} (known: {', '.join(columns)})", name)
    repeated = sorted({c for c in found if found.count(c) > 1})
    if repeated:
        raise BadFile(f"columns given twice: {', '.join(repeated)}", name)
    missing = [c for c in required if c not in found]
    if missing:
        raise BadFile(f"missing columns: {', '.join(missing)}", name)
    return found


def read_table(data: bytes, file_name: str, columns: tuple, aliases: dict, required: tuple,
               encoding: str | None = None) -> tuple[list, list]:
    """(rows, numbers) of a CSV file whose header names `columns` (in English, or by one of their `aliases`,
    without regard to case or blanks): each row a dict of the values given, or TooManyValues, numbered as a
    spreadsheet shows it. `encoding` None tries UTF-8, then GB18030. BadFile when the file as a whole cannot
    be read; blank lines are skipped. Shared by every dated table loaded from CSV (reference data, the LPR)."""
    reader = csv.reader(io.StringIO(_decode(data, encoding, file_name), newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(t.strip() for t in header):
            raise BadFile("the file is empty", file_name)
        found = _header(header, columns, aliases, required, file_name)
        rows, numbers = [], []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            numbers.append(reader.line_num)
            if len(values) > len(found):
                rows.append(TooManyValues(len(values), len(found)))
                continue
            rows.append({c: v.strip() for c, v in zip(found, values) if v.strip()})
    except csv.Error as exc:
        raise BadFile(f"not a CSV file: {exc}", file_name) from None
    if not rows:
        raise BadFile("no rows: the file has a header only", file_name)
    return rows, numbers


def read_csv(name: str, source, encoding: str | None = None, file_name: str | None = None) -> CsvFile:
    """Dataset `name`'s rows from `source`, a path or the bytes of an uploaded file (see read_table)."""
    spec = dataset(name)
    if isinstance(source, (bytes, bytearray)):
        data, file_name = bytes(source), file_name or f"{name}.csv"
    else:
        data, file_name = Path(source).read_bytes(), file_name or Path(source).name
    rows, numbers = read_table(data, file_name, spec.columns, spec.aliases, spec.required, encoding)
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


def flatten(messages, prefix="") -> list:
    """marshmallow's nested messages as (dotted field, message) pairs."""
    if isinstance(messages, dict):
        return [pair for key, value in messages.items() for pair in flatten(value, f"{prefix}{key}.")]
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
                plan.errors.extend(RowError(number, f, m, file.name) for f, m in flatten(exc.messages))
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
