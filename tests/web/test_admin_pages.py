"""The admin pages: institutions, users, the business date (COB) and the audit chain, through their forms."""
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import json

import pytest
from sqlalchemy import event, func, select, text

from finplat import cob
from finplat.api_base import MAX_AMOUNT
from finplat.audit import AuditRecord
from finplat.audit.service import GENESIS
from finplat.auth.models import Institution, User
from finplat.auth.passwords import check_password
from finplat.columns import utcnow
from tests.conftest import csrf_token
from tests.web.pages import location, page, post_form

HOUSEHOLD_ID = "2000000007"


@pytest.fixture
def as_admin(client, admin, login):
    login(admin)
    return client


def count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audit_actions(db, since_id=0):
    return db.session.execute(select(AuditRecord.action, AuditRecord.actor)
                              .where(AuditRecord.id > since_id).order_by(AuditRecord.id)).all()


def last_audit_id(db):
    return db.session.execute(select(func.max(AuditRecord.id))).scalar() or 0


def last_audit_after(db):
    return json.loads(db.session.execute(select(AuditRecord.after).order_by(AuditRecord.id.desc()).limit(1)).scalar())


# --- institutions

def test_create_guarantee_agency_through_the_form(as_admin, db, admin):
    before = last_audit_id(db)
    resp = post_form(as_admin, "/admin/institutions", {
        "kind": "guarantee_agency", "name": "临沂市农业融资担保有限公司", "region_code": "371300",
        "net_assets": "300000000.00", "guarantee_multiple": "8"})
    assert location(resp) == "/admin/institutions"
    inst = db.session.execute(select(Institution).where(Institution.name == "临沂市农业融资担保有限公司")).scalar_one()
    assert (inst.kind, inst.region_code, inst.net_assets, inst.guarantee_multiple, inst.certification_no) == \
        ("guarantee_agency", "371300", Decimal("300000000.00"), Decimal("8.00"), None)
    assert audit_actions(db, before) == [("institution.create", f"admin:{admin.username}")]

    listing = page(as_admin.get("/admin/institutions"))
    assert "已创建机构：临沂市农业融资担保有限公司" in listing.find_all(role="status")[0].text
    row = [tr.text for tr in listing.find_all("tr") if "临沂市农业融资担保有限公司" in tr.text]
    assert row and "融资担保机构" in row[0] and "300,000,000.00" in row[0]


def test_create_appraisal_agency_with_certificate(as_admin, db):
    resp = post_form(as_admin, "/admin/institutions", {
        "kind": "appraisal_agency", "name": "淄博正信评估事务所", "certification_no": "鲁评协-2026-0200",
        "certified_until": "2028-06-30"})
    assert resp.status_code == 302
    inst = db.session.execute(select(Institution).where(Institution.name == "淄博正信评估事务所")).scalar_one()
    assert (inst.certification_no, inst.certified_until) == ("鲁评协-2026-0200", date(2028, 6, 30))


BANK = {"kind": "bank", "name": "某农村商业银行"}
GUARANTEE = {"kind": "guarantee_agency", "name": "某融资担保公司"}
REGION = "须为六位数字，如 370100（济南市）"


