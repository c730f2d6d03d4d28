"""The reference data pages: the figures in force, by dataset and region, for institution users; an admin's CSV
upload through the same loader, with each refused row listed in Chinese; and a Chinese translation of every
message the loader and its schemas can show."""
import ast
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

import finplat.valuation.reference as reference_module
import finplat.valuation.reference_loader as loader_module
from finplat.audit import AuditRecord
from finplat.valuation import reference, reference_loader
from finplat.valuation.models import CapitalisationRate, LandPrice
from finplat.web.forms import chinese
from tests.conftest import csrf_token
from tests.web.pages import location, page

CJK = re.compile(r"[\u4e00-\u9fff]")
HEADER = "region_code,use,grade,price_per_m2,effective_date,source\n"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def sample(db):
    reference_loader.load_dir("test", reference.SAMPLE_DIR)


@pytest.fixture
def as_admin(client, make_user, login):
    login(make_user("admin"))
    return client


def upload(client, dataset, content: bytes, filename=None, token=True):
    data = {"file": (io.BytesIO(content), filename or f"{dataset}.csv")}
    if token:
        data["csrf_token"] = csrf_token(client.get(f"/reference/?dataset={dataset}").get_data(as_text=True))
    return client.post(f"/reference/{dataset}/upload", data=data, content_type="multipart/form-data")


def test_an_institution_user_reads_the_figures_in_force(client, db, sample, make_user, login):
    login(make_user("loan_officer"))
    resp = client.get("/reference/")
    assert resp.status_code == 200
    shown = page(resp)
    assert "基准地价（2026-11-23 有效）" in shown.text and "共 56 项" in shown.text
    first = shown.find_all("tbody")[0].find_all("tr")[0]
    assert [td.text for td in first.find_all("td")] == ["370100", "工业", "1", "690.00", "2026-01-01",
                                                        "示例数据（非官方），量级参照山东省公布数据"]
    assert first.find_all("td")[1].attrs["data-label"] == "用途"  # a card of labelled lines on a phone
    assert "upload" not in shown.by_id  # no upload form but for admins
    assert [a.text for a in shown.find_all("a", **{"aria-current": "page"}) if a.attrs.get("href", "").startswith("/reference")] == ["基准地价"]

    rates = page(client.get("/reference/?dataset=capitalisation_rates&region_code=370303"))
    rows = [[td.text for td in tr.find_all("td")] for tr in rates.find_all("tbody")[0].find_all("tr")]
    assert ["370300", "土地经营权", "5.25%"] == rows[0][:3] and len(rows) == 6
    assert all(r[0] == "370300" for r in rows)
    costs = page(client.get("/reference/?dataset=replacement_costs"))
    assert "钢筋混凝土" in costs.text and "2,300.00" in costs.text
    incomes = page(client.get("/reference/?dataset=net_incomes&region_code=370100"))
    assert "杨树" in incomes.text and "其他（通用）" in incomes.text


def test_the_list_follows_the_date_and_pages(client, db, sample, make_user, login):
    login(make_user("appraiser"))
    reference_loader.load("test", "land_prices", [{"region_code": "370100", "use": "industrial", "grade": "1",
                                            "price_per_m2": "720", "effective_date": "2027-01-01"}])
    today = page(client.get("/reference/?region_code=370112"))
    assert "690.00" in today.text and "720.00" not in today.text
    later = page(client.get("/reference/?region_code=370112&as_of=2027-01-01"))
    assert "720.00" in later.text and "690.00" not in later.text and "2027-01-01 有效" in later.text
    before = page(client.get("/reference/?as_of=2025-12-31"))
    assert "该日期没有有效的基准地价数据" in before.text
    # 56 rows at 50 a page: the pager keeps the filter
    first = page(client.get("/reference/?dataset=land_prices&as_of=2026-06-30"))
    (link,) = [a for a in first.find_all("a") if a.attrs.get("rel") == "next"]
    assert "page=2" in link.attrs["href"] and "as_of=2026-06-30" in link.attrs["href"]
    second = page(client.get(link.attrs["href"]))
    assert "第 2 / 2 页" in second.text and len(second.find_all("tbody")[0].find_all("tr")) == 6


