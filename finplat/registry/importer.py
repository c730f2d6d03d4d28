"""Bulk import of parties and rights from a land-confirmation (确权) export: `finplat registry import FILE.csv`.

The file
--------
CSV, UTF-8 (a byte-order mark is fine; `--encoding gb18030` for exports saved by Excel in China), one header
row, then one row per right together with the household that holds it. Headers are matched without regard
to case or surrounding blanks, in English or Chinese:

=================  ==========================================  ==========================================
column             Chinese headers accepted                    meaning
=================  ==========================================  ==========================================
contractor_code    承包方编码                                   the export's own household code (optional;
                                                               kept in the right's `registered` event)
holder_name *      承包方名称, 承包方代表名称, 户主姓名          head of the household
id_number *        证件号码, 身份证号码, 身份证号                head's resident ID number (GB 11643)
phone              联系电话, 电话                                head's phone (optional)
region_code *      行政区划代码, 区划代码                        GB/T 2260 six-digit code
township           乡镇, 乡(镇)                                  (optional)
village *          村, 村名, 行政村                              the household's village
collective_uscc    发包方统一社会信用代码, 统一社会信用代码      the village collective (GB 32100)
collective_name    发包方名称, 集体经济组织名称                 the village collective's name
certificate_no *   权证编号, 证书编号, 经营权证编号             unique across the registry
kind               权利类型                                      default land_management (土地经营权)
area *             面积, 确权面积                                two decimals at most
area_unit          面积单位                                      mu (亩) or m2 (平方米); default: the kind's
land_class         地类, 土地类别                                cropland (耕地), grassland (草地),
                                                               forest_land (林地); land_management only
crop               作物, 种植作物                                (optional) land_management only
term_start         起始日期, 承包起始日期, 期限起               YYYY-MM-DD (also YYYY/M/D, YYYYMMDD)
term_end           终止日期, 承包终止日期, 期限止
attributes         属性                                          JSON object: the attributes of the other
                                                               kinds, as API.md lists them
=================  ==========================================  ==========================================

`*` marks required columns; a file must also have collective_uscc or collective_name. A column the importer
does not know is an error for the whole file (a misspelt header would otherwise drop its data silently).

The rules
---------
Every row is checked as the API checks a registration: the right through `RightIn` (the API's schema,
attributes by kind included) and `right_rules.right_errors` (holder kind, area unit, term limits: cropland 30
years, grassland 50, forest land 70), the household through `PartyIn` and `identity.id_number_error` (GB 11643
against the open business date). Errors are reported per row, with the row's number as a spreadsheet shows it
(the header is row 1, the first data row is row 2), the column and the message.

- Households. Rows with the same ID number are one household, created once, holding all their rights; they
  must agree on the holder's name and the collective (the first row's township, village and phone are
  kept). An ID number already registered as a household's head is that household, reused, when the names
  match and it belongs to the same collective; under another name (or collective) it is an error for the
  row. An ID number registered as a household member is an error (one person, two households).
  Households are created without members: exports list the household's representative only.
- Collectives. `collective_uscc` names the collective: a registered collective with that code, or a new one
  created with `collective_name`, the row's region, township and village (rows naming one code with two
  names are errors). `collective_name` alone must name exactly one registered collective (narrowed by
  region code when several share the name).
- Certificates. A certificate number already registered, or given on more than one row of the file, is an
  error on every such row: the registrar decides which row is right.

Without `--skip-invalid` a file with any bad row writes nothing (exit code 1); with it, the good rows are
written and the bad ones reported. Everything is written in one transaction with set-based inserts
(parties, rights, one `registered` event per right as the service records them) and one audit record for
the import with its counts; a concurrent registration of the same number makes the whole import fail
(unique indexes) and leaves nothing behind.
"""
import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from marshmallow import ValidationError
from sqlalchemy import insert, select

from finplat import audit, cob
from finplat.extensions import db
from finplat.registry import events, right_rules
from finplat.registry.identity import id_number_error, normalise_id, uscc_error
from finplat.registry.models import HouseholdMember, Party, Right, RightEvent
from finplat.registry.party_schemas import PartyIn
from finplat.registry.party_service import lock_out_registrations
from finplat.registry.right_schemas import RightIn
from finplat.security.pii import keyring