@pytest.mark.parametrize("data, field, message", [
    ({**BANK, "name": "济南农村商业银行"}, "name", "已有同名机构"),
    ({**BANK, "region_code": "12ab"}, "region_code", "须为六位数字，如 370100（济南市）"),
    ({**BANK, "region_code": "3701"}, "region_code", "须为六位数字，如 370100（济南市）"),
    ({**BANK, "net_assets": "1000000.00"}, "net_assets", "仅融资担保机构填写此项"),
    ({**BANK, "certification_no": "X-1"}, "certification_no", "仅评估机构填写此项"),
    ({"kind": "appraisal_agency", "name": "无证评估公司"}, "certification_no", "评估机构须填写资质证书编号"),
    ({"kind": "guarantee_agency", "name": "负资产担保", "net_assets": "-1"}, "net_assets", "不能为负数"),
    ({"kind": "guarantee_agency", "name": "担保", "net_assets": "十亿"}, "net_assets", "不是有效的小数。"),
    ({"kind": "guarantee_agency", "name": "零倍担保", "guarantee_multiple": "0"}, "guarantee_multiple",
     "须在 0.01 到 1000 之间"),
    ({**BANK, "certified_until": "2028-02-30"}, "certified_until", "不是有效的日期值。"),
    ({**BANK, "name": "  "}, "name", "必填"),
    ({**BANK, "kind": "casino"}, "kind", "不是有效的选择。"),
    # What the API refuses, the form refuses: a trailing newline, other scripts' digits, amounts that do not
    # fit NUMERIC(18,2) or would be rounded, numbers that are not numbers.
    ({**BANK, "region_code": "370100\n"}, "region_code", REGION),
    ({**BANK, "region_code": "３７０１００"}, "region_code", REGION),
    ({**BANK, "region_code": "٣٧٠١٠٠"}, "region_code", REGION),
    ({**GUARANTEE, "net_assets": "1e30"}, "net_assets", f"不能超过 {MAX_AMOUNT} 元"),
    ({**GUARANTEE, "net_assets": "10000000000000000"}, "net_assets", f"不能超过 {MAX_AMOUNT} 元"),
    ({**GUARANTEE, "net_assets": "0.004"}, "net_assets", "最多 2 位小数"),
    ({**GUARANTEE, "net_assets": "NaN"}, "net_assets", "不是有效的小数。"),
    ({**GUARANTEE, "net_assets": "sNaN"}, "net_assets", "不是有效的小数。"),
    ({**GUARANTEE, "net_assets": "Infinity"}, "net_assets", "不是有效的小数。"),
    ({**GUARANTEE, "guarantee_multiple": "2.005"}, "guarantee_multiple", "最多 2 位小数"),
    # Past the WTForms checks, refused by the API's schema (InstitutionIn), in Chinese at the field
    ({**BANK, "region_code": "   "}, "region_code", REGION),
    ({**BANK, "certification_no": "   "}, "certification_no", "不能为空，最多 100 个字符"),
])
def test_invalid_institution_is_shown_next_to_its_field(as_admin, db, make_institution, data, field, message):
    make_institution("bank", name="济南农村商业银行")
    institutions, audits = count(db, Institution), last_audit_id(db)
    resp = post_form(as_admin, "/admin/institutions", data)
    assert resp.status_code == 422
    doc = page(resp)
    assert doc.error_of(field) == message
    assert set(doc.field_errors()) == {field}  # and on no other field
    assert "请修改下方标出的1项" in doc.form_alert()
    assert count(db, Institution) == institutions
    assert last_audit_id(db) == audits
    if field != "kind" and field in data:  # what was typed is kept for correction
        assert doc.by_id[field].attrs.get("value") == data[field]


def test_institution_form_sends_the_service_what_the_api_would(as_admin, db):
    """Trimmed names, amounts at two places: what is stored is what the audit record says."""
    resp = post_form(as_admin, "/admin/institutions", {"kind": "guarantee_agency", "name": "  德州担保公司 ",
                                                       "net_assets": "1E+2", "guarantee_multiple": " 2.5 "})
    assert resp.status_code == 302
    inst = db.session.execute(select(Institution).where(Institution.name == "德州担保公司")).scalar_one()
    assert (inst.net_assets, inst.guarantee_multiple) == (Decimal("100.00"), Decimal("2.50"))
    after = last_audit_after(db)
    assert (after["name"], after["net_assets"], after["guarantee_multiple"]) == ("德州担保公司", "100.00", "2.50")

    post_form(as_admin, "/admin/institutions", {"kind": "appraisal_agency", "name": "德州评估所",
                                                "certification_no": " 鲁评-2026-9 "})
    assert db.session.execute(select(Institution.certification_no)
                              .where(Institution.name == "德州评估所")).scalar_one() == "鲁评-2026-9"


def test_institution_form_hints_which_kind_each_field_is_for(as_admin):
    doc = page(as_admin.get("/admin/institutions"))
    assert doc.by_id["net_assets-hint"].text == "仅融资担保机构填写"
    assert "net_assets-hint" in doc.by_id["net_assets"].attrs["aria-describedby"]
    assert doc.by_id["region_code"].attrs["inputmode"] == "numeric"
    kinds = [el.text for el in doc.by_id["kind"].find_all("option")]
    assert kinds == ["银行", "融资担保机构", "评估机构", "风险补偿基金管理机构", "农村产权交易中心", "平台运营方"]


# --- users

