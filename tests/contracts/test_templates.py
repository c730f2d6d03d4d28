"""Contract templates: every kind renders its sample context with what a contract must say, values come out
escaped, the sandbox and StrictUndefined hold, and the schemas refuse what no contract may say. HTML only:
the PDF, its fonts and its signature are tested with the renderer."""
import copy
import json
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError, UndefinedError
from marshmallow import ValidationError

import finplat
from finplat.contracts import templates
from finplat.contracts.context import KINDS, SECURITY_KINDS, build_context, sample_context, sample_data
from finplat.contracts.templates import cn_date, environment, money, render_html, templates_dir
from finplat.registry.identity import id_number_error

FULL_ID = sample_data("loan")["borrower"]["id_number"]  # 张建国's (made-up, valid) resident ID number
CLAUSE = re.compile(r"第[一二三四五六七八九十]+条")


def test_the_sample_borrower_has_a_valid_full_id_number():
    assert id_number_error(FULL_ID, today=date(2026, 11, 23)) is None


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_its_sample(kind):
    ctx = sample_context(kind)
    html = render_html(kind, ctx)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert ctx["title"] in html and ctx["contract_no"] in html
    # parties, the borrower's ID number masked and never in full
    assert "济南农村商业银行" in html
    assert ctx["borrower"]["name"] in html
    assert "张建国" in html  # the demo borrower (of the collective's own loan: its legal representative)
    assert re.search(r"\A[0-9]{6}\*{8}[0-9]{3}[0-9X]\Z", ctx["borrower"]["id_number"]) or ctx["borrower"]["kind"] != "household"
    assert ctx["borrower"]["id_number"] in html
    for number in {sample_data(kind)["borrower"].get("id_number"), FULL_ID} - {None}:
        assert number not in html
        assert number not in json.dumps(ctx, ensure_ascii=False)
    # the amount in figures and in capitals, the rate as LPR plus spread
    assert "256,000.00" in html
    assert "人民币贰拾伍万陆仟元整" in html
    assert "3.00% + 80 个基点 = 3.80%" in html
    assert "等额本息" in html
    # signatures and the place and date of signing
    assert "（盖章）" in html
    assert "2026年11月23日" in html


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "schedule_annex"])
def test_contracts_have_numbered_clauses_down_to_dispute_resolution(kind):
    html = render_html(kind, sample_context(kind))
    headings = re.findall(r"<h2>(第[一二三四五六七八九十]+条)　([^<]+)</h2>", html)
    assert headings[0][0] == "第一条"
    numbers = [n for n, _ in headings]
    assert len(numbers) == len(set(numbers)) >= 10
    assert any(title == "争议解决" for _, title in headings)
    assert "住所地有管辖权的人民法院提起诉讼" in html


def test_loan_contract_terms():
    html = render_html("loan", sample_context("loan"))
    for text in ("第一条　借款金额", "借款用途", "借款期限", "借款利率和计息", "还款方式", "违约责任",
                 "36个月", "2029年11月23日", "2026年10月20日公布的1年期 LPR 3.00%",
                 "罚息利率为合同利率上浮 50%", "5.70%", "附件一《还款计划表》",
                 "JNRCB-2026-DY-000123", "JNRCB-2026-BZ-000123", "月利率 = 年利率 ÷ 12"):
        assert text in html, text


@pytest.mark.parametrize("kind", SECURITY_KINDS)
def test_security_contracts_describe_their_collateral(kind):
    ctx = sample_context(kind)
    html = render_html(kind, ctx)
    assert f"《借款合同》（合同编号：{ctx['loan']['contract_no']}）" in html  # the main contract, by number
    for item in ctx["collateral"]:
        assert item["certificate_no"] in html
        assert f"人民币 {money(item['certified_value'])} 元" in html
        assert cn_date(item["valuation_date"]) in html
        assert item["appraisal_agency"] in html
        assert item["area_text"] in html
    assert ctx["max_secured_amount_capital"] in html  # the maximum secured, in capitals
    assert ctx["registration_authority"] in html
    for consent in ctx["consents"]:
        assert consent["kind_text"] in html and consent["document_ref"] in html
    assert "担保范围" in html