CHUNK = 5000  # rows per INSERT statement and per IN (...) lookup

COLUMNS = {
    "contractor_code": ("承包方编码",),
    "holder_name": ("承包方名称", "承包方代表名称", "户主姓名"),
    "id_number": ("证件号码", "身份证号码", "身份证号"),
    "phone": ("联系电话", "电话"),
    "region_code": ("行政区划代码", "区划代码"),
    "township": ("乡镇", "乡(镇)", "乡（镇）"),
    "village": ("村", "村名", "行政村"),
    "collective_uscc": ("发包方统一社会信用代码", "统一社会信用代码"),
    "collective_name": ("发包方名称", "集体经济组织名称"),
    "certificate_no": ("权证编号", "证书编号", "经营权证编号"),
    "kind": ("权利类型",),
    "area": ("面积", "确权面积"),
    "area_unit": ("面积单位",),
    "land_class": ("地类", "土地类别"),
    "crop": ("作物", "种植作物"),
    "term_start": ("起始日期", "承包起始日期", "期限起"),
    "term_end": ("终止日期", "承包终止日期", "期限止"),
    "attributes": ("属性",),
}
REQUIRED = ("holder_name", "id_number", "region_code", "village", "certificate_no", "area")
HEADERS = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}

# Values an export writes in Chinese, read as the API's words.
KINDS = {"土地经营权": "land_management", "土地承包经营权": "land_management", "农民住房财产权": "house",
         "宅基地使用权": "house", "集体经营性建设用地使用权": "construction_land", "林权": "forest",
         "小型水利设施产权": "water_facility"}