def test_create_loan_officer_through_the_form(as_admin, db, admin, make_institution):
    bank = make_institution("bank", name="章丘农商银行")
    before = last_audit_id(db)
    resp = post_form(as_admin, "/admin/users", {"username": "zhang_xd", "password": "a-long-passphrase",
                                                "role": "loan_officer", "institution_id": str(bank.id),
                                                "phone": "13800138000"})
    assert location(resp) == "/admin/users"
    user = db.session.execute(select(User).where(User.username == "zhang_xd")).scalar_one()
    assert (user.role, user.institution_id, user.party_id, user.phone) == ("loan_officer", bank.id, None, "13800138000")
    assert check_password(user.password_hash, "a-long-passphrase")
    assert audit_actions(db, before) == [("user.create", f"admin:{admin.username}")]
    assert "已创建用户：zhang_xd（信贷员）" in page(as_admin.get("/admin/users")).text


@pytest.fixture
def banks_and_agency(make_institution):
    return {"bank": make_institution("bank", name="测试银行"),
            "guarantee": make_institution("guarantee_agency", name="测试担保公司")}


@pytest.fixture
def household_7(make_party):
    """The household HOUSEHOLD_ID of the registry (an id no sequence reaches in a test run)."""
    return make_party(id=int(HOUSEHOLD_ID))


USER = {"username": "new_user", "password": "a-long-passphrase", "role": "loan_officer"}
FARMER = {"username": "13800138000", "password": "a-long-passphrase", "role": "farmer", "institution_id": "",
          "party_id": HOUSEHOLD_ID}
PHONE = "须为 5 到 19 位数字，可以 + 开头"


@pytest.mark.parametrize("data, field, message", [
    ({"password": "short-pw"}, "password", "密码须为 10 到 256 个字符"),
    ({"password": ""}, "password", "必填"),
    ({"institution_id": "guarantee"}, "institution_id", "信贷员须属于银行，所选机构是融资担保机构"),
    ({"role": "guarantor", "institution_id": "bank"}, "institution_id", "担保机构须属于融资担保机构，所选机构是银行"),
    ({"institution_id": ""}, "institution_id", "信贷员须属于银行：请选择所属机构"),
    ({"institution_id": "999999"}, "institution_id", "请从列表中选择机构"),
    ({"institution_id": "bank", "party_id": HOUSEHOLD_ID}, "party_id", "只有农户关联农户主体：请留空"),
    ({"role": "farmer", "institution_id": "bank", "party_id": HOUSEHOLD_ID}, "institution_id",
     "农户不属于任何机构：请选择“无（农户不属于机构）”"),
    ({"role": "farmer", "institution_id": ""}, "party_id", "农户须填写所属农户的主体编号"),
    ({"role": "farmer", "institution_id": "", "party_id": "424242"}, "party_id", "没有这个农户主体"),
    ({"role": "farmer", "institution_id": "", "party_id": "0"}, "party_id", "须为正整数"),
    ({"role": "farmer", "institution_id": "", "party_id": "abc"}, "party_id", "不是有效的整数。"),
    ({"institution_id": "bank", "username": "taken_name"}, "username", "该用户名已被占用"),
    ({"institution_id": "bank", "phone": "138-0013"}, "phone", PHONE),
    ({"role": "superuser", "institution_id": "bank"}, "role", "不是有效的选择。"),
    # What the API refuses, the form refuses: a 21-character phone (VARCHAR(20)), other scripts' digits, a
    # trailing newline, a household number beyond the INTEGER column
    ({"institution_id": "bank", "phone": "+" + "1" * 20}, "phone", PHONE),
    ({"institution_id": "bank", "phone": "1" * 20}, "phone", PHONE),
    ({"institution_id": "bank", "phone": "１３８００１３８０００"}, "phone", PHONE),
    ({"institution_id": "bank", "phone": "١٣٨٠٠١٣٨٠٠٠"}, "phone", PHONE),
    ({"institution_id": "bank", "phone": "13800138000\n"}, "phone", PHONE),
    ({"institution_id": "bank", "phone": "   "}, "phone", PHONE),
    ({"role": "farmer", "institution_id": "", "party_id": "2147483648"}, "party_id", "编号过大，请核对"),
    ({"role": "farmer", "institution_id": "", "party_id": "9" * 30}, "party_id", "编号过大，请核对"),
    ({"institution_id": "bank", "username": "  taken_name  "}, "username", "该用户名已被占用"),
    ({**FARMER, "username": "wang_farmer"}, "username", "农户以本人手机号（11 位数字）为用户名"),
    ({**FARMER, "phone": "13900139000"}, "phone", "农户的手机号就是用户名：请留空或填写与用户名相同的号码"),
])
def test_invalid_user_is_shown_next_to_its_field(as_admin, db, make_user, banks_and_agency, household_7,
                                                 data, field, message):
    make_user("loan_officer", institution=banks_and_agency["bank"], username="taken_name")
    data = {**USER, **data}
    if data.get("institution_id") in banks_and_agency:
        data["institution_id"] = str(banks_and_agency[data["institution_id"]].id)
    users, audits = count(db, User), last_audit_id(db)
    resp = post_form(as_admin, "/admin/users", data)
    assert resp.status_code == 422
    doc = page(resp)
    assert doc.error_of(field) == message
    assert set(doc.field_errors()) == {field}
    assert count(db, User) == users
    assert last_audit_id(db) == audits
    assert doc.by_id["password"].attrs.get("value", "") == ""  # a password is never sent back


