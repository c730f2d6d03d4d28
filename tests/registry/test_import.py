"""`finplat registry import`: a land-confirmation export checked row by row with the API's rules, written
whole (or only its good rows with --skip-invalid) through set-based inserts, with events and one audit
record."""
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from finplat.audit import AuditRecord
from finplat.registry.models import HouseholdMember, Party, Right, RightEvent
from finplat.security.pii import blind_index

DATA = Path(__file__).parent / "data"
GOOD, GOOD_ZH, BAD = DATA / "land_confirmation.csv", DATA / "land_confirmation_zh.csv", DATA / "land_confirmation_bad.csv"
ZHANG = "370103197001010017"


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def run(app, db):
    def invoke(*args):
        return app.test_cli_runner().invoke(args=["registry", "import", *map(str, args)])
    return invoke


def test_a_good_file_imports_parties_rights_events_and_one_audit_record(run, db):
    r = run(GOOD)
    assert r.exit_code == 0, r.output
    assert "imported 4 right(s) from 4 row(s): 3 household(s) created, 0 reused, 1 collective(s) created" in r.output
    collective = db.session.execute(select(Party).where(Party.kind == "collective")).scalar_one()
    assert (collective.uscc, collective.name, collective.village) == ("93370103MA00000015", "宅科村股份经济合作社",
                                                                      "宅科村")
    households = db.session.execute(select(Party).where(Party.kind == "household").order_by(Party.id)).scalars().all()
    assert [h.name for h in households] == ["张建国", "李秀英", "王志强"]
    assert all(h.collective_id == collective.id and h.members == [] for h in households)
    zhang = households[0]
    assert (zhang.id_number, zhang.id_number_index, zhang.phone) == (ZHANG, blind_index(ZHANG), "13800000001")
    stored = db.session.execute(text("SELECT id_number FROM parties WHERE id = :id"), {"id": zhang.id}).scalar()
    assert ZHANG not in stored and "$" in stored  # a ciphertext with its key id
    rights = db.session.execute(select(Right).order_by(Right.certificate_no)).scalars().all()
    assert [(r.certificate_no, r.holder_id, str(r.area), r.area_unit) for r in rights] == [
        ("370103-2018-000001", zhang.id, "3.25", "mu"), ("370103-2018-000002", zhang.id, "1.50", "mu"),
        ("370103-2018-000003", households[1].id, "12.00", "mu"), ("370103-2018-000004", households[2].id, "0.80", "mu")]
    assert rights[0].attributes == {"land_class": "cropland", "crop": "小麦"}
    assert rights[1].kind == "land_management" and rights[1].status == "active"
    assert str(rights[3].term_start) == "2018-01-01" and str(rights[3].term_end) == "2047-12-31"  # 2018/1/1 read
    events = db.session.execute(select(RightEvent).order_by(RightEvent.right_id)).scalars().all()
    assert [(e.right_id, e.kind, e.status_after, e.actor) for e in events] == [
        (r.id, "registered", "active", "cli") for r in sorted(rights, key=lambda r: r.id)]
    first = next(e for e in events if e.right_id == rights[0].id)
    assert first.snapshot["certificate_no"] == "370103-2018-000001" and first.snapshot["area"] == "3.25"
    assert first.details == {"import": "land_confirmation.csv", "row": 2, "contractor_code": "370103001001000100001"}
    audits = db.session.execute(select(AuditRecord).where(AuditRecord.action.like("registry.%"))).scalars().all()
    assert len(audits) == 1 and audits[0].actor == "cli"
    assert '"rights":4' in audits[0].after and '"households_created":3' in audits[0].after


def test_chinese_headers_and_values(run, db):
    r = run(GOOD_ZH)
    assert r.exit_code == 0, r.output
    rights = db.session.execute(select(Right).order_by(Right.certificate_no)).scalars().all()
    assert [(r.area_unit, r.attributes["land_class"], str(r.term_end)) for r in rights] == [
        ("mu", "cropland", "2047-12-31"), ("mu", "forest_land", "2087-12-31")]
    assert count(db, Party) == 2 and len({r.holder_id for r in rights}) == 1


def test_a_file_with_bad_rows_writes_nothing_and_names_each_row_and_field(run, db, make_party):
    holder = make_party()
    db.session.add(Right(kind="land_management", certificate_no="370103-2017-999999", holder_id=holder.id,
                         region_code="370103", area=1, area_unit="mu", attributes={"land_class": "cropland"}))
    db.session.commit()
    before = (count(db, Party), count(db, Right), count(db, RightEvent), count(db, AuditRecord))
    r = run(BAD)
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert "row 3, id_number: check character should be 0, not 1" in lines
    assert "row 4, term_end: at most 30 years for land_class cropland: no later than 2048-01-01" in lines
    assert "row 5, certificate_no: also on row 6" in lines and "row 6, certificate_no: also on row 5" in lines
    assert "row 7, certificate_no: a right with that certificate number is registered" in lines
    assert not any(line.startswith(("row 2,", "row 8,")) for line in lines)
    assert "5 of 7 row(s) have errors: nothing written" in r.output
    assert (count(db, Party), count(db, Right), count(db, RightEvent), count(db, AuditRecord)) == before