UNITS = {"亩": "mu", "平方米": "m2", "㎡": "m2"}
LAND_CLASSES = {"耕地": "cropland", "草地": "grassland", "林地": "forest_land"}
DATE_FORMS = (re.compile(r"\A(\d{4})[/.](\d{1,2})[/.](\d{1,2})\Z"), re.compile(r"\A(\d{4})(\d{2})(\d{2})\Z"))
# Schema and rule fields named by the file's columns.
FIELD_COLUMNS = {"name": "holder_name", "holder_id": "kind", "attributes.land_class": "land_class",
                 "attributes.crop": "crop"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, headers): no row is checked."""


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class Result:
    rows: int = 0
    errors: list = field(default_factory=list)
    bad_rows: int = 0
    written: bool = False
    rights: int = 0
    households_created: int = 0
    households_reused: int = 0
    collectives_created: int = 0

    def counts(self) -> dict:
        return {"rows": self.rows, "bad_rows": self.bad_rows, "rights": self.rights,
                "households_created": self.households_created, "households_reused": self.households_reused,
                "collectives_created": self.collectives_created}


@dataclass
class Row:
    number: int
    raw: dict
    right: dict | None = None
    errors: list = field(default_factory=list)
    id_number: str | None = None
    uscc: str | None = None
    household: dict | None = None

    def error(self, column, message):
        self.errors.append(RowError(self.number, column, message))


# --- reading

def read_csv(path: str, encoding: str = "utf-8-sig") -> list[Row]:
    try:
        with open(path, newline="", encoding=encoding) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ImportFileError("the file is empty")
            columns = _columns(header)
            rows = []
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(columns):
                    extra = Row(number, {})
                    extra.error("-", f"{len(values)} values for {len(columns)} columns")
                    rows.append(extra)
                    continue
                rows.append(Row(number, {c: v.strip() for c, v in zip(columns, values) if v.strip()}))
            return rows
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"not {encoding} text ({exc.reason} at byte {exc.start}): try --encoding gb18030")
    except csv.Error as exc:
        raise ImportFileError(f"not a CSV file: {exc}")


def _columns(header: list[str]) -> list[str]:
    columns, unknown = [], []
    for title in header:
        name = HEADERS.get(title.strip().lstrip("\ufeff").lower())
        if name is None:
            unknown.append(title)
        columns.append(name)
    if unknown:
        raise ImportFileError("unknown columns: " + ", ".join(unknown) + " (known: " + ", ".join(COLUMNS) + ")")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ImportFileError("columns given twice: " + ", ".join(repeated))
    missing = [c for c in REQUIRED if c not in columns]
    if "collective_uscc" not in columns and "collective_name" not in columns:
        missing.append("collective_uscc or collective_name")
    if missing:
        raise ImportFileError("missing columns: " + ", ".join(missing))
    return columns


# --- checking one row (no database)

def _date(text):
    if text is None:
        return None
    for form in DATE_FORMS:
        match = form.match(text)
        if match:
            y, m, d = match.groups()
            return f"{y}-{int(m):02d}-{int(d):02d}"
    return text  # the schema names what is wrong with it


def _flatten(messages, prefix="") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        return [pair for key, value in messages.items() for pair in _flatten(value, f"{prefix}{key}.")]
    if isinstance(messages, list) and messages and not all(isinstance(m, str) for m in messages):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    name = prefix.rstrip(".")
    return [(FIELD_COLUMNS.get(name, name), m) for m in (messages if isinstance(messages, list) else [messages])]


class RowChecker:
    """The API's schemas and rules applied to one row; households' checks remembered (a household spans
    rows)."""

    ROW_FIELDS = ("certificate_no", "area")
    STAND_INS = {"certificate_no": "-", "area": "1"}

    def __init__(self, today: date):
        self.today = today
        self.right_schema, self.party_schema = RightIn(), PartyIn()
        self.households, self.rights = {}, {}

    def check(self, row: Row):
        raw = row.raw
        self._right(row, raw)
        self._household(row, raw)

    def _right(self, row: Row, raw: dict):
        kind = raw.get("kind", "land_management")
        kind = KINDS.get(kind, kind)
        attributes = {}
        if "attributes" in raw:
            try:
                attributes = json.loads(raw["attributes"])
            except ValueError:
                return row.error("attributes", "not a JSON object")
            if not isinstance(attributes, dict):
                return row.error("attributes", "not a JSON object")
        for column in ("land_class", "crop"):
            if column in raw:
                attributes[column] = LAND_CLASSES.get(raw[column], raw[column])
        unit = raw.get("area_unit") or (right_rules.AREA_UNITS.get(kind) or ("mu",))[0]
        data = {"kind": kind, "certificate_no": raw.get("certificate_no"), "region_code": raw.get("region_code"),
                "area": raw.get("area"), "area_unit": UNITS.get(unit, unit),
                "term_start": _date(raw.get("term_start")), "term_end": _date(raw.get("term_end")),
                "attributes": attributes}
        right = self._load_right({k: v for k, v in data.items() if v is not None}, row)
        if right is None:
            return
        errors = right_rules.right_errors(right["kind"], "household", right["area_unit"], right.get("term_start"),
                                          right.get("term_end"), right["attributes"])
        year_built = right["attributes"].get("year_built")
        if year_built is not None and year_built > self.today.year:
            errors["attributes"] = {"year_built": ["must not be after the current year"]}
        for column, message in _flatten(errors):
            row.error(column, message)
        row.right = right

    def _load_right(self, data: dict, row: Row) -> dict | None:
        """RightIn.load(data), holder apart. The fields every row has its own of (certificate number, area)
        go through RightIn's own field objects; the rest (kind, region, unit, term, attributes: what the
        schema-level checks read) is loaded whole once per distinct combination, with valid stand-ins for the
        two, and remembered: an export repeats a handful of combinations across thousands of rows."""
        right = {}
        for name in self.ROW_FIELDS:
            if name not in data:
                row.error(name, "Missing data for required field.")
                continue
            try:
                right[name] = self.right_schema.fields[name].deserialize(data[name], name, data)
            except ValidationError as exc:
                for column, message in _flatten({name: exc.messages}):
                    row.error(column, message)
        key = json.dumps([[k, v] for k, v in data.items() if k not in self.ROW_FIELDS], ensure_ascii=False)
        if key not in self.rights:
            try:
                self.rights[key] = (self.right_schema.load({**data, **self.STAND_INS}, partial=("holder_id",)), [])
            except ValidationError as exc:
                self.rights[key] = (None, [(c, m) for c, m in _flatten(exc.messages) if c not in self.ROW_FIELDS])
        loaded, errors = self.rights[key]
        for column, message in errors:
            row.error(column, message)
        if row.errors:
            return None
        return {**loaded, **right, "attributes": dict(loaded["attributes"])}

    def _household(self, row: Row, raw: dict):
        key = tuple(raw.get(c) for c in ("holder_name", "id_number", "region_code", "township", "village", "phone"))
        if key not in self.households:
            self.households[key] = self._household_errors(raw)
        errors, household = self.households[key]
        for column, message in errors:
            row.error(column, message)
        uscc, name = raw.get("collective_uscc"), raw.get("collective_name")
        if uscc:
            uscc = uscc.upper()
            problem = uscc_error(uscc)
            if problem:
                row.error("collective_uscc", problem)
            row.uscc = uscc
        elif not name:
            row.error("collective_uscc", "a household belongs to a village collective: give its code or name")
        if household:
            row.household = {**household, "collective_name": name}
            row.id_number = household["id_number"]

    def _household_errors(self, raw: dict):
        data = {"kind": "household", "name": raw.get("holder_name"), "region_code": raw.get("region_code"),
                "township": raw.get("township"), "village": raw.get("village"), "id_number": raw.get("id_number"),
                "phone": raw.get("phone")}
        errors = []
        try:
            party = self.party_schema.load({k: v for k, v in data.items() if v is not None})
        except ValidationError as exc:
            # region_code is the right's column as well: named once.
            errors = [(c, m) for c, m in _flatten(exc.messages) if c != "region_code"]
            party = None
        for column in ("holder_name", "id_number", "village"):
            if not raw.get(column) and not any(c == column for c, _ in errors):
                errors.append((column, "required"))
        if raw.get("id_number"):
            problem = id_number_error(raw["id_number"], self.today)
            if problem:
                errors.append(("id_number", problem))
        if errors or party is None:
            return errors, None
        return [], {"name": party["name"], "region_code": party["region_code"], "township": party.get("township"),
                    "village": party["village"], "phone": party.get("phone"),
                    "id_number": normalise_id(party["id_number"])}


# --- checking the rows together and against the database

def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _in_db(column, values, *columns):
    found = []
    for chunk in _chunks(values):
        found.extend(db.session.execute(select(*(columns or (column,))).where(column.in_(chunk))).all())
    return found


def _certificates(rows: list[Row]):
    seen = {}
    for row in rows:
        number = row.right["certificate_no"] if row.right else row.raw.get("certificate_no")
        if number:
            seen.setdefault(number, []).append(row)
    registered = {c for (c,) in _in_db(Right.certificate_no, seen)}
    for number, holders in seen.items():
        if number in registered:
            for row in holders:
                row.error("certificate_no", "a right with that certificate number is registered")
        if len(holders) > 1:
            others = {row.number for row in holders}
            for row in holders:
                row.error("certificate_no", "also on row " + ", ".join(str(n) for n in sorted(others - {row.number})))


def _collectives(rows: list[Row]) -> dict:
    """{row.number: collective}: an existing collective's id, or the uscc of one to create."""
    wanted = {row.uscc for row in rows if row.uscc and not any(e.field == "collective_uscc" for e in row.errors)}
    registered = {uscc: (pid, kind) for uscc, pid, kind in _in_db(Party.uscc, wanted, Party.uscc, Party.id, Party.kind)}
    names = {row.raw["collective_name"] for row in rows if not row.uscc and row.raw.get("collective_name")}
    by_name = {}
    for name, pid, region in _in_db(Party.name, names, Party.name, Party.id, Party.region_code):
        by_name.setdefault(name, []).append((pid, region))
    kinds = {pid: kind for pid, kind in _in_db(Party.id, [p for ps in by_name.values() for p, _ in ps],
                                              Party.id, Party.kind)}
    new, resolved = {}, {}
    for row in rows:
        if row.uscc:
            if row.uscc in registered:
                pid, kind = registered[row.uscc]
                if kind != "collective":
                    row.error("collective_uscc", f"registered to party {pid}, a {kind}, not a collective")
                else:
                    resolved[row.number] = pid
                continue
            name = row.raw.get("collective_name")
            if not name:
                row.error("collective_name", "needed to register the new collective " + row.uscc)
            elif len(name) > 200:
                row.error("collective_name", "at most 200 characters")
            elif row.uscc in new and new[row.uscc]["name"] != name:
                row.error("collective_name", f"row {new[row.uscc]['row']} names collective {row.uscc} "
                                             f"{new[row.uscc]['name']}")
            elif not row.errors:
                new.setdefault(row.uscc, {"row": row.number, "name": name, "region_code": row.raw.get("region_code"),
                                          "township": row.raw.get("township"), "village": row.raw.get("village")})
                resolved[row.number] = row.uscc
        elif row.raw.get("collective_name"):
            name = row.raw["collective_name"]
            found = [(p, r) for p, r in by_name.get(name, ()) if kinds.get(p) == "collective"]
            if len(found) > 1:
                found = [(p, r) for p, r in found if r == row.raw.get("region_code")]
            if len(found) == 1:
                resolved[row.number] = found[0][0]
            else:
                row.error("collective_name", f"{'no' if not found else 'more than one'} registered collective "
                                             f"named {name}: give collective_uscc")
    return resolved, new