def test_user_form_sends_the_service_what_the_api_would(as_admin, db, household_7):
    """The user name is trimmed as the API trims it: a farmer's mobile number typed with a space is accepted."""
    resp = post_form(as_admin, "/admin/users", {**FARMER, "username": " 13800138000 "})
    assert location(resp) == "/admin/users"
    user = db.session.execute(select(User).where(User.role == "farmer")).scalar_one()
    assert (user.username, user.phone, user.party_id, user.institution_id) == ("13800138000", "13800138000", int(HOUSEHOLD_ID), None)
    assert last_audit_after(db)["username"] == "13800138000"


def test_institution_select_offers_none_for_farmers_and_groups_by_kind(as_admin, make_institution):
    bank = make_institution("bank", name="平阴农商银行")
    make_institution("guarantee_agency", name="平阴担保公司")
    select_el = page(as_admin.get("/admin/users")).by_id["institution_id"]
    first = select_el.find_all("option")[0]
    assert (first.attrs["value"], first.text) == ("", "无（农户不属于机构）")
    groups = {g.attrs["label"]: [o.text for o in g.find_all("option")] for g in select_el.find_all("optgroup")}
    assert "平阴农商银行" in groups["银行"] and "平阴担保公司" in groups["融资担保机构"]
    assert [o.attrs["value"] for o in select_el.find_all("option") if o.text == "平阴农商银行"] == [str(bank.id)]


def test_user_form_keeps_the_chosen_institution_after_an_error(as_admin, make_institution):
    bank = make_institution("bank", name="商河农商银行")
    resp = post_form(as_admin, "/admin/users", {**USER, "password": "short", "institution_id": str(bank.id)})
    assert resp.status_code == 422
    selected = [o for o in page(resp).by_id["institution_id"].find_all("option") if "selected" in o.attrs]
    assert [o.text for o in selected] == ["商河农商银行"]


# --- long tables: 50 rows a page, newest first

def column(doc, label):
    return [td.text for td in doc.find_all("td", **{"data-label": label})]


def pager_links(doc):
    nav = doc.find_all("nav", **{"aria-label": "分页"})
    return {a.text: a.attrs["href"] for a in nav[0].find_all("a")} if nav else None


@contextmanager
def selects(db):
    """The SELECT statements run inside the block."""
    seen = []

    def count_select(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count_select)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count_select)


@pytest.fixture
def sixty_users(db, admin):
    """60 loan officers, each at a bank of their own (inserted directly: the listing is under test)."""
    banks = [Institution(kind="bank", name=f"分页银行{i:02}") for i in range(60)]
    db.session.add_all(banks)
    db.session.flush()
    db.session.add_all([User(username=f"paged{i:02}", password_hash="-", role="loan_officer", institution_id=b.id)
                        for i, b in enumerate(banks)])
    db.session.commit()


def test_users_are_listed_50_a_page_newest_first(as_admin, db, admin, sixty_users):
    total = count(db, User)
    assert total == 61
    first = page(as_admin.get("/admin/users"))
    assert column(first, "用户名") == [f"paged{i:02}" for i in range(59, 9, -1)]
    assert column(first, "机构/农户")[:2] == ["分页银行59", "分页银行58"]
    assert f"共 {total} 个用户" in first.text and "第 1 / 2 页" in first.text
    assert pager_links(first) == {"下一页": "/admin/users?page=2"}

    second = page(as_admin.get("/admin/users?page=2"))
    assert column(second, "用户名") == [f"paged{i:02}" for i in range(9, -1, -1)] + [admin.username]
    assert pager_links(second) == {"上一页": "/admin/users?page=1"}


