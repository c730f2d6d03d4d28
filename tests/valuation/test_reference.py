"""Valuation reference data: lookups with region fallback and effective dates, the loader (every row checked,
all or none, versioned by effective date, one audit record), `finplat reference load` on the shipped sample
and the JSON routes."""
import csv
import os
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.errors import RuleViolation
from finplat.registry.identity import uscc_check_char
from finplat.valuation import reference, reference_loader
from finplat.valuation.models import CapitalisationRate, CollectiveNetAssets, LandPrice, NetIncome, ReplacementCost

API = "/api/v1"
JAN = date(2026, 1, 1)
UNREGISTERED = "93370103MA0000001" + uscc_check_char("93370103MA0000001")


def count(db, model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audits(db) -> list:
    return db.session.execute(select(AuditRecord).where(AuditRecord.action == "reference.load")
                              .order_by(AuditRecord.id)).scalars().all()


def price(region="370100", use="industrial", grade="2", figure="560.00", day="2026-01-01", **extra):
    return {"region_code": region, "use": use, "grade": grade, "price_per_m2": figure, "effective_date": day,
            **extra}


def rate(region="370100", kind="land_management", figure="0.05", day="2026-01-01"):
    return {"region_code": region, "right_kind": kind, "rate": figure, "effective_date": day}


# --- lookups

def test_region_falls_back_to_city_then_province(db):
    reference_loader.load("test", "capitalisation_rates", [
        rate("370000", figure="0.07"), rate("370100", figure="0.05"), rate("370112", figure="0.045")])
    day = date(2026, 6, 1)
    assert reference.capitalisation_rate("370112", "land_management", day).rate == Decimal("0.045")  # its own
    assert reference.capitalisation_rate("370102", "land_management", day).rate == Decimal("0.05")  # Jinan's
    assert reference.capitalisation_rate("370100", "land_management", day).rate == Decimal("0.05")
    assert reference.capitalisation_rate("370303", "land_management", day).rate == Decimal("0.07")  # Shandong's
    assert reference.capitalisation_rate("410100", "land_management", day) is None  # Henan: none
    assert reference.capitalisation_rate("370112", "forest", day) is None
    assert reference.capitalisation_rate("", "land_management", day) is None
    assert reference.capitalisation_rate("370112", None, day) is None


def test_a_newer_figure_takes_over_on_its_date_not_before(db):
    reference_loader.load("test", "capitalisation_rates", [
        rate("370000", figure="0.07", day="2025-01-01"),
        rate("370100", figure="0.05", day="2026-01-01"), rate("370100", figure="0.055", day="2027-01-01"),
        rate("370112", figure="0.045", day="2027-06-01")])

    def on(day, region="370112"):
        return reference.capitalisation_rate(region, "land_management", day).rate

    assert on(date(2025, 12, 31)) == Decimal("0.07")  # Jinan has no figure in force yet: Shandong's answers
    assert on(date(2026, 1, 1)) == on(date(2026, 12, 31)) == Decimal("0.05")
    assert on(date(2027, 1, 1)) == Decimal("0.055")
    assert on(date(2027, 5, 31)) == Decimal("0.055")  # the county's own figure is not in force yet
    assert on(date(2027, 6, 1)) == on(date(2030, 1, 1)) == Decimal("0.045")
    assert on(date(2027, 6, 1), "370102") == Decimal("0.055")  # another county keeps the city's
    assert reference.capitalisation_rate("370112", "land_management", date(2024, 12, 31)) is None
    row = reference.capitalisation_rate("370112", "land_management", date(2026, 3, 1))
    assert (row.region_code, row.effective_date) == ("370100", JAN)  # the ORM row: its key and date


def test_land_price_grade_falls_back_to_star_within_each_region_level(db):
    reference_loader.load("test", "land_prices", [
        price(grade="1", figure="690"), price(grade="2", figure="560"), price(grade="*", figure="380"),
        price(region="370112", grade="*", figure="400", use="warehouse"),
        price(region="370100", grade="2", figure="520", use="warehouse"),
        price(grade="*", figure="220", use="homestead")])
    day = date(2026, 11, 23)
    assert reference.land_price("370112", "industrial", "2", day).price_per_m2 == Decimal("560.00")
    assert reference.land_price("370112", "industrial", " 2 ", day).price_per_m2 == Decimal("560.00")
    assert reference.land_price("370112", "industrial", "5", day).price_per_m2 == Decimal("380.00")
    assert reference.land_price("370112", "industrial", None, day).price_per_m2 == Decimal("380.00")
    assert reference.land_price("370112", "industrial", "*", day).price_per_m2 == Decimal("380.00")
    # the county's own `*` comes before its city's figure for the exact grade: the most specific region first
    assert reference.land_price("370112", "warehouse", "2", day).price_per_m2 == Decimal("400.00")
    assert reference.land_price("370102", "warehouse", "2", day).price_per_m2 == Decimal("520.00")
    assert reference.land_price("370102", "warehouse", "3", day) is None  # no `*` row for warehouses
    assert reference.land_price("370112", "homestead", "*", day).price_per_m2 == Decimal("220.00")
    assert reference.land_price("370112", "commercial", "1", day) is None
    assert reference.land_price("370112", None, "1", day) is None


def test_net_income_item_falls_back_to_star(db):
    reference_loader.load("test", "net_incomes", [
        {"region_code": "370100", "right_kind": "land_management", "item": "wheat", "income_per_mu": "1350",
         "effective_date": "2026-01-01"},
        {"region_code": "370100", "right_kind": "land_management", "item": "*", "income_per_mu": "1000",
         "effective_date": "2026-01-01"},
        {"region_code": "370100", "right_kind": "forest", "item": "杨树", "income_per_mu": "420",
         "effective_date": "2026-01-01"}])
    day = date(2026, 11, 23)
    assert reference.net_income("370112", "land_management", "wheat", day).income_per_mu == Decimal("1350.00")
    assert reference.net_income("370112", "land_management", "花生", day).income_per_mu == Decimal("1000.00")
    assert reference.net_income("370112", "land_management", None, day).item == "*"
    assert reference.net_income("370112", "forest", "杨树", day).income_per_mu == Decimal("420.00")
    assert reference.net_income("370112", "forest", "松树", day) is None
    assert reference.net_income("370112", "water_facility", "*", day) is None


def test_replacement_cost_and_collective_net_assets(db, make_party):
    reference_loader.load("test", "replacement_costs", [
        {"region_code": "370300", "structure": "brick_concrete", "cost_per_m2": "1650", "effective_date": "2026-01-01"},
        {"region_code": "370300", "structure": "brick_concrete", "cost_per_m2": "1700", "effective_date": "2027-01-01"}])
    assert reference.replacement_cost("370303", "brick_concrete", date(2026, 11, 23)).cost_per_m2 == Decimal("1650.00")
    assert reference.replacement_cost("370303", "brick_concrete", date(2027, 1, 1)).cost_per_m2 == Decimal("1700.00")
    assert reference.replacement_cost("370303", "simple", date(2027, 1, 1)) is None
    assert reference.replacement_cost("370303", None, date(2027, 1, 1)) is None

    collective, other = make_party("collective"), make_party("collective")
    reference_loader.load("test", "collective_net_assets", [
        {"collective_uscc": collective.uscc, "net_assets": "1200000", "effective_date": "2025-12-31"},
        {"collective_uscc": collective.uscc.lower(), "net_assets": "1350000.50", "effective_date": "2026-12-31"}])
    assert reference.collective_net_assets(collective.id, date(2025, 12, 30)) is None
    assert reference.collective_net_assets(collective.id, date(2026, 11, 23)).net_assets == Decimal("1200000.00")
    assert reference.collective_net_assets(collective.id, date(2026, 12, 31)).net_assets == Decimal("1350000.50")
    assert reference.collective_net_assets(other.id, date(2026, 12, 31)) is None
    assert reference.collective_net_assets(None, date(2026, 12, 31)) is None


# --- the loader

def test_a_load_writes_every_row_and_one_audit_record(db):
    summary = reference_loader.load("test", "land_prices", [price(grade="1", figure="690.5"), price(grade="2"),
                                                     price(grade="*", figure="380", source="济南市自然资源和规划局")])
    assert summary.as_dict() == {"dataset": "land_prices", "rows": 3, "loaded": 3, "unchanged": 0}
    rows = db.session.execute(select(LandPrice).order_by(LandPrice.grade)).scalars().all()
    assert [(r.region_code, r.use, r.grade, r.price_per_m2, r.effective_date, r.source) for r in rows] == [
        ("370100", "industrial", "*", Decimal("380.00"), JAN, "济南市自然资源和规划局"),
        ("370100", "industrial", "1", Decimal("690.50"), JAN, None),
        ("370100", "industrial", "2", Decimal("560.00"), JAN, None)]
    (record,) = audits(db)
    assert (record.actor, record.object_type, record.object_id) == ("test", "reference_data", "land_prices")
    assert '"loaded":3' in record.after and '"effective_dates":["2026-01-01"]' in record.after


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(db):
    rows = [price(grade="1"), price(grade="2", figure="0"), price(grade="3", figure="1.234"),
            price(grade="4", region="3701", use="farm", day="2026/1/1"), price(grade="5", extra="x"),
            {"use": "industrial", "grade": "6", "price_per_m2": "300"}]
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "land_prices", rows)
    exc = caught.value
    assert exc.status == 422 and exc.message == "5 row(s) have errors: nothing written"
    assert exc.fields == {"rows": {
        "1": {"price_per_m2": ["must be between 0.01 and 9999999999999999.99"]},
        "2": {"price_per_m2": ["at most 2 decimal places"]},
        "3": {"region_code": ["must be a six-digit GB/T 2260 code"],
              "use": ["must be one of industrial, warehouse, commercial, tourism, entertainment, other, homestead"],
              "effective_date": ["Not a valid date."]},
        "4": {"extra": ["Unknown field."]},
        "5": {"region_code": ["Missing data for required field."],
              "effective_date": ["Missing data for required field."]}}}
    assert "row 3, use: must be one of industrial, warehouse, commercial, tourism, entertainment, other, " \
        "homestead" in [str(e) for e in exc.errors]
    assert count(db, LandPrice) == 0 and audits(db) == []