def _households(rows: list[Row], resolved: dict, index) -> dict:
    """{blind index: household}: new ones to create ("id" None) and registered ones reused."""
    first = {}
    for row in rows:
        if row.household is None:
            continue
        seen = first.setdefault(row.id_number, row)
        if seen is row:
            continue
        if seen.household["name"] != row.household["name"]:
            row.error("holder_name", f"row {seen.number} gives this ID number to {seen.household['name']}")
        elif resolved.get(seen.number, seen.uscc) != resolved.get(row.number, row.uscc):
            row.error("collective_uscc", f"row {seen.number} puts this household in another collective")
    indexes = {number: index(number) for number in first}
    heads = {ix: (pid, name, cid) for ix, pid, name, cid in _in_db(
        Party.id_number_index, indexes.values(), Party.id_number_index, Party.id, Party.name, Party.collective_id)}
    members = {ix: hid for ix, hid in _in_db(HouseholdMember.id_number_index, indexes.values(),
                                             HouseholdMember.id_number_index, HouseholdMember.household_id)}
    households = {}
    for row in rows:
        if row.household is None:
            continue
        ix = indexes[row.id_number]
        if ix in members:
            row.error("id_number", f"registered as a member of household {members[ix]}")
        elif ix in heads:
            pid, name, cid = heads[ix]
            if name != row.household["name"]:
                row.error("holder_name", f"the ID number is registered to household {pid} under another name")
            elif row.number in resolved and resolved[row.number] != cid:
                row.error("collective_uscc", f"household {pid} belongs to another collective")
        if not row.errors:
            households.setdefault(ix, {**row.household, "id_number_index": ix, "id": heads.get(ix, (None,))[0],
                                       "collective": resolved[row.number]})
            row.household["index"] = ix
    return households