@pytest.mark.parametrize("arg, number", [("0", 1), ("-3", 1), ("abc", 1), ("", 1), ("99", 2),
                                         ("9" * 30, 2), ("1e3", 1)])
def test_any_page_argument_shows_a_page(as_admin, sixty_users, arg, number):
    """Past the end is the last page, nonsense the first; never an error (nor an OFFSET that overflows)."""
    resp = as_admin.get(f"/admin/users?page={arg}")
    assert resp.status_code == 200
    assert f"第 {number} / 2 页" in page(resp).text


def test_listing_users_does_not_query_once_per_user(as_admin, db, sixty_users):
    with selects(db) as seen:
        assert as_admin.get("/admin/users").status_code == 200
    assert len(seen) < 10, seen


def test_institutions_are_listed_50_a_page_newest_first(as_admin, db, sixty_users):
    total = count(db, Institution)
    first = page(as_admin.get("/admin/institutions"))
    assert column(first, "名称") == [f"分页银行{i:02}" for i in range(59, 9, -1)]
    assert f"共 {total} 家机构" in first.text
    assert pager_links(first) == {"下一页": "/admin/institutions?page=2"}
    last = page(as_admin.get(f"/admin/institutions?page={-(-total // 50)}"))
    assert column(last, "名称")[-1] == db.session.execute(select(Institution.name).order_by(Institution.id)).scalar()
    assert "上一页" in pager_links(last)


def test_a_short_table_has_no_pager(as_admin):
    assert pager_links(page(as_admin.get("/admin/users"))) is None


# --- business date and close of business

def test_business_date_page_offers_the_open_date(as_admin):
    doc = page(as_admin.get("/admin/business-date"))
    open_date = cob.open_date()
    assert f"当前营业日：{open_date}" in doc.text
    assert doc.by_id["business_date"].attrs["type"] == "date"
    assert doc.by_id["business_date"].attrs["value"] == open_date.isoformat()


def test_closing_dates_advances_the_open_date(as_admin, db, admin):
    first = cob.open_date()
    before = last_audit_id(db)
    resp = post_form(as_admin, "/admin/business-date", {"business_date": (first + timedelta(days=2)).isoformat()})
    assert location(resp) == "/admin/business-date"
    assert cob.open_date() == first + timedelta(days=3)
    runs = db.session.execute(select(cob.CobRun.business_date, cob.CobRun.status)
                              .where(cob.CobRun.business_date >= first).order_by(cob.CobRun.business_date)).all()
    assert runs == [(first + timedelta(days=i), "closed") for i in range(3)]
    assert audit_actions(db, before) == [("cob.close", f"admin:{admin.username}")] * 3
    flashed = page(as_admin.get("/admin/business-date")).find_all(role="status")[0].text
    assert flashed == (f"已关账 3 个营业日（{first} 至 {first + timedelta(days=2)}），"
                       f"当前营业日 {first + timedelta(days=3)}")


def test_closing_the_same_date_twice_closes_it_once(as_admin, db):
    first = cob.open_date()
    post_form(as_admin, "/admin/business-date", {"business_date": first.isoformat()})
    post_form(as_admin, "/admin/business-date", {"business_date": first.isoformat()})
    assert cob.open_date() == first + timedelta(days=1)
    assert count(db, cob.CobRun, cob.CobRun.business_date >= first) == 1


def test_a_date_far_in_the_past_closes_nothing(as_admin, db):
    first = cob.open_date()
    runs, audits = count(db, cob.CobRun), last_audit_id(db)
    resp = post_form(as_admin, "/admin/business-date", {"business_date": "2001-01-01"})
    assert location(resp) == "/admin/business-date"
    assert cob.open_date() == first
    assert count(db, cob.CobRun) == runs
    assert last_audit_id(db) == audits
    flashed = page(as_admin.get("/admin/business-date")).find_all(role="status")[0].text
    assert flashed == f"未关账任何日期：2001-01-01 早于当前营业日 {first}，之前的日期均已关账"


@pytest.mark.parametrize("value, message", [
    ("", "请选择日期"),
    ("2026-13-45", "不是有效的日期值。"),
    ("far", "不是有效的日期值。"),
])
def test_bad_business_date_is_refused(as_admin, db, value, message):
    first = cob.open_date()
    resp = post_form(as_admin, "/admin/business-date", {"business_date": value})
    assert resp.status_code == 422
    assert page(resp).error_of("business_date") == message
    assert cob.open_date() == first