def test_a_wrong_filter_is_shown_at_its_field(client, db, make_user, login):
    login(make_user("guarantor"))
    resp = client.get("/reference/?region_code=3701&as_of=2026-02-30")
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.error_of("region_code") == "须为六位数字，如 370100（济南市）"
    assert shown.error_of("as_of") == "不是有效的日期值。"
    assert client.get("/reference/?dataset=lpr").status_code == 404


def test_farmers_and_visitors_do_not_read_reference_data(client, db, make_user, make_party, login):
    assert location(client.get("/reference/")).startswith("/login")
    login(make_user("farmer", party_id=make_party().id, username="13700000088"))
    assert client.get("/reference/").status_code == 403


def test_admin_uploads_a_csv_file(as_admin, db):
    content = (HEADER + "370100,industrial,1,690.00,2026-01-01,济南市自然资源和规划局\n"
               "370100,industrial,*,380,2026-01-01,\n").encode("utf-8-sig")
    resp = upload(as_admin, "land_prices", content, filename="济南 基准地价.csv")
    assert location(resp) == "/reference/?dataset=land_prices"
    shown = page(as_admin.get(location(resp)))
    assert "已导入基准地价：共 2 行，新增 2 行，已公布且数值相同而跳过 0 行" in shown.text
    assert "690.00" in shown.text
    rows = db.session.execute(select(LandPrice.grade, LandPrice.price_per_m2, LandPrice.source)
                              .order_by(LandPrice.grade)).all()
    assert [(g, str(p), s) for g, p, s in rows] == [("*", "380.00", None), ("1", "690.00", "济南市自然资源和规划局")]
    record = db.session.execute(select(AuditRecord).where(AuditRecord.action == "reference.load")).scalar_one()
    assert record.actor.startswith("admin:") and '"file":"济南 基准地价.csv"' in record.after

    again = upload(as_admin, "land_prices", content)
    assert location(again) == "/reference/?dataset=land_prices"
    assert "新增 0 行，已公布且数值相同而跳过 2 行" in page(as_admin.get(location(again))).text
    assert count(db, LandPrice) == 2


def test_a_refused_upload_lists_every_bad_row_in_chinese_and_writes_nothing(as_admin, db):
    reference_loader.load("test", "land_prices", [{"region_code": "370100", "use": "industrial", "grade": "1",
                                            "price_per_m2": "690", "effective_date": "2026-01-01"}])
    content = (HEADER + "370100,industrial,2,560,2026-01-01,\n"
               "370100,farm,2,560,2026-01-01,\n"
               "370100,industrial,1,700,2026-01-01,\n"
               "370100,industrial,3,-5,2026-01-01,\n").encode("gb18030")
    resp = upload(as_admin, "land_prices", content)
    assert resp.status_code == 422
    shown = page(resp)
    assert "有 3 行数据有误，未写入任何数据：请修改后重新导入" in shown.form_alert()
    table = shown.by_id["row-errors"]
    rows = [[td.text for td in tr.find_all("td")] for tr in table.find_all("tbody")[0].find_all("tr")]
    assert rows == [
        ["3", "用途", "须为以下之一：industrial, warehouse, commercial, tourism, entertainment, other, homestead"],
        ["4", "基准地价（元/平方米）", "2026-01-01 生效的数值 690.00 已公布，已公布的数据不能修改：新数值请使用新的生效日期"],
        ["5", "基准地价（元/平方米）", "须在 0.01 到 9999999999999999.99 之间"]]
    assert count(db, LandPrice) == 1


@pytest.mark.parametrize("content, filename, message", [
    (b"region_code,use,grade,price,effective_date\n370100,industrial,1,1,2026-01-01\n", None,
     "不认识的列：price（可用的列：region_code, use, grade, price_per_m2, effective_date, source）"),
    (HEADER.encode(), None, "文件只有列名，没有数据行"),
    (b"", None, "文件是空的"),
    (b"\xff\xfe\x00\x00\x80\x81", None, "文件既不是 UTF-8 也不是 GB18030 编码的文本：请在 Excel 中另存为“CSV UTF-8”格式"),
    (HEADER.encode(), "prices.xlsx", "须为 .csv 文件"),
])
def test_a_file_that_cannot_be_read_is_named_at_the_file_field(as_admin, db, content, filename, message):
    resp = upload(as_admin, "land_prices", content, filename=filename)
    assert resp.status_code == 422
    assert page(resp).error_of("file") == message
    assert count(db, LandPrice) == 0