def check(rows: list[Row], progress=None) -> tuple[dict, dict]:
    checker = RowChecker(cob.open_date())
    for row in rows:
        if not row.errors:
            checker.check(row)
        if progress:
            progress(1)
    _certificates(rows)
    resolved, new_collectives = _collectives(rows)
    households = _households(rows, resolved, keyring().blind_index)
    return households, new_collectives


# --- writing

def _insert_returning(model, values: list[dict], *columns, progress=None) -> list:
    out = []
    for chunk in _chunks(values):
        out.extend(db.session.execute(insert(model).returning(*columns, sort_by_parameter_order=True), chunk).all())
        if progress:
            progress(len(chunk))
    return out


def write(actor, good: list[Row], households: dict, new_collectives: dict, source: dict, result: Result,
          progress=None):
    collective_ids = {}
    if new_collectives:
        made = _insert_returning(Party, [
            {"kind": "collective", "name": c["name"], "region_code": c["region_code"], "township": c["township"],
             "village": c["village"], "uscc": uscc} for uscc, c in new_collectives.items()], Party.id, Party.uscc)
        collective_ids = {uscc: pid for pid, uscc in made}
    fresh = [h for h in households.values() if h["id"] is None]
    made = _insert_returning(Party, [
        {"kind": "household", "name": h["name"], "region_code": h["region_code"], "township": h["township"],
         "village": h["village"], "phone": h["phone"], "id_number": h["id_number"],
         "id_number_index": h["id_number_index"],
         "collective_id": collective_ids.get(h["collective"], h["collective"])} for h in fresh],
        Party.id, Party.id_number_index)
    for pid, ix in made:
        households[ix]["id"] = pid

    values = [{"kind": r.right["kind"], "certificate_no": r.right["certificate_no"],
               "holder_id": households[r.household["index"]]["id"], "region_code": r.right["region_code"],
               "area": r.right["area"], "area_unit": r.right["area_unit"], "term_start": r.right.get("term_start"),
               "term_end": r.right.get("term_end"), "attributes": r.right["attributes"], "status": "active"}
              for r in good]
    right_ids = [rid for (rid,) in _insert_returning(Right, values, Right.id, progress=progress)]

    actor_id, label = audit.service.actor_label(actor)
    today = cob.open_date()
    name = os.path.basename(source["path"])
    event_rows = []
    for rid, row, v in zip(right_ids, good, values):
        details = {"import": name, "row": row.number}
        if row.raw.get("contractor_code"):
            details["contractor_code"] = row.raw["contractor_code"]
        event_rows.append({"right_id": rid, "kind": "registered", "status_before": None, "status_after": "active",
                           "snapshot": events.snapshot(SimpleNamespace(**v)), "details": details,
                           "actor_id": actor_id, "actor": label, "business_date": today})
    for chunk in _chunks(event_rows):
        db.session.execute(insert(RightEvent), chunk)
    result.rights = len(right_ids)
    result.households_created = len(fresh)
    result.households_reused = len(households) - len(fresh)
    result.collectives_created = len(collective_ids)
    audit.record(actor, "registry.import", "import", None,
                 after={"file": name, "sha256": source["sha256"], **result.counts()})


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(actor, path: str, skip_invalid: bool = False, encoding: str = "utf-8-sig") -> Result:
    """Check every row of `path`; write the file (or, with `skip_invalid`, its good rows) in one transaction.
    ImportFileError when the file itself cannot be read."""
    plan = check_rows(read_csv(path, encoding), skip_invalid)
    if plan.writable:
        write_plan(actor, plan, {"path": path, "sha256": _sha256(path)})
    return plan.result