def test_too_many_dates_in_one_run_is_refused(as_admin, db):
    first = cob.open_date()
    target = first + timedelta(days=cob.MAX_DATES_PER_RUN)
    resp = post_form(as_admin, "/admin/business-date", {"business_date": target.isoformat()})
    assert resp.status_code == 422
    assert page(resp).error_of("business_date") == f"一次最多关账 {cob.MAX_DATES_PER_RUN} 个营业日"
    assert cob.open_date() == first
    assert count(db, cob.CobRun, cob.CobRun.business_date >= first) == 0


@contextmanager
def cob_running(db):
    """Another runner holds the COB lock (another process on PostgreSQL, another thread on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": cob.COB_LOCK_KEY})
            try:
                yield
            finally:
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": cob.COB_LOCK_KEY})
    else:
        with cob._local_lock:
            yield


def test_cob_already_running_is_a_conflict_on_the_page(as_admin, db):
    first = cob.open_date()
    with cob_running(db):
        resp = post_form(as_admin, "/admin/business-date", {"business_date": first.isoformat()})
    assert resp.status_code == 409
    assert "日终处理正在运行，请稍后再试" in page(resp).form_alert()
    assert cob.open_date() == first


@pytest.fixture
def failing_step():
    @cob.cob_step("test_web_failing_step", order=10_000)
    def boom(day):
        raise RuntimeError("ledger unavailable")
    yield
    cob.unregister_step("test_web_failing_step")


def test_failed_cob_step_is_reported_and_the_date_stays_open(as_admin, db, failing_step):
    first = cob.open_date()
    resp = post_form(as_admin, "/admin/business-date", {"business_date": first.isoformat()})
    assert resp.status_code == 500
    assert f"日终步骤 test_web_failing_step 在 {first} 失败：ledger unavailable" in page(resp).form_alert()
    assert cob.open_date() == first
    assert db.session.get(cob.CobRun, first).status == "failed"


# --- audit

def test_audit_page_lists_the_latest_records(as_admin, db, admin):
    post_form(as_admin, "/admin/institutions", {"kind": "bank", "name": "审计可见银行"})
    inst_id = db.session.execute(select(Institution.id).where(Institution.name == "审计可见银行")).scalar_one()
    doc = page(as_admin.get("/admin/audit"))
    rows = [tr.text for tr in doc.find_all("tr")]
    assert any(f"admin:{admin.username} institution.create institution {inst_id}" in r for r in rows)
    assert f"共 {count(db, AuditRecord)} 条记录" in doc.text
    assert len(doc.find_all("tbody")[0].find_all("tr")) == min(50, count(db, AuditRecord))


def test_audit_post_verifies_the_whole_chain(as_admin, db):
    post_form(as_admin, "/admin/institutions", {"kind": "bank", "name": "校验链银行"})
    resp = post_form(as_admin, "/admin/audit", {})
    assert resp.status_code == 200
    status = page(resp).find_all(role="status")
    assert status and status[0].text == f"哈希链完整：已校验 {count(db, AuditRecord)} 条记录。"


def test_audit_post_reports_a_broken_chain(as_admin, db):
    forged = AuditRecord(occurred_at=utcnow(), actor="intruder", action="institution.create",
                         object_type="institution", prev_hash=GENESIS, hash="f" * 64)
    db.session.add(forged)
    db.session.commit()
    good = count(db, AuditRecord, AuditRecord.id < forged.id)
    resp = post_form(as_admin, "/admin/audit", {})
    alert = page(resp).form_alert()
    assert f"哈希链在第 {forged.id} 条记录处断裂" in alert
    assert "有记录被删除或插入" in alert and f"此前 {good} 条完好" in alert


def test_audit_verification_needs_the_csrf_token(as_admin):
    assert as_admin.post("/admin/audit").status_code == 400
    token = csrf_token(as_admin.get("/admin/audit").get_data(as_text=True))
    assert as_admin.post("/admin/audit", data={"csrf_token": token}).status_code == 200


def test_admin_forms_refuse_a_post_without_csrf_token(as_admin, db):
    first = cob.open_date()
    assert as_admin.post("/admin/institutions", data={"kind": "bank", "name": "无令牌银行"}).status_code == 400
    assert count(db, Institution, Institution.name == "无令牌银行") == 0
    assert as_admin.post("/admin/business-date", data={"business_date": first.isoformat()}).status_code == 400
    assert cob.open_date() == first