def test_land_mortgage_sample():
    ctx = sample_context("land_mortgage")
    html = render_html("land_mortgage", ctx)
    item = ctx["collateral"][0]
    assert item["certificate_no"] == "370112宅科村-land_management-001"
    assert item["area_text"] == "12.50 亩"
    assert "380,000.00" in html and "山东鲁信资产评估有限公司" in html
    assert "发包方（村集体经济组织）备案" in html
    assert "抵押权自本合同生效时设立" in html
    assert "不改变土地所有权性质和农业用途" in html


def test_kind_specific_clauses():
    ctx = sample_context("house_mortgage")  # a third party's house secures 张建国's loan
    assert (ctx["third_party"], ctx["mortgagor"]["name"], ctx["borrower"]["name"]) == (True, "李秀英", "张建国")
    house = render_html("house_mortgage", ctx)
    assert "抵押人（乙方）：" in house and "债务人：" in house and "为确保债务人张建国" in house
    assert "房屋共有人书面同意" in house and "另有稳定居所" in house and "抵押权自登记时设立" in house
    land = render_html("construction_land_mortgage", sample_context("construction_land_mortgage"))
    assert "村民会议（村民代表会议）决议" in land and "新增的建筑物不属于抵押物" in land
    assert "统一社会信用代码" in land  # the collective borrows: its code, and its legal representative
    forest = render_html("forest_mortgage", sample_context("forest_mortgage"))
    assert "森林火灾保险" in forest and "PICC-FIRE-2026-001" in forest and "覆盖主合同借款期限" in forest
    pledge = render_html("share_pledge", sample_context("share_pledge"))
    assert "出质人（乙方）" in pledge and "质权自办理出质登记时设立" in pledge
    assert "333 股" in pledge and "本集体经济组织的其他成员" in pledge


def test_guarantee_sample():
    ctx = sample_context("guarantee")
    html = render_html("guarantee", ctx)
    assert ctx["guarantor"]["name"] == "山东省农业发展信贷担保有限责任公司"
    assert ctx["guarantee"]["amount"] == "204800.00" and ctx["guarantee"]["ratio"] == "80%"
    for text in ("连带责任保证", "保证期间为主合同约定的债务履行期限届满之日起三年", "204,800.00",
                 "人民币贰拾万零肆仟捌佰元整", "80%", "保证人（乙方）", ctx["guarantor"]["id_number"]):
        assert text in html, text


def test_schedule_annex_sample_adds_up():
    ctx = sample_context("schedule_annex")
    rows = ctx["schedule"]
    assert len(rows) == 36
    assert sum(Decimal(r["principal"]) for r in rows) == Decimal("256000.00")
    assert rows[-1]["balance"] == "0.00" and rows[-1]["due_date"] == "2029-11-23"
    assert {r["payment"] for r in rows[:-1]} == {"7535.39"}
    assert ctx["schedule_totals"] == {
        "principal": "256000.00",
        "interest": f"{sum(Decimal(r['interest']) for r in rows)}",
        "payment": f"{sum(Decimal(r['payment']) for r in rows)}"}
    html = render_html("schedule_annex", ctx)
    assert html.count("<tr><td class=\"center\">") == 36
    assert "合计" in html and money(ctx["schedule_totals"]["interest"]) in html
    assert "7,535.39" in html and "249,275.28" in html


def test_html_is_self_contained():
    for kind in KINDS:
        html = render_html(kind, sample_context(kind)).lower()
        assert "<style>" in html and "@page" in html and "第 \" counter(page) \" 页 共 \" counter(pages) \" 页" in html
        for forbidden in ("http:", "https:", "url(", "@import", "@font-face", "<img", "<link", "<script", "src="):
            assert forbidden not in html, (kind, forbidden)


def test_values_are_escaped():
    data = sample_data("loan")
    data["borrower"]["name"] = "<script>alert(1)</script>"
    data["loan"]["purpose"] = "购买农资 & \"化肥\""
    html = render_html("loan", build_context("loan", data))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "购买农资 &amp; &#34;化肥&#34;" in html


def test_sandbox_refuses_unsafe_attributes():
    env = environment()
    for source in ("{{ ''.__class__ }}", "{{ ''.__class__.__mro__ }}", "{{ lender.__class__ }}",
                   "{{ cycler.__init__.__globals__ }}"):
        with pytest.raises(SecurityError):
            env.from_string(source).render(lender={})
    with pytest.raises(SecurityError):  # the immutable sandbox: a template cannot change its context
        env.from_string("{{ lender.update({'name': 'x'}) }}").render(lender={"name": "济南农村商业银行"})