def test_rates_are_strictly_between_0_and_1_with_up_to_8_decimals(db):
    bad = {"0": "must be more than 0 and less than 1", "1": "must be more than 0 and less than 1",
           "1.5": "must be between 0 and 1", "0.123456789": "at most 8 decimal places", "-0.05": "must be between 0 and 1"}
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "capitalisation_rates", [rate(figure=f) for f in bad] + [rate(kind="house", figure="0.06125")])
    assert caught.value.fields["rows"] == {str(i): {"rate": [m]} for i, m in enumerate(bad.values())}
    reference_loader.load("test", "capitalisation_rates", [rate(figure="0.12345678"), rate(kind="collective_shares")])
    assert db.session.execute(select(CapitalisationRate.rate).order_by(CapitalisationRate.rate)).scalars().all() == [
        Decimal("0.05"), Decimal("0.12345678")]


def test_kinds_structures_and_net_assets_are_checked(db):
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "net_incomes", [
            {"region_code": "370100", "right_kind": "house", "item": "*", "income_per_mu": "1", "effective_date": "2026-01-01"},
            {"region_code": "370100", "right_kind": "forest", "item": " ", "income_per_mu": "1", "effective_date": "2026-01-01"}])
    assert caught.value.fields["rows"] == {
        "0": {"right_kind": ["must be one of land_management, forest, water_facility"]},
        "1": {"item": ["Length must be between 1 and 50."]}}
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "replacement_costs", [
            {"region_code": "370100", "structure": "mud", "cost_per_m2": "900", "effective_date": "2026-01-01"}])
    assert caught.value.fields["rows"]["0"]["structure"] == [
        "must be one of reinforced_concrete, brick_concrete, brick_wood, simple"]
    with pytest.raises(RuleViolation) as caught:
        reference_loader.load("test", "lpr_rates", [])
    assert caught.value.fields == {"dataset": ["unknown dataset lpr_rates: one of land_prices, net_incomes, "
                                               "capitalisation_rates, replacement_costs, collective_net_assets"]}


