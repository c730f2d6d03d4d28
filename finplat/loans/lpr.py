"""The loan prime rate (LPR) table: which tenor a loan term prices from, the rate in force on a day, and
loading announced rates from a CSV file or JSON rows (`finplat lpr load`, POST /admin/lpr, the page /lpr/).

Lookups
-------
`rate(tenor, day)` is the announcement of that tenor with the latest effective (announcement) date on or
before `day`, or None when none was announced yet. The National Interbank Funding Center announces both
tenors on the 20th of each month (the next working day when the 20th is not one); a month that changes
neither figure need not be loaded, since the previous announcement stays in force.

The file
--------
UTF-8 (with or without a byte-order mark) or GB18030, one header row, then one row per announced figure:

    effective_date,tenor,rate,source
    2025-05-20,1y,0.0300,全国银行间同业拆借中心受权公布贷款市场报价利率（LPR）公告

Headers in English or Chinese (生效日期 or 公布日期, 期限, 利率, 来源), without regard to case or blanks. `tenor` is 1y
or 5y (five years and above), `rate` a decimal with at most four places (3.00 % is 0.0300; a figure of 0.2 or
more is refused as a percentage typed as published), `source` optional.

Loading
-------
Every row is checked first, and rows are named by their number as a spreadsheet shows it (a JSON row by
its index from 0). A figure is never edited: a tenor and date already published with the same rate is
skipped (loading a file again is harmless), with another rate it is refused; a tenor and date given twice
in one load is refused on both rows. Nothing is written unless every row is good; then every new row is
inserted with one audit record (`lpr.load`) in one transaction. A load that adds nothing writes nothing.
On PostgreSQL loads queue behind each other (an advisory lock), so that what a load found published stays
true until it commits.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import insert, select, text

from finplat import audit
from finplat.extensions import db
from finplat.loans.models import ONE_YEAR_TENOR_MAX_MONTHS, TENORS, LprRate
from finplat.loans.product_schemas import LprRow
from finplat.valuation.reference_loader import InvalidRows, RowError, TooManyValues, flatten, read_table

SHIPPED_FILE = Path(__file__).resolve().parent / "lpr_data" / "lpr.csv"
COLUMNS = ("effective_date", "tenor", "rate", "source")
REQUIRED = ("effective_date", "tenor", "rate")
ALIASES = {
    "effective_date": ("生效日期", "公布日期", "日期", "date"),
    "tenor": ("期限", "品种"),
    "rate": ("利率", "报价"),
    "source": ("来源", "数据来源"),
}
LOCK = (0x46504C52, 0)  # "FPLR": one advisory lock for every LPR load


# --- lookups

def tenor_for(term_months: int) -> str:
    """The LPR tenor a loan of `term_months` prices from: 1y up to 5 years (60 months), 5y above."""
    return "1y" if term_months <= ONE_YEAR_TENOR_MAX_MONTHS else "5y"


def rate(tenor: str, day: date) -> LprRate | None:
    """The `tenor` LPR in force on `day`: the latest announced on or before it; None before the first."""
    if tenor not in TENORS or day is None:
        return None
    return db.session.execute(
        select(LprRate).where(LprRate.tenor == tenor, LprRate.effective_date <= day)
        .order_by(LprRate.effective_date.desc()).limit(1)).scalar_one_or_none()


def rates_on(day: date) -> dict:
    """{tenor: the LprRate in force on `day` or None} for every tenor."""
    return {tenor: rate(tenor, day) for tenor in TENORS}


def history(as_of: date | None = None, tenor: str | None = None):
    """A SELECT of the announcements (on or before `as_of` when given), newest first, 1y before 5y."""
    stmt = select(LprRate)
    if as_of is not None:
        stmt = stmt.where(LprRate.effective_date <= as_of)
    if tenor:
        stmt = stmt.where(LprRate.tenor == tenor)
    return stmt.order_by(LprRate.effective_date.desc(), LprRate.tenor)


# --- reading files

@dataclass
class LprFile:
    """The rows of an LPR file, each with its number as a spreadsheet shows it."""
    name: str
    rows: list
    numbers: list
    sha256: str = ""


def read_csv(source=None, encoding: str | None = None, file_name: str | None = None) -> LprFile:
    """The rows of an LPR file: `source` is a path (default: the shipped file) or an upload's bytes (read as
    reference data is: reference_loader.read_table)."""
    if isinstance(source, (bytes, bytearray)):
        data, file_name = bytes(source), file_name or "lpr.csv"
    else:
        path = Path(source) if source is not None else SHIPPED_FILE
        data, file_name = path.read_bytes(), file_name or path.name
    rows, numbers = read_table(data, file_name, COLUMNS, ALIASES, REQUIRED, encoding)
    return LprFile(file_name, rows, numbers, hashlib.sha256(data).hexdigest())


# --- checking and writing

@dataclass
class Summary:
    rows: int = 0
    loaded: int = 0
    unchanged: int = 0
    effective_dates: list = field(default_factory=list)  # of the rows loaded

    def as_dict(self) -> dict:
        return {"rows": self.rows, "loaded": self.loaded, "unchanged": self.unchanged}


def _lock():
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :k)"), {"ns": LOCK[0], "k": LOCK[1]})


def load_file(actor, file: LprFile) -> Summary:
    """Check every row of `file`; insert the new ones with one audit record and commit, or raise InvalidRows
    naming every bad row and write nothing."""
    _lock()
    summary, errors, loaded = Summary(rows=len(file.rows)), [], []
    schema = LprRow()
    for number, raw in zip(file.numbers, file.rows):
        if isinstance(raw, TooManyValues):
            errors.append(RowError(number, "-", f"{raw.values} values for {raw.columns} columns"))
        elif not isinstance(raw, dict):
            errors.append(RowError(number, "-", "a row must be an object of column names and values"))
        else:
            try:
                loaded.append((number, schema.load(raw)))
            except ValidationError as exc:
                errors.extend(RowError(number, f, m) for f, m in flatten(exc.messages))

    seen = {}
    for number, data in loaded:
        seen.setdefault((data["tenor"], data["effective_date"]), []).append(number)
    for numbers in seen.values():
        for number in numbers if len(numbers) > 1 else ():
            errors.append(RowError(number, "rate", f"also on row {', '.join(str(n) for n in numbers if n != number)}"))

    dates = {data["effective_date"] for _, data in loaded}
    published = {(tenor, day): figure for tenor, day, figure in db.session.execute(
        select(LprRate.tenor, LprRate.effective_date, LprRate.rate).where(LprRate.effective_date.in_(dates)))} \
        if dates else {}
    values = []
    for number, data in loaded:
        key = (data["tenor"], data["effective_date"])
        if len(seen[key]) > 1:
            continue
        if key in published:
            if published[key] == data["rate"]:
                summary.unchanged += 1
            else:
                errors.append(RowError(number, "rate", f"{published[key]:.4f} is already published for {key[1]}: a "
                                                       f"published figure is not changed; give the new figure a later "
                                                       f"effective date"))
            continue
        values.append({**data, "source": data.get("source")})
    if errors:
        db.session.rollback()
        raise InvalidRows(errors)
    summary.loaded = len(values)
    summary.effective_dates = sorted({v["effective_date"] for v in values})
    if values:
        db.session.execute(insert(LprRate), values)
        audit.record(actor, "lpr.load", "lpr", None, after={
            **summary.as_dict(), "effective_dates": summary.effective_dates, "file": file.name or None,
            "sha256": file.sha256 or None})
    db.session.commit()
    return summary


def load(actor, rows: list, numbers: list | None = None, source: dict | None = None) -> Summary:
    """Load rows (dicts of column -> value, as a CSV file or a JSON body gives them); their numbers in error
    messages are `numbers`, by default their index in `rows` (from 0). `source` ({"file", "sha256"}) goes to
    the audit record."""
    source = source or {}
    return load_file(actor, LprFile(source.get("file") or "", list(rows),
                                    list(numbers) if numbers is not None else list(range(len(rows))),
                                    source.get("sha256") or ""))


def load_csv(actor, source=None, encoding: str | None = None, file_name: str | None = None) -> Summary:
    """Load an LPR file: a path (default: the shipped file, finplat/loans/lpr_data/lpr.csv) or an upload's bytes."""
    return load_file(actor, read_csv(source, encoding, file_name))