def test_strict_undefined():
    with pytest.raises(UndefinedError):
        environment().from_string("{{ missing }}").render()
    ctx = sample_context("loan")
    del ctx["lender"]
    with pytest.raises(UndefinedError):
        render_html("loan", ctx)
    ctx = sample_context("land_mortgage")
    del ctx["collateral"][0]["certificate_no"]
    with pytest.raises(UndefinedError):
        render_html("land_mortgage", ctx)


def test_render_refuses_a_wrong_kind_or_context():
    with pytest.raises(ValueError):
        render_html("mortgage", sample_context("loan"))
    with pytest.raises(ValueError):
        render_html("guarantee", sample_context("loan"))


def test_templates_come_from_the_folder_create_app_uses(tmp_path, monkeypatch):
    assert templates_dir() == Path(finplat._templates_dir()) / "contracts"
    assert (templates_dir() / "base.html").is_file()
    # an installed wheel: templates/ inside the package (pyproject force-includes it as finplat/templates)
    package = tmp_path / "site-packages" / "finplat"
    shutil.copytree(templates_dir(), package / "templates" / "contracts")
    monkeypatch.setattr(finplat, "PACKAGE_DIR", package)
    monkeypatch.setattr(templates, "_env", None)
    assert templates_dir() == package / "templates" / "contracts"
    monkeypatch.chdir(tmp_path)
    assert "借款合同" in render_html("loan", sample_context("loan"))


def test_filters():
    assert money("256000.00") == "256,000.00" and money("0.05") == "0.05"
    assert money("9999999999999999.99") == "9,999,999,999,999,999.99"
    assert cn_date("2026-01-05") == "2026年1月5日"
    with pytest.raises(TypeError):
        money(1.5)


# --- schemas: what build_context refuses

def errors(kind, data):
    with pytest.raises(ValidationError) as caught:
        build_context(kind, data)
    return caught.value.messages


def test_missing_amount_is_refused():
    data = sample_data("loan")
    del data["loan"]["amount"]
    assert "amount" in errors("loan", data)["loan"]


@pytest.mark.parametrize("amount", ["-256000.00", "0.00", "256000.001", "abc", 256000.5])
def test_bad_amounts_are_refused(amount):
    data = sample_data("loan")
    data["loan"]["amount"] = amount
    assert "amount" in errors("loan", data)["loan"]


def test_unknown_kind_is_refused():
    assert "kind" in errors("mortgage", sample_data("loan"))
    with pytest.raises(ValidationError):
        sample_context("pledge")


def test_unknown_fields_are_refused():
    data = sample_data("loan")
    data["loan"]["discount"] = "0.01"
    assert "discount" in errors("loan", data)["loan"]


def test_a_full_id_number_is_masked_and_a_masked_one_kept():
    data = sample_data("loan")
    assert build_context("loan", data)["borrower"]["id_number"] == FULL_ID[:6] + "********" + FULL_ID[-4:]
    data["borrower"]["id_number"] = FULL_ID[:6] + "********" + FULL_ID[-4:]
    assert build_context("loan", data)["borrower"]["id_number"] == FULL_ID[:6] + "********" + FULL_ID[-4:]
    data["borrower"]["id_number"] = "not an id"
    assert "id_number" in errors("loan", data)["borrower"]
    del data["borrower"]["id_number"]
    assert "id_number" in errors("loan", data)["borrower"]


def test_rate_terms():
    ctx = sample_context("loan")["loan"]
    assert (ctx["lpr_rate"], ctx["spread_bps"], ctx["annual_rate"]) == ("3.00%", 80, "3.80%")
    data = sample_data("loan")
    data["loan"].update(lpr_rate="0.0345", spread_bps=50, penalty_factor="1.30")
    loan = build_context("loan", data)["loan"]
    assert loan["rate_text"] == "3.45% + 50 个基点 = 3.95%"
    assert loan["penalty_text"] == "罚息利率为合同利率上浮 30%"
    data["loan"].update(spread_bps=-20)
    assert build_context("loan", data)["loan"]["rate_text"] == "3.45% - 20 个基点 = 3.25%"
    data["loan"].update(lpr_tenor="5y")  # a 36-month loan prices from the 1-year LPR
    assert "lpr_tenor" in errors("loan", data)["loan"]
    data["loan"].update(lpr_tenor="1y", penalty_factor="2.00")  # the uplift is 30 % to 50 %
    assert "penalty_factor" in errors("loan", data)["loan"]