def test_reloading_the_same_figures_changes_nothing(db):
    rows = [price(grade="1", figure="690"), price(grade="2")]
    reference_loader.load("test", "land_prices", rows)
    again = reference_loader.load("test", "land_prices", [price(grade="1", figure="690.00", source="重复导入"), price(grade="2"),
                                                   price(grade="3", figure="430")])
    assert again.as_dict() == {"dataset": "land_prices", "rows": 3, "loaded": 1, "unchanged": 2}
    assert count(db, LandPrice) == 3 and len(audits(db)) == 2
    unchanged = reference_loader.load("test", "land_prices", rows)
    assert (unchanged.loaded, unchanged.unchanged) == (0, 2)
    assert count(db, LandPrice) == 3 and len(audits(db)) == 2  # nothing changed, nothing to audit
    assert db.session.execute(select(LandPrice.source).where(LandPrice.grade == "1")).scalar_one() is None


def test_a_published_figure_is_never_edited_a_new_date_is_loaded_instead(db):
    reference_loader.load("test", "capitalisation_rates", [rate(figure="0.05")])
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "capitalisation_rates", [rate(kind="forest", figure="0.06"), rate(figure="0.055")])
    assert caught.value.fields == {"rows": {"1": {"rate": [
        "0.05000000 is already published for 2026-01-01: a published figure is not changed; give the new figure "
        "a later effective date"]}}}
    assert count(db, CapitalisationRate) == 1 and len(audits(db)) == 1  # the good forest row was not written
    reference_loader.load("test", "capitalisation_rates", [rate(figure="0.055", day="2026-07-01")])
    assert [r.rate for r in db.session.execute(select(CapitalisationRate).order_by(
        CapitalisationRate.effective_date)).scalars()] == [Decimal("0.05"), Decimal("0.055")]