@dataclass
class Plan:
    result: Result
    good: list
    households: dict
    new_collectives: dict

    @property
    def writable(self) -> bool:
        return bool(self.good) and (self.result.bad_rows == 0 or self.skip_invalid)

    skip_invalid: bool = False


def check_rows(rows: list[Row], skip_invalid=False, progress=None) -> Plan:
    """Every row checked, alone, against the others and against the database; nothing written. Registrations
    through the API wait from here until the import's transaction ends, so the checks stay true."""
    lock_out_registrations()
    result = Result(rows=len(rows))
    households, new_collectives = check(rows, progress)
    bad = [row for row in rows if row.errors]
    result.errors = sorted((e for row in bad for e in row.errors), key=lambda e: e.row)
    result.bad_rows = len(bad)
    good = [row for row in rows if not row.errors]
    if bad:  # households and collectives that only bad rows wanted are not created
        wanted = {row.household["index"] for row in good}
        households = {ix: h for ix, h in households.items() if ix in wanted}
        used = {h["collective"] for h in households.values()}
        new_collectives = {u: c for u, c in new_collectives.items() if u in used}
    return Plan(result, good, households, new_collectives, skip_invalid)


def write_plan(actor, plan: Plan, source: dict, progress=None) -> Result:
    """Write a writable plan's good rows in one transaction, committed."""
    if not plan.writable:
        raise ValueError("the plan has bad rows or none at all: nothing to write")
    write(actor, plan.good, plan.households, plan.new_collectives, source, plan.result, progress)
    db.session.commit()
    plan.result.written = True
    return plan.result