def test_skip_invalid_writes_only_the_good_rows(run, db):
    r = run(BAD, "--skip-invalid")
    assert r.exit_code == 0, r.output
    assert "row 3, id_number" in r.output and "4 bad row(s) skipped" in r.output
    rights = db.session.execute(select(Right.certificate_no, Right.holder_id).order_by(Right.certificate_no)).all()
    assert [c for c, _ in rights] == ["370103-2017-999999", "370103-2018-000001", "370103-2018-000007"]
    # Zhang's three good rows are one household; Li (bad ID) and Wang (no good row) are not created.
    assert len({h for _, h in rights}) == 1
    assert db.session.execute(select(Party.name).where(Party.kind == "household")).scalars().all() == ["张建国"]
    assert count(db, RightEvent) == 3
    audit = db.session.execute(select(AuditRecord.after).where(AuditRecord.action == "registry.import")).scalar_one()
    assert '"bad_rows":4' in audit and '"rights":3' in audit


def write(tmp_path, rows, header=("holder_name", "id_number", "region_code", "village", "collective_uscc",
                                  "collective_name", "certificate_no", "area", "land_class", "term_start",
                                  "term_end")):
    path = tmp_path / "export.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")
    return path


def row(name="张建国", id_number=ZHANG, cert="C-1", uscc="93370103MA00000015", end="2047-12-31", **over):
    values = {"holder_name": name, "id_number": id_number, "region_code": "370103", "village": "宅科村",
              "collective_uscc": uscc, "collective_name": "宅科村股份经济合作社", "certificate_no": cert,
              "area": "1.5", "land_class": "cropland", "term_start": "2018-01-01", "term_end": end, **over}
    return list(values.values())


def test_a_household_already_registered_is_reused_when_its_name_matches(run, db, tmp_path):
    assert run(write(tmp_path, [row(cert="C-1")])).exit_code == 0
    r = run(write(tmp_path, [row(cert="C-2"), row(name="张建军", cert="C-3")]))
    assert r.exit_code == 1
    assert "row 3, holder_name: the ID number is registered to household" in r.output
    assert "row 2," not in r.output
    r = run(write(tmp_path, [row(cert="C-2")]))
    assert r.exit_code == 0 and "0 household(s) created, 1 reused, 0 collective(s) created" in r.output
    assert count(db, Party) == 2 and len(set(db.session.execute(select(Right.holder_id)).scalars())) == 1


def test_rows_of_one_household_must_agree_and_members_cannot_head_another(run, db, tmp_path, make_party):
    r = run(write(tmp_path, [row(cert="C-1"), row(name="张三", cert="C-2")]))
    assert r.exit_code == 1 and "row 3, holder_name: row 2 gives this ID number to 张建国" in r.output
    household = make_party()
    db.session.add(HouseholdMember(household_id=household.id, name="钱芳", id_number="370103197505050020",
                                   id_number_index=blind_index("370103197505050020"), relation="spouse"))
    db.session.commit()
    r = run(write(tmp_path, [row(name="钱芳", id_number="370103197505050020")]))
    assert r.exit_code == 1 and f"row 2, id_number: registered as a member of household {household.id}" in r.output


def test_schema_errors_are_named_by_column(run, db, tmp_path):
    r = run(write(tmp_path, [row(area="1.234", land_class="paddy", uscc="93370103MA00000016",
                                 region_code="3701")]))
    assert r.exit_code == 1
    out = r.output
    assert "row 2, area: at most 2 decimal places" in out
    assert "row 2, land_class: Must be one of" in out
    assert "row 2, region_code: must be a six-digit GB/T 2260 code" in out
    assert "row 2, collective_uscc: check character should be 5, not 6" in out
    assert count(db, Party) == 0


def test_a_house_is_imported_from_its_attributes_column(run, db, tmp_path):
    header = ("holder_name", "id_number", "region_code", "village", "collective_uscc", "collective_name",
              "certificate_no", "kind", "area", "attributes")
    attrs = '"{""structure"": ""brick_concrete"", ""floor_area"": ""120.5"", ""year_built"": 2005}"'
    r = run(write(tmp_path, [["张建国", ZHANG, "370103", "宅科村", "93370103MA00000015", "宅科村股份经济合作社", "H-1",
                              "house", "200", attrs]], header=header))
    assert r.exit_code == 0, r.output
    house = db.session.execute(select(Right)).scalar_one()
    assert (house.kind, house.area_unit, house.attributes["floor_area"]) == ("house", "m2", "120.50")


def test_a_collective_by_name_must_be_registered(run, db, tmp_path, make_party):
    header = ("holder_name", "id_number", "region_code", "village", "collective_name", "certificate_no", "area",
              "land_class", "term_start", "term_end")
    rows = [["张建国", ZHANG, "370103", "宅科村", "宅科村股份经济合作社", "C-1", "1", "cropland", "2018-01-01",
             "2047-12-31"]]
    r = run(write(tmp_path, rows, header=header))
    assert r.exit_code == 1 and "row 2, collective_name: no registered collective named 宅科村股份经济合作社" in r.output
    collective = make_party("collective", name="宅科村股份经济合作社")
    r = run(write(tmp_path, rows, header=header))
    assert r.exit_code == 0, r.output
    assert db.session.execute(select(Party.collective_id).where(Party.kind == "household")).scalar() == collective.id


def test_unknown_or_missing_columns_refuse_the_file(run, db, tmp_path):
    r = run(write(tmp_path, [["x"]], header=("holder_nmae",)))
    assert r.exit_code == 1 and "unknown columns: holder_nmae" in r.output
    r = run(write(tmp_path, [["x"]], header=("holder_name",)))
    assert r.exit_code == 1 and "missing columns: id_number" in r.output