def test_a_key_and_date_given_twice_in_one_load_names_both_rows(db):
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "land_prices", [price(), price(grade="1"), price(figure="560.00")], numbers=[2, 3, 4])
    assert caught.value.fields == {"rows": {"2": {"price_per_m2": ["also on row 4"]},
                                            "4": {"price_per_m2": ["also on row 2"]}}}
    assert count(db, LandPrice) == 0


def test_collectives_are_named_by_a_registered_collectives_credit_code(db, make_party):
    collective, enterprise = make_party("collective"), make_party("enterprise")
    bad_check = collective.uscc[:-1] + ("0" if collective.uscc[-1] != "0" else "1")
    with pytest.raises(reference_loader.InvalidRows) as caught:
        reference_loader.load("test", "collective_net_assets", [
            {"collective_uscc": collective.uscc, "net_assets": "0", "effective_date": "2026-01-01"},
            {"collective_uscc": enterprise.uscc, "net_assets": "10", "effective_date": "2026-01-01"},
            {"collective_uscc": UNREGISTERED, "net_assets": "10", "effective_date": "2026-01-01"},
            {"collective_uscc": bad_check, "net_assets": "10", "effective_date": "2026-01-01"},
            {"collective_uscc": collective.uscc, "net_assets": "-1", "effective_date": "2026-02-01"}])
    fields = caught.value.fields["rows"]
    assert fields["1"] == {"collective_uscc": [f"registered to party {enterprise.id}, a enterprise, not a collective"]}
    assert fields["2"] == {"collective_uscc": ["no collective is registered with this credit code"]}
    assert fields["3"]["collective_uscc"][0].startswith("check character should be")
    assert fields["4"] == {"net_assets": ["must be between 0 and 9999999999999999.99"]}
    assert "0" not in fields and count(db, CollectiveNetAssets) == 0
    summary = reference_loader.load("test", "collective_net_assets", [
        {"collective_uscc": f" {collective.uscc.lower()} ", "net_assets": "0", "effective_date": "2026-01-01"}])
    assert summary.loaded == 1
    assert db.session.execute(select(CollectiveNetAssets.collective_id)).scalar_one() == collective.id