def test_repayment_methods_in_chinese():
    data = sample_data("loan")
    expected = {"equal_instalment": "等额本息", "equal_principal": "等额本金",
                "monthly_interest_bullet": "按月付息到期还本", "quarterly_interest_bullet": "按季付息到期还本",
                "lump_sum": "到期一次还本付息"}
    for method, text in expected.items():
        data["loan"]["repayment_method"] = method
        ctx = build_context("loan", data)
        assert ctx["loan"]["repayment_method_text"] == text
        assert text in render_html("loan", ctx)
    data["loan"]["repayment_method"] = "balloon"
    assert "repayment_method" in errors("loan", data)["loan"]


def test_arbitration_when_a_commission_is_given():
    data = sample_data("guarantee")
    data["arbitration_commission"] = "济南仲裁委员会"
    ctx = build_context("guarantee", data)
    assert ctx["dispute"]["method"] == "arbitration"
    html = render_html("guarantee", ctx)
    assert "提交济南仲裁委员会" in html and "人民法院" not in html


def test_security_contract_refusals():
    data = sample_data("land_mortgage")
    data["loan"]["contract_no"] = None
    assert "loan" in errors("land_mortgage", data)  # the main contract must be named
    data = sample_data("land_mortgage")
    data["collateral"][0]["kind"] = "house"
    assert "collateral" in errors("land_mortgage", data)
    data = sample_data("land_mortgage")
    data["collateral"][0]["term_end"] = "2029-06-30"  # the right ends before the loan matures
    assert "collateral" in errors("land_mortgage", data)
    data = sample_data("land_mortgage")
    data["collateral"] = []
    assert "collateral" in errors("land_mortgage", data)
    data = sample_data("forest_mortgage")
    del data["insurance"]
    assert "insurance" in errors("forest_mortgage", data)
    data = sample_data("forest_mortgage")
    data["insurance"]["insured_until"] = "2029-06-30"  # does not cover the loan term
    assert "insurance" in errors("forest_mortgage", data)


def test_third_party_mortgagor_and_maximum_secured():
    data = sample_data("land_mortgage")
    data["mortgagor"] = copy.deepcopy(data["borrower"])
    data["mortgagor"].update(name="张小明", id_number=FULL_ID[:6] + "********" + "0021")
    data["max_secured_amount"] = "300000.00"
    ctx = build_context("land_mortgage", data)
    assert ctx["third_party"] is True and ctx["mortgagor"]["name"] == "张小明"
    html = render_html("land_mortgage", ctx)
    assert "债务人：" in html and "抵押人（乙方）：" in html
    assert "人民币叁拾万元整" in html and "300,000.00" in html


def test_guarantee_refusals():
    data = sample_data("guarantee")
    data["guarantee"]["ratio"] = "1.20"
    assert "guarantee" in errors("guarantee", data)
    data = sample_data("guarantee")
    data["guarantee"]["amount"] = "300000.00"
    assert "guarantee" in errors("guarantee", data)
    data = sample_data("guarantee")
    del data["guarantor"]
    assert "guarantor" in errors("guarantee", data)
    data = sample_data("guarantee")
    data["guarantor"]["uscc"] = "91370000MA3C2B4D5A"  # wrong check character
    assert "uscc" in errors("guarantee", data)["guarantor"]


def test_a_schedule_that_does_not_add_up_is_refused():
    data = sample_data("schedule_annex")
    data["schedule"][3]["principal"] = "6788.82"
    assert "schedule" in errors("schedule_annex", data)
    data = sample_data("schedule_annex")
    data["schedule"].pop()
    assert "schedule" in errors("schedule_annex", data)
    data = sample_data("schedule_annex")
    data["schedule"][5]["payment"] = "7535.40"
    assert "schedule" in errors("schedule_annex", data)
