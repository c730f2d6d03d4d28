"""The valuation pages: an appraiser requests a valuation through the form (blank inputs derived from the
registry and the reference data), reads the report with its sources and figures and certifies it; errors at
the fields in Chinese; comparables typed one a line; the calculator; who may see and do what."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.registry.models import ShareRegister, Shareholding
from finplat.valuation.models import CollectiveNetAssets, Valuation
from tests.conftest import csrf_token
from tests.valuation.conftest import IN_FORCE, right_of
from tests.web.pages import location, page, post_form

COMPARABLES = "300000.00,100.00,1.02 0.98 1.00\n320000.00，100.00，1.00 1.00 1.00\n\n280000.00,100.00,1.05 1.00 1.00\n"


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def appraiser_user(make_user, agency):
    return make_user("appraiser", institution=agency)


@pytest.fixture
def as_appraiser(browser, appraiser_user):
    return browser(appraiser_user)


@pytest.fixture
def other_appraiser(browser, make_user, make_institution):
    return browser(make_user("appraiser", institution=make_institution(
        "appraisal_agency", name="淄博正信评估事务所", certification_no="鲁评协-2026-0200",
        certified_until=date(2028, 1, 1))))


@pytest.fixture
def as_officer(browser, make_user):
    return browser(make_user("loan_officer"))


def request_page(client, right_id, data):
    return post_form(client, f"/valuation/new?right_id={right_id}", data)


def certify(client, valuation_id, token=True):
    data = {}
    if token:
        data["certify-csrf_token"] = csrf_token(client.get(f"/valuation/{valuation_id}").get_data(as_text=True))
    return client.post(f"/valuation/{valuation_id}/certify", data=data)


def only_valuation(db):
    return db.session.execute(select(Valuation)).scalar_one()


# --- requesting through the form

def test_blank_inputs_are_derived_and_the_report_names_their_sources(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    form = page(as_appraiser.get(f"/valuation/new?right_id={right.id}"))
    facts = form.by_id["collateral"].text
    for expected in ("土地经营权", right.certificate_no, "孙七", "30.00 亩", "2047-12-31", "剩余 21.10 年", "wheat"):
        assert expected in facts, expected
    assert [o.attrs["value"] for o in form.by_id["method"].find_all("option")] == \
        ["income_capitalisation", "market_comparison"]
    assert "留空：参考数据中的还原率" in form.by_id["rate-field"].text
    assert form.by_id["rate"].attrs.get("value", "") == ""

    resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation", "annual_net_income": "",
                                                 "rate": "", "years": "", "note": "实地查看：小麦长势良好"})
    valuation = only_valuation(db)
    assert location(resp) == f"/valuation/{valuation.id}"
    # A = 1,200/mu x 30 mu; r = 0.06 (Jinan's); n = 21.10 years: P = 600,000 x 0.70755362 = 424,532.17
    assert (valuation.status, valuation.value, valuation.right_id) == ("draft", Decimal("424532.17"), right.id)
    assert valuation.input_sources == {"annual_net_income": "reference", "rate": "reference", "years": "registry"}
    assert valuation.note == "实地查看：小麦长势良好"

    report = page(as_appraiser.get(location(resp)))
    assert "已生成评估草稿" in report.text
    assert report.by_id["value"].text == "424,532.17 元"
    assert report.by_id["status"].text == "草稿" and report.by_id["method"].text == "收益还原法"
    assert report.by_id["input-annual_net_income"].text == "年净收益 A（元） 36,000.00 元 参考数据"
    assert report.by_id["input-rate"].text == "还原率 r 0.06（6%） 参考数据"
    assert report.by_id["input-years"].text == "收益年限 n（年） 21.10 年 登记簿"
    references = report.by_id["references"].text
    assert "亩均年净收益" in references and "1,200.00 元/亩" in references and "2026-01-01" in references
    assert "还原率" in references and "0.06（6%）" in references
    calculation = report.by_id["calculation"].text
    assert "P = A ÷ r × [1 − 1 ÷ (1 + r)^n]" in calculation
    assert "永续收益价值 A ÷ r（元） 600,000.00" in calculation
    assert "年期修正系数 1 − 1 ÷ (1 + r)^n 0.70755362" in calculation
    assert "年净收益 A ±10%、还原率 ±0.01" in calculation
    low, high = report.by_id["range"].text.split(" – ")
    assert Decimal(low.replace(",", "")) == valuation.low and Decimal(high.replace(",", "")) == valuation.high
    assert report.by_id["collateral"].find_all("a")[0].attrs["href"] == f"/registry/rights/{right.id}"
    assert "实地查看：小麦长势良好" in report.by_id["note"].text


def test_the_appraisers_inputs_are_recorded_as_theirs(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation", "rate": "0.05", "years": "20"})
    valuation = only_valuation(db)
    assert location(resp) == f"/valuation/{valuation.id}"
    assert valuation.input_sources == {"annual_net_income": "reference", "rate": "appraiser", "years": "appraiser"}
    assert Decimal(valuation.inputs["rate"]) == Decimal("0.05")
    assert page(as_appraiser.get(location(resp))).by_id["input-rate"].text == "还原率 r 0.05（5%） 评估师填写"


def test_a_missing_reference_figure_is_a_message_at_its_field(as_appraiser, db, parties):
    right = right_of(db, parties["household"])  # no reference data loaded
    resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.error_of("annual_net_income") == \
        "行政区划 370103 没有现行有效的土地经营权（wheat）亩均年净收益参考数据，请填写年净收益"
    assert shown.error_of("rate") == "行政区划 370103 没有现行有效的土地经营权还原率参考数据，请填写还原率"
    assert "years-error" not in shown.by_id
    assert count(db, Valuation) == 0

    # given, they are the appraiser's, and the valuation goes through
    resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation", "annual_net_income": "36000.00",
                                                 "rate": "0.06"})
    assert location(resp) == f"/valuation/{only_valuation(db).id}"


@pytest.mark.parametrize("changes, field, message", [
    ({"years": "30"}, "years", "不能超过产权的剩余期限 21.10 年"),
    ({"rate": "0"}, "rate", "须大于 0"),
    ({"rate": "1.5"}, "rate", "须在 0 到 1 之间"),
    ({"rate": "0.061234567"}, "rate", "最多 8 位小数"),
    ({"annual_net_income": "abc"}, "annual_net_income", "不是有效的小数"),
    ({"method": "cost"}, "method", "请从列表中选择"),
])
def test_request_errors_are_at_the_field_in_chinese(as_appraiser, db, parties, reference, changes, field, message):
    right = right_of(db, parties["household"])
    resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation", **changes})
    assert resp.status_code == 422
    assert message in page(resp).error_of(field)
    assert count(db, Valuation) == 0


def test_a_method_the_kind_does_not_take_is_refused_by_the_service_at_the_method(as_appraiser, db, parties,
                                                                                 reference, monkeypatch):
    from finplat.valuation import views
    right = right_of(db, parties["household"])
    # the page offering a method the service refuses (as if the two disagreed): the refusal is at the method
    monkeypatch.setattr(views, "METHODS_BY_KIND", {**views.METHODS_BY_KIND,
                                                   "land_management": ("income_capitalisation", "cost")})
    resp = request_page(as_appraiser, right.id, {"method": "cost", "replacement_cost_per_m2": "1000.00"})
    assert resp.status_code == 422
    assert page(resp).error_of("method") == "土地经营权只能采用收益还原法或市场比较法评估"


def test_market_comparison_reads_the_comparables_one_a_line(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    resp = request_page(as_appraiser, right.id, {"method": "market_comparison", "comparables": COMPARABLES})
    valuation = only_valuation(db)
    assert location(resp) == f"/valuation/{valuation.id}"
    assert [(Decimal(c["price"]), Decimal(c["area"]), [Decimal(f) for f in c["factors"]])
            for c in valuation.inputs["comparables"]] == [
        (Decimal("300000.00"), Decimal("100.00"), [Decimal("1.02"), Decimal("0.98"), Decimal("1.00")]),
        (Decimal("320000.00"), Decimal("100.00"), [Decimal("1.00"), Decimal("1.00"), Decimal("1.00")]),
        (Decimal("280000.00"), Decimal("100.00"), [Decimal("1.05"), Decimal("1.00"), Decimal("1.00")])]
    assert valuation.input_sources == {"comparables": "appraiser", "area": "registry"}
    # unit prices x factors: 2,998.80, 3,200.00, 2,940.00; mean 3,046.26666667 x 30 mu = 91,388.00
    assert valuation.value == Decimal("91388.00")
    report = page(as_appraiser.get(location(resp)))
    assert "300,000.00" in report.by_id["comparables"].text and "1.02 × 0.98 × 1.00" in report.by_id["comparables"].text
    figures = report.by_id["comparable-figures"].text
    assert "2,998.80" in figures and "0.99960000" in figures and "3,200.00" in figures
    assert "平均修正单价（元） 3,046.27" in report.by_id["calculation"].text
    assert report.by_id["input-area"].text == "评估对象面积 30.00 亩 登记簿"


@pytest.mark.parametrize("comparables, message", [
    ("300000.00,100.00,1.02 0.98 1.00\n320000.00,100.00\n", "第 2 行须为“价格,面积,因素1 因素2 …”"),
    ("300000.00,100.00,1.02\n三十万,100.00,1.00\n", "第 2 行：“三十万”不是数字"),
    ("300000.00,100.00,1.02\n\n320000.00,0,1.00\n280000.00,100.00,1.05\n", "第 3 行面积：须大于 0"),
    ("300000.00,100.00,1.02\n320000.00,100.00,1.001\n", "至少需要三个可比实例"),
    ("300000.00,100.00,1.02\n320000.00,100.00,1.0\n280000.00,100.00,1.05 1.123456789\n", "第 3 行修正系数第 2 个：最多 8 位小数"),
    ("", "请填写至少三个可比交易实例"),
])
def test_comparables_errors_name_the_line(as_appraiser, db, parties, reference, comparables, message):
    right = right_of(db, parties["household"])
    resp = request_page(as_appraiser, right.id, {"method": "market_comparison", "comparables": comparables})
    assert resp.status_code == 422
    assert message in page(resp).error_of("comparables")
    assert count(db, Valuation) == 0


def test_the_method_switches_without_javascript(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    path = f"/valuation/new?right_id={right.id}"
    shown = page(as_appraiser.get(path))
    assert "comparables" not in shown.by_id and "annual_net_income" in shown.by_id
    assert shown.by_id["switch"].attrs["name"] == "switch"
    resp = post_form(as_appraiser, path, {"method": "market_comparison", "shown": "income_capitalisation",
                                          "rate": "0.05"})
    assert resp.status_code == 200 and count(db, Valuation) == 0
    switched = page(resp)
    assert "comparables" in switched.by_id and "annual_net_income" not in switched.by_id
    assert switched.by_id["shown"].attrs["value"] == "market_comparison"
    assert not switched.field_errors()
    resp = post_form(as_appraiser, path, {"method": "income_capitalisation", "shown": "income_capitalisation",
                                          "switch": "1"})
    assert resp.status_code == 200 and count(db, Valuation) == 0
    assert "comparables" in page(as_appraiser.get(path + "&method=market_comparison")).by_id


def test_a_shareholding_is_valued_through_the_form(as_appraiser, db, parties):
    collective, household = parties["collective"], parties["household"]
    db.session.add(ShareRegister(collective_id=collective.id, total_shares=1000))
    db.session.flush()
    holding = Shareholding(collective_id=collective.id, member_id=household.id, shares=250)
    db.session.add_all([holding, CollectiveNetAssets(collective_id=collective.id, net_assets=Decimal("3600000.00"),
                                                     effective_date=IN_FORCE)])
    db.session.commit()
    path = f"/valuation/new?shareholding_id={holding.id}"
    shown = page(as_appraiser.get(path))
    assert "宅科村股份经济合作社" in shown.text and "250 股（总股数 1000）" in shown.text
    assert [o.attrs["value"] for o in shown.by_id["method"].find_all("option")] == ["share_nav", "income_capitalisation"]
    resp = post_form(as_appraiser, path, {"method": "share_nav"})
    valuation = only_valuation(db)
    assert location(resp) == f"/valuation/{valuation.id}"
    assert (valuation.shareholding_id, valuation.value) == (holding.id, Decimal("900000.00"))
    report = page(as_appraiser.get(location(resp)))
    assert "900,000.00 元" in report.by_id["value"].text and "每股净资产（元/股） 3,600.00" in report.text
    assert "集体经济组织净资产" in report.by_id["references"].text


# --- certifying

def test_certify_through_the_report(as_appraiser, db, parties, reference, appraiser_user):
    right = right_of(db, parties["household"])
    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    report = page(as_appraiser.get(f"/valuation/{valuation.id}"))
    assert [b.text for b in report.by_id["record"].find_all("button")] == ["认证"]

    resp = certify(as_appraiser, valuation.id)
    assert location(resp) == f"/valuation/{valuation.id}"
    db.session.expire_all()
    saved = db.session.get(Valuation, valuation.id)
    assert (saved.status, saved.certified_on, saved.valid_until, saved.certified_by_id) == \
        ("certified", date(2026, 11, 23), date(2027, 11, 22), appraiser_user.id)
    assert count(db, AuditRecord, AuditRecord.action == "valuation.certified") == 1
    report = page(as_appraiser.get(f"/valuation/{valuation.id}"))
    assert "已认证：评估价值 424,532.17 元，有效期至 2027-11-22" in report.text
    assert report.by_id["status"].text == "已认证" and report.by_id["valid-until"].text == "2027-11-22"
    assert report.by_id["certified-on"].text == "2026-11-23" and appraiser_user.username in report.by_id["record"].text
    assert report.by_id["record"].find_all("button") == []

    resp = certify(as_appraiser, valuation.id)  # posted again: a conflict, in Chinese on the page
    assert resp.status_code == 409
    assert page(resp).form_alert() == "该评估已认证：只有草稿可以认证"


def test_a_newer_certified_valuation_links_the_one_it_supersedes(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    ids = []
    for rate in ("0.06", "0.05"):
        resp = request_page(as_appraiser, right.id, {"method": "income_capitalisation", "rate": rate})
        ids.append(int(location(resp).rsplit("/", 1)[1]))
        assert location(certify(as_appraiser, ids[-1])) == f"/valuation/{ids[-1]}"
    old = page(as_appraiser.get(f"/valuation/{ids[0]}"))
    assert old.by_id["status"].text == "已被取代"
    link = [a for a in old.by_id["record"].find_all("a") if a.attrs["href"] == f"/valuation/{ids[1]}"]
    assert link and link[0].text == f"由评估 {ids[1]} 取代"


def test_an_expired_certification_is_a_403_shown_on_the_report(as_appraiser, db, parties, reference, agency):
    right = right_of(db, parties["household"])
    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    agency.certified_until = date(2026, 11, 22)
    db.session.commit()
    resp = certify(as_appraiser, valuation.id)
    assert resp.status_code == 403
    assert page(resp).form_alert() == "评估机构山东鲁信资产评估有限公司的资质已于 2026-11-22 到期，不能认证"
    db.session.expire_all()
    assert db.session.get(Valuation, valuation.id).status == "draft"


def test_another_agency_gets_404_on_a_draft(as_appraiser, other_appraiser, as_officer, db, parties, reference):
    right = right_of(db, parties["household"])
    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    token = csrf_token(other_appraiser.get("/").get_data(as_text=True))
    assert other_appraiser.get(f"/valuation/{valuation.id}").status_code == 404
    assert other_appraiser.post(f"/valuation/{valuation.id}/certify",
                                data={"certify-csrf_token": token}).status_code == 404
    assert as_officer.get(f"/valuation/{valuation.id}").status_code == 404
    assert f"/valuation/{valuation.id}" not in other_appraiser.get("/valuation/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Valuation, valuation.id).status == "draft"


def test_a_loan_officer_reads_a_certified_valuation_but_may_not_request(as_appraiser, as_officer, db, parties,
                                                                         reference):
    right = right_of(db, parties["household"])
    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    certify(as_appraiser, valuation.id)
    report = page(as_officer.get(f"/valuation/{valuation.id}"))
    assert report.by_id["value"].text == "424,532.17 元" and report.by_id["status"].text == "已认证"
    assert report.by_id["record"].find_all("button") == [] and "山东鲁信资产评估有限公司" in report.by_id["record"].text
    assert as_officer.get(f"/valuation/new?right_id={right.id}").status_code == 403
    token = csrf_token(as_officer.get("/").get_data(as_text=True))
    resp = as_officer.post(f"/valuation/new?right_id={right.id}", data={"method": "income_capitalisation",
                                                                      "csrf_token": token})
    assert resp.status_code == 403
    resp = as_officer.post(f"/valuation/{valuation.id}/certify", data={"certify-csrf_token": token})
    assert resp.status_code == 403
    assert count(db, Valuation) == 1


def test_posts_need_csrf(as_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    resp = post_form(as_appraiser, f"/valuation/new?right_id={right.id}", {"method": "income_capitalisation"},
                     token=False)
    assert resp.status_code == 400 and count(db, Valuation) == 0
    assert "表单已过期或不是从本站提交的" in page(resp).text
    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    assert certify(as_appraiser, valuation.id, token=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(Valuation, valuation.id).status == "draft"
    assert post_form(as_appraiser, "/valuation/preview", {"method": "share_nav"}, token=False).status_code == 400


def test_pages_need_login(client, db):
    for path in ("/valuation/", "/valuation/new?right_id=1", "/valuation/preview", "/valuation/1"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- the right's page and the list

def test_the_right_page_lists_its_valuations(as_appraiser, as_officer, other_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    path = f"/registry/rights/{right.id}"
    card = page(as_appraiser.get(path)).by_id["valuations"]
    assert "尚无评估" in card.text
    assert [a.attrs["href"] for a in card.find_all("a")] == [f"/valuation/new?right_id={right.id}"]

    request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    valuation = only_valuation(db)
    card = page(as_appraiser.get(path)).by_id["valuations"]
    for expected in (f"评估 {valuation.id}", "草稿", "收益还原法", "424,532.17", "申请评估"):
        assert expected in card.text, expected
    assert "尚无评估" in page(as_officer.get(path)).by_id["valuations"].text  # a draft is the agency's own
    assert "尚无评估" in page(other_appraiser.get(path)).by_id["valuations"].text

    certify(as_appraiser, valuation.id)
    card = page(as_officer.get(path)).by_id["valuations"]
    for expected in ("已认证", "2026-11-23", "2027-11-22", "424,532.17"):
        assert expected in card.text, expected
    assert [a.attrs["href"] for a in card.find_all("a")] == [f"/valuation/{valuation.id}"]  # no 申请评估


def test_the_list_shows_what_each_user_may_see(as_appraiser, as_officer, other_appraiser, db, parties, reference):
    right = right_of(db, parties["household"])
    first = request_page(as_appraiser, right.id, {"method": "income_capitalisation"})
    certify(as_appraiser, int(location(first).rsplit("/", 1)[1]))
    second = request_page(as_appraiser, right.id, {"method": "income_capitalisation", "rate": "0.05"})
    ids = [int(location(resp).rsplit("/", 1)[1]) for resp in (first, second)]

    def listed(client, query=""):
        return [a.attrs["href"] for a in page(client.get(f"/valuation/{query}")).by_id["valuations"].find_all("a")]

    assert listed(as_appraiser) == [f"/valuation/{ids[1]}", f"/valuation/{ids[0]}"]  # newest first
    assert listed(as_officer) == [f"/valuation/{ids[0]}"] == listed(other_appraiser)
    assert listed(as_appraiser, "?status=draft") == [f"/valuation/{ids[1]}"]
    rows = page(as_appraiser.get("/valuation/")).by_id["valuations"].text
    assert right.certificate_no in rows and "已认证" in rows and "草稿" in rows and "2027-11-22" in rows


def test_nav_links_for_appraisers(as_appraiser, as_officer):
    hrefs = {a.attrs.get("href") for a in page(as_appraiser.get("/")).find_all("a")}
    assert {"/valuation/", "/valuation/preview"} <= hrefs
    hrefs = {a.attrs.get("href") for a in page(as_officer.get("/")).find_all("a")}
    assert "/valuation/preview" not in hrefs


# --- the calculator

def test_preview_gives_the_journey_figure_and_records_nothing(as_officer, db):
    before = count(db, AuditRecord)
    resp = post_form(as_officer, "/valuation/preview", {"method": "income_capitalisation",
                                                        "annual_net_income": "40000.00", "rate": "0.06", "years": "20"})
    assert resp.status_code == 200
    shown = page(resp)
    # 40,000 x (1 - 1.06^-20) / 0.06 = 40,000 x 11.46992122 = 458,796.85
    assert shown.by_id["value"].text == "458,796.85 元"
    assert "年金现值系数 [1 − 1 ÷ (1 + r)^n] ÷ r 11.46992122" in shown.by_id["result"].text
    assert "永续收益价值 A ÷ r（元） 666,666.67" in shown.by_id["result"].text
    low, high = (Decimal(x.replace(",", "")) for x in shown.by_id["range"].text.split(" – "))
    assert low < Decimal("458796.85") < high
    assert shown.by_id["years"].attrs["value"] == "20"  # the inputs stay for another try
    assert count(db, Valuation) == 0 and count(db, AuditRecord) == before


@pytest.mark.parametrize("data, field, message", [
    ({"annual_net_income": "40000.00", "rate": "0", "years": "20"}, "rate", "须大于 0"),
    ({"annual_net_income": "40000.00", "rate": "0.06", "years": ""}, "years", "必填"),
    ({"annual_net_income": "-1", "rate": "0.06", "years": "20"}, "annual_net_income", "须在 0 到"),
])
def test_preview_errors_are_at_the_field(as_officer, db, data, field, message):
    resp = post_form(as_officer, "/valuation/preview", {"method": "income_capitalisation", **data})
    assert resp.status_code == 422
    shown = page(resp)
    assert message in shown.error_of(field)
    assert "result" not in shown.by_id


def test_preview_of_each_method(as_officer, db):
    cases = {
        # 1,800 x 180.50 x (1 - 0.98 x 18 / 50) + 60,000 = 270,275.28
        "cost": ({"replacement_cost_per_m2": "1800.00", "floor_area": "180.50", "structure": "brick_concrete",
                  "age_years": "18", "land_value": "60000.00"}, "270,275.28", "折旧率 d 0.35280000"),
        # 800 x 0.99690924 x 5,000 = 3,987,636.97
        "land_price_coefficient": ({"base_price": "800.00", "area": "5000.00", "factor_corrections": "",
                                    "rate": "0.06", "remaining_years": "49.10", "max_years": "50"},
                                   "3,987,636.97", "年期修正系数 K 0.99690924"),
        "market_comparison": ({"comparables": COMPARABLES, "area": "30.00"}, "91,388.00", "平均修正单价（元） 3,046.27"),
        "share_nav": ({"net_assets": "3600000.00", "total_shares": "1000", "shares": "250"}, "900,000.00",
                      "每股净资产（元/股） 3,600.00"),
    }
    for method, (inputs, value, figure) in cases.items():
        form = page(as_officer.get(f"/valuation/preview?method={method}"))
        assert form.by_id["method"].find_all("option", selected="")[0].attrs["value"] == method
        resp = post_form(as_officer, "/valuation/preview", {"method": method, "shown": method, **inputs})
        assert resp.status_code == 200, page(resp).field_errors()
        shown = page(resp)
        assert shown.by_id["value"].text == f"{value} 元", method
        assert figure in shown.by_id["result"].text, method


def test_preview_factor_corrections_and_structure_errors(as_officer, db):
    resp = post_form(as_officer, "/valuation/preview", {
        "method": "land_price_coefficient", "base_price": "800.00", "area": "5000.00", "factor_corrections": "0.02 x",
        "rate": "0.06", "remaining_years": "60", "max_years": "50"})
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.error_of("factor_corrections") == "第 2 项：不是有效的小数。"
    resp = post_form(as_officer, "/valuation/preview", {
        "method": "land_price_coefficient", "base_price": "800.00", "area": "5000.00", "factor_corrections": "-0.6 -0.5",
        "rate": "0.06", "remaining_years": "60", "max_years": "50"})
    shown = page(resp)
    assert shown.error_of("factor_corrections") == "各项修正系数之和须大于 -1"
    assert shown.error_of("remaining_years") == "不能超过该用途的最高出让年限"
    resp = post_form(as_officer, "/valuation/preview", {
        "method": "cost", "replacement_cost_per_m2": "1800.00", "floor_area": "100", "structure": "",
        "age_years": "1", "land_value": "0"})
    assert resp.status_code == 422 and page(resp).error_of("structure") == "必填"


def test_a_farmer_may_not_use_the_calculator(browser, make_user, parties, db):
    farmer = browser(make_user("farmer", username="13700000001", party_id=parties["household"].id))
    assert farmer.get("/valuation/preview").status_code == 403
    assert farmer.get("/valuation/").status_code == 200