def test_in_force_lists_the_latest_row_of_each_key_and_narrows_by_region(db):
    reference_loader.load("test", "capitalisation_rates", [
        rate("370000", figure="0.07"), rate("370100", figure="0.05"), rate("370100", figure="0.055", day="2027-01-01"),
        rate("370112", figure="0.045"), rate("370300", figure="0.0525"), rate("370100", "forest", "0.06")])

    def listed(day, region=None):
        stmt = reference.in_force("capitalisation_rates", day, region)
        return [(r.region_code, r.right_kind, r.rate) for r in db.session.execute(stmt).scalars()]

    assert listed(date(2026, 11, 23)) == [  # by region, then in the order of the right kinds
        ("370000", "land_management", Decimal("0.07")), ("370100", "land_management", Decimal("0.05")),
        ("370100", "forest", Decimal("0.06")), ("370112", "land_management", Decimal("0.045")),
        ("370300", "land_management", Decimal("0.0525"))]
    assert ("370100", "land_management", Decimal("0.055")) in listed(date(2027, 1, 1))
    assert [r[0] for r in listed(date(2026, 11, 23), "370100")] == ["370000", "370100", "370100", "370112"]
    assert [r[0] for r in listed(date(2026, 11, 23), "370303")] == ["370000", "370300"]
    assert listed(date(2025, 12, 31)) == []


@pytest.mark.postgres
def test_concurrent_loads_of_the_same_rows_write_them_once(app, committed_db):
    """Both loads find nothing published at the start; the dataset's lock makes the second wait and then
    count the first's rows as unchanged, instead of failing on the unique constraint."""
    import threading
    rows = [price(grade="1", figure="690"), price(grade="2")]
    barrier, results = threading.Barrier(4), []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reference_loader.load("test", "land_prices", rows).as_dict())
            except Exception as exc:  # reported by the assertion below
                results.append(exc)
            finally:
                committed_db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted((r["loaded"], r["unchanged"]) for r in results) == [(0, 2), (0, 2), (0, 2), (2, 0)], results
    assert count(committed_db, LandPrice) == 2 and len(audits(committed_db)) == 1


# --- CSV files and the CLI

@pytest.fixture
def cli(app, db):
    def invoke(*args):
        return app.test_cli_runner().invoke(args=["reference", *map(str, args)])
    return invoke