def test_upload_needs_a_file_an_admin_and_the_forms_token(client, as_admin, db, make_user, login):
    resp = as_admin.post("/reference/land_prices/upload", data={
        "csrf_token": csrf_token(as_admin.get("/reference/").get_data(as_text=True))})
    assert resp.status_code == 422 and page(resp).error_of("file") == "请选择文件"
    resp = upload(as_admin, "land_prices", (HEADER + "370100,industrial,1,1,2026-01-01,\n").encode(), token=False)
    assert resp.status_code == 400
    token = csrf_token(as_admin.get("/reference/").get_data(as_text=True))
    resp = as_admin.post("/reference/lpr_rates/upload", content_type="multipart/form-data",
                         data={"csrf_token": token, "file": (io.BytesIO(HEADER.encode()), "x.csv")})
    assert resp.status_code == 404  # no such dataset
    as_admin.post("/logout", data={"csrf_token": csrf_token(as_admin.get("/reference/").get_data(as_text=True))})
    login(make_user("registrar"))
    assert "upload" not in page(client.get("/reference/")).by_id
    token = csrf_token(client.get("/reference/").get_data(as_text=True))
    resp = client.post("/reference/capitalisation_rates/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(b"region_code,right_kind,rate,effective_date\n"
                                                 b"370100,house,0.06,2026-01-01\n"), "rates.csv")})
    assert resp.status_code == 403 and count(db, CapitalisationRate) == 0


def test_the_upload_form_says_what_a_file_holds(as_admin, db):
    shown = page(as_admin.get("/reference/?dataset=replacement_costs"))
    hint = shown.by_id["upload"].text
    assert "cost_per_m2（重置成本（元/平方米））" in hint and "brick_wood（砖木）" in hint
    form = shown.by_id["upload"].find_all("form")[0]
    assert form.attrs["enctype"] == "multipart/form-data" and form.attrs["action"] == "/reference/replacement_costs/upload"


# --- every message of the loader and its schemas reads in Chinese

def _messages():
    """The messages reference.py and reference_loader.py write out: those of its errors (BadFile, field_error, InvalidRows) and of
    each RowError, each {placeholder} filled with "1"."""
    def sample(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(p.value if isinstance(p, ast.Constant) else "1" for p in node.values)
        return None

    found = set()
    trees = [ast.parse(Path(m.__file__).read_text(encoding="utf-8")) for m in (reference_module, loader_module)]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("BadFile", "RuleViolation") and node.args:
                found.add(sample(node.args[0]))
            elif node.func.id == "field_error" and len(node.args) >= 2:
                found.add(sample(node.args[1]))
            elif node.func.id == "RowError" and len(node.args) >= 3:
                found.add(sample(node.args[2]))
    found.add(reference_loader.InvalidRows([reference_loader.RowError(1, "rate", "x")]).message)
    found.discard(None)
    return sorted(found)


MESSAGES = _messages()


def test_the_scan_finds_the_messages():
    assert {"also on row 1", "no collective is registered with this credit code",
            "1 row(s) have errors: nothing written", "the file is empty"} <= set(MESSAGES)


@pytest.mark.parametrize("message", MESSAGES)
def test_every_loader_message_has_a_chinese_translation(message):
    assert CJK.search(chinese(message)), f"no translation of {message!r} in finplat/web/forms.py"


@pytest.mark.parametrize("message", [
    "must be more than 0 and less than 1", "must be one of land_management, forest, water_facility",
    "must be between 0.01 and 9999999999999999.99", "at most 8 decimal places", "Not a valid date.",
    "Missing data for required field.", "Length must be between 1 and 20.", "must be a six-digit GB/T 2260 code",
    "Unknown field.", "check character should be 5, not 6", "registered to party 7, a enterprise, not a collective",
    "unknown dataset lpr: one of land_prices, net_incomes", "the file is not utf-8 text",
])
def test_schema_and_file_messages_have_a_chinese_translation(message):
    assert CJK.search(chinese(message)), message


def test_collective_messages_name_the_partys_kind_in_chinese():
    assert chinese("registered to party 7, a enterprise, not a collective") == "该代码登记的主体 7 是企业，不是村集体经济组织"