def _file_rows(path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


SAMPLE_FILES = ("land_prices", "net_incomes", "capitalisation_rates", "replacement_costs")
MODELS = {"land_prices": LandPrice, "net_incomes": NetIncome, "capitalisation_rates": CapitalisationRate,
          "replacement_costs": ReplacementCost}


def test_the_shipped_sample_loads_every_file_and_reloads_unchanged(cli, db):
    assert sorted(p.name for p in reference.SAMPLE_DIR.iterdir()) == sorted(
        [f"{n}.csv" for n in SAMPLE_FILES] + ["README.txt"])
    r = cli("load", reference.SAMPLE_DIR)
    assert r.exit_code == 0, r.output
    for name in SAMPLE_FILES:
        rows = _file_rows(reference.SAMPLE_DIR / f"{name}.csv")
        assert f"{name}: {rows} row(s), {rows} loaded, 0 unchanged" in r.output
        assert count(db, MODELS[name]) == rows
    assert "ILLUSTRATIVE" in (reference.SAMPLE_DIR / "README.txt").read_text(encoding="utf-8")
    (record,) = audits(db)
    assert record.actor == "cli" and record.object_id is None and '"land_prices.csv"' in record.after
    r = cli("load", "--sample")
    assert r.exit_code == 0, r.output
    assert "land_prices: 56 row(s), 0 loaded, 56 unchanged" in r.output and len(audits(db)) == 1


def test_the_sample_answers_the_valuation_lookups_for_jinan_and_zibo_counties(cli, db):
    assert cli("load", "--sample").exit_code == 0
    day = date(2026, 11, 23)
    for county in ("370112", "370303"):  # the demo's villages
        assert Decimal(1000) <= reference.net_income(county, "land_management", "wheat", day).income_per_mu <= 2000
        assert reference.net_income(county, "land_management", "花生", day).item == "*"
        assert reference.net_income(county, "forest", "杨树", day) is not None
        assert reference.net_income(county, "water_facility", "*", day) is not None
        for kind in ("land_management", "forest", "water_facility", "construction_land", "house", "collective_shares"):
            assert Decimal("0.04") <= reference.capitalisation_rate(county, kind, day).rate <= Decimal("0.08")
        for use in ("industrial", "warehouse", "commercial", "tourism", "entertainment", "other", "homestead"):
            for grade in ("1", "2", "3", "*", "9"):
                assert reference.land_price(county, use, grade, day) is not None
        assert Decimal(300) <= reference.land_price(county, "industrial", "2", day).price_per_m2 <= Decimal(900)
        for structure in ("reinforced_concrete", "brick_concrete", "brick_wood"):
            assert Decimal(1200) <= reference.replacement_cost(county, structure, day).cost_per_m2 <= Decimal(2500)
        assert reference.replacement_cost(county, "simple", day) is not None
    assert reference.land_price("370112", "industrial", "1", date(2025, 12, 31)) is None  # effective 2026-01-01


def write_csv(path, header, rows, encoding="utf-8"):
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n", encoding=encoding)
    return path


RATE_HEADER = ("region_code", "right_kind", "rate", "effective_date", "source")


def test_a_folder_with_a_bad_row_loads_no_file(cli, db, tmp_path):
    write_csv(tmp_path / "capitalisation_rates.csv", RATE_HEADER, [
        ("370100", "land_management", "0.05", "2026-01-01", ""), ("370100", "forest", "5%", "2026-01-01", ""),
        ("", "", "", "", ""), ("370100", "house", "0.06", "2026-13-01", "x", "extra")])
    write_csv(tmp_path / "replacement_costs.csv", ("region_code", "structure", "cost_per_m2", "effective_date"),
              [("370100", "simple", "850", "2026-01-01")])
    write_csv(tmp_path / "land_price.csv", ("region_code",), [("370100",)])
    r = cli("load", tmp_path)
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert "capitalisation_rates.csv row 3, rate: not a number" in lines
    assert "capitalisation_rates.csv row 5, -: 6 values for 5 columns" in lines
    assert not any(" row 2," in line or " row 4," in line for line in lines)  # good and blank rows
    assert "2 row(s) have errors: nothing written" in lines
    assert "ignored land_price.csv: not a reference dataset's file name" in r.output
    assert count(db, CapitalisationRate) == count(db, ReplacementCost) == 0 and audits(db) == []


def test_one_file_with_dataset_chinese_headers_and_gb18030(cli, db, tmp_path):
    path = write_csv(tmp_path / "济南2026.csv", ("行政区划代码", "结构", "重置成本", "生效日期", "来源"), [
        ("370100", "brick_wood", "1350.00", "2026-01-01", "济南市住房和城乡建设局")], encoding="gb18030")
    r = cli("load", "--dataset", "replacement_costs", path)
    assert r.exit_code == 0, r.output
    assert "replacement_costs: 1 row(s), 1 loaded, 0 unchanged" in r.output
    assert db.session.execute(select(ReplacementCost.source)).scalar_one() == "济南市住房和城乡建设局"
    r = cli("load", "--dataset", "replacement_costs", "--encoding", "utf-8", path)
    assert r.exit_code == 1 and "the file is not utf-8 text" in r.output


@pytest.mark.parametrize("header, message", [
    (("region_code", "structure", "cost", "effective_date"), "unknown columns: cost (known: region_code"),
    (("region_code", "structure", "effective_date"), "missing columns: cost_per_m2"),
    (("region_code", "structure", "cost_per_m2", "effective_date", "结构"), "columns given twice: structure"),
])
def test_a_file_with_wrong_columns_is_refused_whole(cli, db, tmp_path, header, message):
    path = write_csv(tmp_path / "costs.csv", header, [("370100",) * len(header)])
    r = cli("load", "--dataset", "replacement_costs", path)
    assert r.exit_code == 1 and message in r.output and count(db, ReplacementCost) == 0


def test_cli_usage_errors(cli, db, tmp_path):
    assert cli("load").exit_code == 2
    assert cli("load", "--sample", tmp_path).exit_code == 2
    assert cli("load", "--dataset", "land_prices", tmp_path).exit_code == 2
    r = cli("load", tmp_path)
    assert r.exit_code == 1 and "no reference data file in" in r.output
    (tmp_path / "land_prices.csv").write_text("region_code,use,grade,price_per_m2,effective_date\n", encoding="utf-8")
    r = cli("load", tmp_path)
    assert r.exit_code == 1 and "land_prices.csv: no rows: the file has a header only" in r.output


def test_cli_show_prints_the_figures_in_force(cli, db):
    cli("load", "--sample")
    reference_loader.load("test", "capitalisation_rates", [rate("370100", figure="0.045", day="2027-01-01")])
    r = cli("show", "capitalisation_rates", "--region-code", "370112")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "region_code,right_kind,rate,effective_date,source"
    assert "370100,land_management,0.05000000,2026-01-01,示例数据（非官方），量级参照山东省公布数据" in lines
    assert len(lines) == 7 and not any("370300" in line for line in lines)
    later = cli("show", "capitalisation_rates", "--as-of", "2027-01-01").output
    assert "370100,land_management,0.04500000,2027-01-01," in later.splitlines()


# --- the JSON routes

@pytest.fixture
def headers(make_user, make_party, auth_header):
    def make(role):
        extra = {"party_id": make_party().id, "username": "13700000077"} if role == "farmer" else {}
        return auth_header(make_user(role, **extra))
    return make


def test_list_route_shows_the_figures_in_force_to_institution_users(client, db, headers):
    reference_loader.load("test", "land_prices", [price(grade="1", figure="690"), price(grade="1", figure="720", day="2027-01-01"),
                                           price(region="370300", grade="1", figure="560")])
    header = headers("loan_officer")
    resp = client.get(f"{API}/reference/land_prices", headers=header)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["as_of"] == "2026-11-23" and body["total"] == 2 and (body["page"], body["per_page"]) == (1, 20)
    assert body["items"][0] == {"id": body["items"][0]["id"], "region_code": "370100", "use": "industrial",
                                "grade": "1", "price_per_m2": "690.00", "effective_date": "2026-01-01", "source": None}
    later = client.get(f"{API}/reference/land_prices?as_of=2027-01-01&region_code=370112", headers=header).get_json()
    assert [(i["region_code"], i["price_per_m2"]) for i in later["items"]] == [("370100", "720.00")]
    bad = client.get(f"{API}/reference/land_prices?region_code=3701&as_of=soon", headers=header)
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"region_code", "as_of"}
    rates = client.get(f"{API}/reference/capitalisation_rates", headers=headers("appraiser")).get_json()
    assert rates["items"] == [] and rates["total"] == 0


def test_list_route_of_collectives_net_assets_names_the_collective(client, db, headers, make_party):
    collective = make_party("collective", name="宅科村股份经济合作社", region_code="370112")
    reference_loader.load("test", "collective_net_assets", [
        {"collective_uscc": collective.uscc, "net_assets": "1500000", "effective_date": "2026-01-01"}])
    body = client.get(f"{API}/reference/collective_net_assets?region_code=370100", headers=headers("guarantor")).get_json()
    (item,) = body["items"]
    assert item == {"id": item["id"], "collective_id": collective.id, "collective_name": "宅科村股份经济合作社",
                    "collective_uscc": collective.uscc, "region_code": "370112", "net_assets": "1500000.00",
                    "effective_date": "2026-01-01", "source": None}


def test_farmers_and_strangers_cannot_list(client, db, headers):
    resp = client.get(f"{API}/reference/land_prices", headers=headers("farmer"))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"{API}/reference/land_prices").status_code == 401


def test_admin_loads_rows_through_the_api(client, db, headers):
    header = headers("admin")
    body = {"rows": [rate(figure="0.05"), {**rate(kind="forest"), "rate": 0.06, "source": "测试"}]}
    resp = client.post(f"{API}/admin/reference/capitalisation_rates", headers=header, json=body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"dataset": "capitalisation_rates", "rows": 2, "loaded": 2, "unchanged": 0}
    assert db.session.execute(select(CapitalisationRate.rate).where(CapitalisationRate.right_kind == "forest")
                              ).scalar_one() == Decimal("0.06")
    (record,) = audits(db)
    assert record.actor.startswith("admin:") and record.object_id == "capitalisation_rates"
    again = client.post(f"{API}/admin/reference/capitalisation_rates", headers=header, json=body)
    assert again.get_json() == {"dataset": "capitalisation_rates", "rows": 2, "loaded": 0, "unchanged": 2}


@pytest.mark.parametrize("role", ["registrar", "appraiser", "loan_officer", "bank_manager", "guarantor",
                                  "fund_manager", "farmer"])
def test_only_admins_load_and_the_role_is_checked_before_the_body(client, db, headers, role):
    header = headers(role)
    resp = client.post(f"{API}/admin/reference/land_prices", headers=header, json={"rows": "nonsense"})
    assert resp.status_code == 403 and resp.get_json()["error"]["fields"] == {}
    resp = client.post(f"{API}/admin/reference/land_prices", headers=header, json={"rows": [price()]})
    assert resp.status_code == 403 and count(db, LandPrice) == 0


def test_load_errors_name_the_row_and_the_field(client, db, headers):
    header = headers("admin")
    rows = [rate(), rate(kind="forest"), rate(kind="house"), rate(kind="water_facility", figure="1.5")]
    resp = client.post(f"{API}/admin/reference/capitalisation_rates", headers=header, json={"rows": rows})
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"rows": {"3": {"rate": ["must be between 0 and 1"]}}}
    assert count(db, CapitalisationRate) == 0

    reference_loader.load("test", "capitalisation_rates", [rate()])
    rows = [rate(kind="forest"), rate(figure="0.06")]
    resp = client.post(f"{API}/admin/reference/capitalisation_rates", headers=header, json={"rows": rows})
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "rule_violation" and error["message"] == "1 row(s) have errors: nothing written"
    assert list(error["fields"]) == ["rows"] and list(error["fields"]["rows"]) == ["1"]
    assert error["fields"]["rows"]["1"]["rate"][0].startswith("0.05000000 is already published for 2026-01-01")
    assert count(db, CapitalisationRate) == 1

    empty = client.post(f"{API}/admin/reference/capitalisation_rates", headers=header, json={"rows": []})
    assert empty.status_code == 422 and "rows" in empty.get_json()["error"]["fields"]
    missing = client.post(f"{API}/admin/reference/collective_net_assets", headers=header, json={"rows": [
        {"collective_uscc": UNREGISTERED, "net_assets": "1", "effective_date": "2026-01-01"}]})
    assert missing.status_code == 422 and "0" in missing.get_json()["error"]["fields"]["rows"]


def test_every_dataset_has_its_routes_in_the_openapi_document(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    for name in reference.DATASETS:
        assert set(doc["paths"][f"{API}/reference/{name}"]) == {"get"}
        assert set(doc["paths"][f"{API}/admin/reference/{name}"]) == {"post"}
    assert client.get(f"{API}/reference/lpr_rates", headers={}).status_code == 404


# --- a non-editable install carries the sample

def test_an_installed_wheel_carries_the_sample_and_loads_it(tmp_path):
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(root)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("finplat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"finplat/valuation/reference_data/{n}.csv" for n in SAMPLE_FILES} <= names
    assert {"finplat/valuation/reference_data/README.txt", "finplat/templates/valuation/reference.html"} <= names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINPLAT_")}
    env.update(PYTHONPATH=str(site), FINPLAT_INSTANCE_PATH=str(tmp_path / "inst"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["init-db"], ["reference", "load", "--sample"]):
        r = subprocess.run([sys.executable, "-m", "finplat", *args], cwd=elsewhere, env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    assert "land_prices: 56 row(s), 56 loaded, 0 unchanged" in r.stdout
