"""The registrar's pages: registering parties and rights through forms, a right's page with its consents,
liens, history and freeze/unfreeze, search, the share register, and a farmer's own rights."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat.registry import right_service
from finplat.registry.identity import id_check_char
from finplat.registry.models import Consent, HouseholdMember, Lien, Party, Right, RightEvent, ShareRegister, Shareholding
from tests.conftest import csrf_token
from tests.web.pages import location, page, post_form

HEAD = "370103198503070014"[:17]
HEAD = HEAD + id_check_char(HEAD)
SPOUSE = "37010319870911002"
SPOUSE = SPOUSE + id_check_char(SPOUSE)
CHILD = "37010320100101003"
CHILD = CHILD + id_check_char(CHILD)


def count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def form_token(html, prefix):
    match = re.search(rf'id="{prefix}-csrf_token" name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no {prefix} CSRF token"
    return match.group(1)


def post_prefixed(client, page_path, action, prefix, data):
    """POST a form of the page at `page_path` whose fields carry `prefix`, with that form's CSRF token."""
    token = form_token(client.get(page_path).get_data(as_text=True), prefix)
    return client.post(action, data={**{f"{prefix}-{k}": v for k, v in data.items()},
                                     f"{prefix}-csrf_token": token})


@pytest.fixture
def places(make_party):
    collective = make_party("collective", name="宅科村股份经济合作社", village="宅科村")
    household = make_party("household", name="孙七", collective_id=collective.id, village="宅科村")
    other = make_party("household", name="周八", collective_id=collective.id, village="宅科村")
    enterprise = make_party("enterprise", name="泉源农业开发有限公司", village=None)
    return {"collective": collective, "household": household, "other": other, "enterprise": enterprise}


@pytest.fixture
def registrar(make_user):
    return make_user("registrar")


@pytest.fixture
def as_registrar(client, registrar, login):
    login(registrar)
    return client


def make_right(db, holder, kind="land_management", certificate_no="370103-LM-000001", **extra):
    data = {"kind": kind, "certificate_no": certificate_no, "holder_id": holder.id, "region_code": "370103",
            "area": Decimal("12.50"), "area_unit": "mu", "term_start": None, "term_end": None,
            "attributes": {"land_class": "cropland", "crop": "小麦"}, **extra}
    if kind == "land_management" and "term_start" not in extra:
        from datetime import date
        data["term_start"], data["term_end"] = date(2018, 1, 1), date(2047, 12, 31)
    return right_service.register_right("test", data)


# --- registering parties

def test_register_household_with_members(as_registrar, db, places):
    resp = post_form(as_registrar, "/registry/parties/new", {
        "kind": "household", "name": "王大山", "region_code": "370103", "township": "十六里河街道",
        "village": "宅科村", "id_number": HEAD, "collective_id": str(places["collective"].id),
        "members_text": f"王芳,{SPOUSE},配偶\n王小明，{CHILD}，子\n", "phone": "13700000009"})
    party = db.session.execute(select(Party).where(Party.name == "王大山")).scalar_one()
    assert location(resp) == f"/registry/parties/{party.id}"
    assert (party.kind, party.id_number, party.collective_id) == ("household", HEAD, places["collective"].id)
    assert [(m.name, m.id_number, m.relation) for m in party.members] == [("王芳", SPOUSE, "配偶"), ("王小明", CHILD, "子")]

    shown = page(as_registrar.get(location(resp)))
    assert "已登记主体：王大山" in shown.text
    assert HEAD not in shown.text and f"{HEAD[:6]}********{HEAD[-4:]}" in shown.text


def test_register_enterprise(as_registrar, db):
    from finplat.registry.identity import uscc_check_char
    body = "91370103MA3C00001"
    code = body + uscc_check_char(body)
    resp = post_form(as_registrar, "/registry/parties/new", {
        "kind": "enterprise", "name": "济南丰收农业有限公司", "region_code": "370103", "uscc": code,
        "legal_representative": "李四"})
    assert resp.status_code == 302
    party = db.session.execute(select(Party).where(Party.uscc == code)).scalar_one()
    assert (party.kind, party.legal_representative) == ("enterprise", "李四")


@pytest.mark.parametrize("changes, field, message", [
    ({"id_number": HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")}, "id_number", "校验码应为"),
    ({"id_number": "3701031985"}, "id_number", "须为 18 位，现为 10 位"),
    ({"id_number": ""}, "id_number", "农户须填写户主身份证号"),
    ({"collective_id": ""}, "collective_id", "农户须填写所属村集体"),
    ({"members_text": "王芳 " + SPOUSE}, "members_text", "第 1 行须为“姓名,身份证号,关系”三项"),
    ({"members_text": f"王芳,{SPOUSE[:-1]}Y,配偶"}, "members_text", "第 1 人：前 17 位须为数字"),
    ({"members_text": f"王芳,{HEAD},配偶"}, "members_text", "第 1 人：与本次填写的另一人号码重复"),
    ({"region_code": "3701"}, "region_code", "须为六位数字"),
    ({"uscc": "91370103MA3C000011"}, "uscc", "仅村集体经济组织或企业填写此项"),
])
def test_party_errors_are_shown_at_the_field(as_registrar, db, places, changes, field, message):
    before = count(db, Party)
    data = {"kind": "household", "name": "王大山", "region_code": "370103", "village": "宅科村", "id_number": HEAD,
            "collective_id": str(places["collective"].id), **changes}
    resp = post_form(as_registrar, "/registry/parties/new", data)
    assert resp.status_code == 422
    assert message in page(resp).error_of(field)
    assert count(db, Party) == before and count(db, HouseholdMember) == 0


def test_duplicate_id_number_is_named(as_registrar, db, places):
    data = {"kind": "household", "name": "王大山", "region_code": "370103", "village": "宅科村",
            "id_number": places["household"].id_number, "collective_id": str(places["collective"].id)}
    resp = post_form(as_registrar, "/registry/parties/new", data)
    assert resp.status_code == 422
    assert page(resp).error_of("id_number") == "该号码已登记"


# --- registering rights

RIGHTS = {
    "land_management": ({"area_unit": "mu", "term_start": "2018-01-01", "term_end": "2047-12-31"},
                        {"land_class": "cropland", "crop": "小麦"}, "household"),
    "house": ({"area_unit": "m2"}, {"structure": "brick_concrete", "floor_area": "180.50", "year_built": "2008",
                                    "homestead_area": "200"}, "household"),
    "construction_land": ({"area_unit": "m2", "term_start": "2026-01-01", "term_end": "2075-12-31"},
                          {"use": "industrial", "grade": "2"}, "enterprise"),
    "forest": ({"area_unit": "mu", "term_start": "2010-01-01", "term_end": "2069-12-31"},
               {"species": "杨树", "stand_age": "12", "fire_insurance_policy": "PICC-FI-2026-0001",
                "fire_insurance_until": "2027-12-31"}, "collective"),
    "water_facility": ({"area_unit": "m2"}, {"capacity": "5000.00", "build_cost": "380000", "year_built": "2015"},
                       "collective"),
}


@pytest.mark.parametrize("kind", list(RIGHTS))
def test_register_right_of_each_kind(as_registrar, db, places, kind):
    common, attrs, holder = RIGHTS[kind]
    resp = post_form(as_registrar, "/registry/rights/new", {
        "kind": kind, "certificate_no": f"370103-{kind}-0001", "holder_id": str(places[holder].id),
        "region_code": "370103", "area": "30.00", **common, **{f"{kind}__{k}": v for k, v in attrs.items()}})
    right = db.session.execute(select(Right).where(Right.certificate_no == f"370103-{kind}-0001")).scalar_one()
    assert location(resp) == f"/registry/rights/{right.id}"
    assert (right.kind, right.holder_id, right.area, right.status) == (kind, places[holder].id, Decimal("30.00"), "active")
    assert set(right.attributes) == set(attrs)
    assert count(db, RightEvent, RightEvent.right_id == right.id, RightEvent.kind == "registered") == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"land_management__land_class": ""}, "land_management__land_class", "必填"),
    ({"term_end": "2050-01-01"}, "term_end", "耕地最长 30 年：不得晚于 2048-01-01"),
    ({"term_start": ""}, "term_start", "土地经营权须登记期限"),
    ({"area_unit": "m2"}, "area_unit", "土地经营权的面积单位须为亩"),
    ({"area": "0"}, "area", "须大于 0"),
    ({"area": "abc"}, "area", "不是有效的小数"),
    ({"holder_id": "999999"}, "holder_id", "没有这个主体"),
    ({"certificate_no": ""}, "certificate_no", "必填"),
])
def test_right_errors_are_shown_at_the_field(as_registrar, db, places, changes, field, message):
    data = {"kind": "land_management", "certificate_no": "370103-LM-9", "holder_id": str(places["household"].id),
            "region_code": "370103", "area": "30.00", "area_unit": "mu", "term_start": "2018-01-01",
            "term_end": "2047-12-31", "land_management__land_class": "cropland", **changes}
    resp = post_form(as_registrar, "/registry/rights/new", data)
    assert resp.status_code == 422
    assert message in page(resp).error_of(field)
    assert count(db, Right) == 0


def test_house_held_by_enterprise_and_duplicate_certificate(as_registrar, db, places):
    make_right(db, places["household"], certificate_no="DUP-1")
    data = {"kind": "house", "certificate_no": "DUP-1", "holder_id": str(places["enterprise"].id),
            "region_code": "370103", "area": "120", "area_unit": "m2", "house__structure": "simple",
            "house__floor_area": "100", "house__year_built": "2030"}
    resp = post_form(as_registrar, "/registry/rights/new", data)
    assert resp.status_code == 422
    shown = page(resp)
    assert shown.error_of("holder_id") == "农民住房财产权的权利人须为农户，不能是企业"
    assert shown.error_of("house__year_built") == "不能晚于今年"
    resp = post_form(as_registrar, "/registry/rights/new", {**data, "holder_id": str(places["household"].id),
                                                           "house__year_built": "2001"})
    assert resp.status_code == 422 and page(resp).error_of("certificate_no") == "该证书编号已登记"
    assert count(db, Right) == 1


def test_holder_id_is_prefilled_from_the_party_page(as_registrar, places):
    shown = page(as_registrar.get(f"/registry/rights/new?holder_id={places['household'].id}"))
    assert shown.by_id["holder_id"].attrs["value"] == str(places["household"].id)


# --- a right's page

def test_right_page_shows_everything(as_registrar, db, places):
    right = make_right(db, places["household"])
    db.session.add(Lien(kind="mortgage", right_id=right.id, rank=1, secured_amount=Decimal("80000.00"),
                        secures_type="loan", secures_id="L-1", status="released"))
    db.session.commit()
    shown = page(as_registrar.get(f"/registry/rights/{right.id}"))
    text = shown.text
    for expected in ("土地经营权", "370103-LM-000001", "孙七", "正常", "12.50 亩", "耕地", "小麦", "尚无评估",
                     "80,000.00", "已解除", "登记", "test", "2026-11-23", "设定抵押尚缺：集体备案"):
        assert expected in text, expected
    assert shown.by_id["freeze-reason"] is not None and shown.by_id["consent-kind"] is not None


def test_record_consent_through_the_page(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/consents", "consent", {
        "kind": "collective_filing", "party_id": str(places["collective"].id), "document_ref": "宅科村备〔2026〕3号",
        "signed_on": "2026-11-20"})
    assert location(resp) == f"{path}#consents"
    consent = db.session.execute(select(Consent).where(Consent.right_id == right.id)).scalar_one()
    assert (consent.kind, consent.document_ref) == ("collective_filing", "宅科村备〔2026〕3号")
    consents = page(as_registrar.get(path)).by_id["consents"].text
    assert "宅科村备〔2026〕3号" in consents and "宅科村股份经济合作社" in consents


def test_co_owner_consents_name_the_member_on_the_page(as_registrar, db, places, make_member):
    wife = make_member(places["household"], "李梅")
    right = make_right(db, places["household"], kind="house", area_unit="m2", attributes={
        "structure": "brick_concrete", "floor_area": "120.00", "year_built": 2010})
    path = f"/registry/rights/{right.id}"
    options = page(as_registrar.get(path)).by_id["consent-member_id"].find_all("option")
    assert [(o.attrs["value"], o.text) for o in options] == [("", "不适用"), (str(wife.id), "李梅（配偶）")]
    assert "设定抵押尚缺：集体同意书、共有人同意书、其他稳定居所证明" in page(as_registrar.get(path)).text
    data = {"kind": "co_owner", "party_id": str(places["household"].id), "document_ref": "共有人同意书-1",
            "signed_on": "2026-11-20"}
    resp = post_prefixed(as_registrar, path, f"{path}/consents", "consent", data)
    assert resp.status_code == 422 and page(resp).error_of("consent-member_id") == "请选择签署同意书的家庭成员"
    resp = post_prefixed(as_registrar, path, f"{path}/consents", "consent", {**data, "member_id": str(wife.id)})
    assert location(resp) == f"{path}#consents"
    consent = db.session.execute(select(Consent).where(Consent.right_id == right.id)).scalar_one()
    assert (consent.kind, consent.member_id) == ("co_owner", wife.id)
    shown = page(as_registrar.get(path))
    assert "孙七：李梅（配偶）" in shown.by_id["consents"].text
    assert "设定抵押尚缺：集体同意书、其他稳定居所证明" in shown.text


def test_a_transferee_right_names_its_contract_on_the_form(as_registrar, db, places):
    contract = make_right(db, places["household"])
    data = {"kind": "land_management", "certificate_no": "370103-LM-T1", "holder_id": str(places["enterprise"].id),
            "region_code": "370103", "area": "30.00", "area_unit": "mu", "term_start": "2026-01-01",
            "term_end": "2047-12-31", "land_management__land_class": "cropland"}
    resp = post_form(as_registrar, "/registry/rights/new", data)
    assert resp.status_code == 422
    assert "须填写流转来源的承包方土地经营权编号" in page(resp).error_of("land_management__contract_right_id")
    resp = post_form(as_registrar, "/registry/rights/new", {**data, "term_end": "2048-01-01",
                                                           "land_management__contract_right_id": str(contract.id)})
    assert resp.status_code == 422 and page(resp).error_of("term_end") == "不能晚于承包期届满日 2047-12-31"
    resp = post_form(as_registrar, "/registry/rights/new", {**data, "land_management__contract_right_id": str(contract.id)})
    right = db.session.execute(select(Right).where(Right.certificate_no == "370103-LM-T1")).scalar_one()
    assert location(resp) == f"/registry/rights/{right.id}"
    assert right.attributes["contract_right_id"] == contract.id


@pytest.mark.parametrize("changes, field, message", [
    ({"party_id": "HOUSEHOLD"}, "consent-party_id", "集体备案须由村集体经济组织出具，不能是农户"),
    ({"signed_on": "2026-12-01"}, "consent-signed_on", "不能晚于当前营业日"),
    ({"document_ref": ""}, "consent-document_ref", "必填"),
])
def test_consent_errors_on_the_right_page(as_registrar, db, places, changes, field, message):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    data = {"kind": "collective_filing", "party_id": str(places["collective"].id), "document_ref": "备-1",
            "signed_on": "2026-11-20", **changes}
    if data["party_id"] == "HOUSEHOLD":
        data["party_id"] = str(places["household"].id)
    resp = post_prefixed(as_registrar, path, f"{path}/consents", "consent", data)
    assert resp.status_code == 422
    assert message in page(resp).error_of(field)
    assert count(db, Consent) == 0


def test_freeze_and_unfreeze(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/freeze", "freeze", {"reason": ""})
    assert resp.status_code == 422 and page(resp).error_of("freeze-reason") == "必填"
    assert db.session.get(Right, right.id).status == "active"

    resp = post_prefixed(as_registrar, path, f"{path}/freeze", "freeze", {"reason": "（2026）鲁0103执123号"})
    assert location(resp) == path
    db.session.expire_all()
    assert db.session.get(Right, right.id).status == "frozen"
    shown = page(as_registrar.get(path))
    assert "已冻结" in shown.text and "（2026）鲁0103执123号" in shown.text and "unfreeze-reason" in shown.by_id

    resp = post_prefixed(as_registrar, path, f"{path}/unfreeze", "unfreeze", {"reason": "解除执行"})
    assert location(resp) == path
    db.session.expire_all()
    assert db.session.get(Right, right.id).status == "active"
    kinds = db.session.execute(select(RightEvent.kind).where(RightEvent.right_id == right.id)
                               .order_by(RightEvent.id)).scalars().all()
    assert kinds == ["registered", "frozen", "unfrozen"]


def test_freeze_a_frozen_right_is_a_conflict_on_the_form(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    token = form_token(as_registrar.get(path).get_data(as_text=True), "freeze")
    right_service.freeze("test", right.id, "先冻结")
    resp = as_registrar.post(f"{path}/freeze", data={"freeze-reason": "再冻结", "freeze-csrf_token": token})
    assert resp.status_code == 409
    assert "只有正常或已设定抵质押的产权可以冻结" in page(resp).form_alert()


# --- CSRF and roles

@pytest.mark.parametrize("path, data", [
    ("/registry/parties/new", {"kind": "household", "name": "王大山"}),
    ("/registry/rights/new", {"kind": "house"}),
])
def test_forms_need_csrf(as_registrar, db, path, data):
    resp = post_form(as_registrar, path, data, token=False)
    assert resp.status_code in (400, 422)
    assert count(db, Party) == 0 and count(db, Right) == 0


def test_freeze_needs_csrf(as_registrar, db, places):
    right = make_right(db, places["household"])
    resp = as_registrar.post(f"/registry/rights/{right.id}/freeze", data={"freeze-reason": "x"})
    assert resp.status_code in (400, 422)
    assert db.session.get(Right, right.id).status == "active"


def test_loan_officer_reads_but_may_not_write(client, db, make_user, login, places):
    right = make_right(db, places["household"])
    login(make_user("loan_officer"))
    token = csrf_token(client.get("/").get_data(as_text=True))  # the session's token: only the role stops them
    for path in ("/registry/parties/new", "/registry/rights/new"):
        assert client.get(path).status_code == 403
        assert client.post(path, data={"kind": "household", "csrf_token": token}).status_code == 403
    for suffix, prefix in (("consents", "consent"), ("freeze", "freeze"), ("unfreeze", "unfreeze")):
        resp = client.post(f"/registry/rights/{right.id}/{suffix}", data={f"{prefix}-csrf_token": token})
        assert resp.status_code == 403
    shown = page(client.get(f"/registry/rights/{right.id}"))
    assert "370103-LM-000001" in shown.text and "freeze-reason" not in shown.by_id and "consent-kind" not in shown.by_id
    assert client.get(f"/registry/parties/{places['household'].id}").status_code == 200
    assert client.get("/registry/search?q=孙七").status_code == 200
    assert count(db, Right) == 1


def test_pages_need_login(client, db):
    resp = client.get("/registry/rights/new")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- search

def test_search(as_registrar, db, places):
    mine = make_right(db, places["household"], certificate_no="370103-LM-777")
    make_right(db, places["other"], certificate_no="370103-LM-888")

    def found(q):
        shown = page(as_registrar.get("/registry/search", query_string={"q": q}))
        return ({a.text for a in shown.by_id["party-results"].find_all("a")},
                {a.text for a in shown.by_id["right-results"].find_all("a")})

    assert found("370103-LM-777") == (set(), {"370103-LM-777"})
    assert found("孙七") == ({"孙七"}, {"370103-LM-777"})
    assert found(places["household"].id_number) == ({"孙七"}, {"370103-LM-777"})
    assert found(places["household"].id_number[:10]) == (set(), set())  # ID numbers match whole only
    parties, rights = found("宅科村")
    assert {"孙七", "周八"} <= parties and rights == {"370103-LM-777", "370103-LM-888"}
    link = page(as_registrar.get("/registry/search?q=370103-LM-777")).by_id["right-results"].find_all("a")[0]
    assert link.attrs["href"] == f"/registry/rights/{mine.id}"
    assert places["household"].id_number not in as_registrar.get("/registry/search?q=孙七").get_data(as_text=True)


def test_search_results_come_in_pages(as_registrar, db, places, monkeypatch):
    from finplat.registry import views
    monkeypatch.setattr(views, "SEARCH_PAGE", 2)
    for n in range(3):
        make_right(db, places["household"], certificate_no=f"370103-LM-P{n}")

    def rights_on(page_no):
        from tests.conftest import csrf_token
        token = csrf_token(as_registrar.get("/registry/search").get_data(as_text=True))
        shown = page(as_registrar.post("/registry/search", data={"q": "孙七", "page": str(page_no),
                                                                 "csrf_token": token}))
        pager = shown.by_id.get("pager")
        return ([a.text for a in shown.by_id["right-results"].find_all("a")],
                [b.text for b in pager.find_all("button")] if pager else [])

    assert rights_on(1) == (["370103-LM-P0", "370103-LM-P1"], ["下一页"])
    assert rights_on(2) == (["370103-LM-P2"], ["上一页"])
    assert rights_on(3) == ([], ["上一页"])


# --- farmers

@pytest.fixture
def as_farmer(client, db, make_user, login, places):
    login(make_user("farmer", username="13700000001", party_id=places["household"].id))
    return client


def test_farmer_sees_only_their_own(as_farmer, db, places):
    mine = make_right(db, places["household"], certificate_no="MINE-1")
    theirs = make_right(db, places["other"], certificate_no="THEIRS-1")
    db.session.add(ShareRegister(collective_id=places["collective"].id, total_shares=100))
    db.session.flush()
    db.session.add_all([Shareholding(collective_id=places["collective"].id, member_id=places["household"].id, shares=30),
                        Shareholding(collective_id=places["collective"].id, member_id=places["other"].id, shares=40)])
    db.session.commit()

    shown = page(as_farmer.get("/registry/my-rights"))
    assert "MINE-1" in shown.text and "THEIRS-1" not in shown.text
    assert "宅科村股份经济合作社" in shown.text and "30 股" in shown.text and "40 股" not in shown.text
    assert as_farmer.get(f"/registry/rights/{mine.id}").status_code == 200
    assert "freeze-reason" not in page(as_farmer.get(f"/registry/rights/{mine.id}")).by_id
    assert as_farmer.get(f"/registry/rights/{theirs.id}").status_code == 404
    assert as_farmer.get(f"/registry/parties/{places['other'].id}").status_code == 404
    assert as_farmer.get("/registry/search?q=THEIRS-1").status_code == 403
    assert as_farmer.get("/registry/rights/new").status_code == 403
    register = page(as_farmer.get(f"/registry/collectives/{places['collective'].id}/shares"))
    assert "孙七" in register.text and "周八" not in register.text
    token = csrf_token(as_farmer.get("/").get_data(as_text=True))
    assert as_farmer.post(f"/registry/collectives/{places['collective'].id}/shares",
                          data={"csrf_token": token, "shares": "1"}).status_code == 403


def test_registrar_has_no_my_rights(as_registrar):
    assert as_registrar.get("/registry/my-rights").status_code == 403


# --- share register

def test_share_transfer_through_the_register(as_registrar, db, places):
    cid = places["collective"].id
    db.session.add(ShareRegister(collective_id=cid, total_shares=100))
    db.session.flush()
    db.session.add(Shareholding(collective_id=cid, member_id=places["household"].id, shares=30))
    db.session.commit()
    path = f"/registry/collectives/{cid}/shares"
    shown = page(as_registrar.get(path))
    assert "孙七" in shown.text and "总股数 100" in shown.text

    resp = post_form(as_registrar, path, {"from_member_id": str(places["household"].id),
                                          "to_member_id": str(places["other"].id), "shares": "31"})
    assert resp.status_code == 422 and "仅持有 30 股" in page(resp).error_of("shares")
    resp = post_form(as_registrar, path, {"from_member_id": str(places["household"].id),
                                          "to_member_id": str(places["other"].id), "shares": "10"})
    assert location(resp) == path
    held = dict(db.session.execute(select(Shareholding.member_id, Shareholding.shares)
                                   .where(Shareholding.collective_id == cid)).all())
    assert held == {places["household"].id: 20, places["other"].id: 10}


def test_home_and_nav_links(as_registrar):
    shown = page(as_registrar.get("/"))
    hrefs = {a.attrs.get("href") for a in shown.find_all("a")}
    assert {"/registry/search", "/registry/parties/new", "/registry/rights/new"} <= hrefs


def test_search_posts_so_id_numbers_stay_out_of_urls(client, make_user, login, make_party):
    from tests.conftest import csrf_token
    household = make_party(name="赵六")
    login(make_user("registrar"))
    page = client.get("/registry/search").get_data(as_text=True)
    assert 'method="post"' in page
    resp = client.post("/registry/search", data={"q": household.id_number, "csrf_token": csrf_token(page)})
    assert resp.status_code == 200 and "赵六" in resp.get_data(as_text=True)
    html = resp.get_data(as_text=True)
    assert html.count(household.id_number) == 1 and f'value="{household.id_number}"' in html  # only as typed
    assert household.id_number[:6] + "********" + household.id_number[-4:] in html  # results show it masked
    assert client.post("/registry/search", data={"q": household.id_number}).status_code == 400  # CSRF


# --- withdrawing and transferring a right, revealing a party's identity numbers

def events_of(db, right_id):
    return db.session.execute(select(RightEvent).where(RightEvent.right_id == right_id)
                              .order_by(RightEvent.id)).scalars().all()


def test_withdraw_through_the_page(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/withdraw", "withdraw", {"reason": ""})
    assert resp.status_code == 422 and page(resp).error_of("withdraw-reason") == "必填"
    assert db.session.get(Right, right.id).status == "active" and len(events_of(db, right.id)) == 1

    resp = post_prefixed(as_registrar, path, f"{path}/withdraw", "withdraw", {"reason": "权利人申请注销"})
    assert location(resp) == path
    db.session.expire_all()
    assert db.session.get(Right, right.id).status == "withdrawn"
    event = events_of(db, right.id)[-1]
    assert (event.kind, event.status_before, event.details["reason"]) == ("withdrawn", "active", "权利人申请注销")
    shown = page(as_registrar.get(path))
    history = shown.by_id["history"].text
    assert "注销" in history and "已注销" in history and "权利人申请注销" in history
    assert "withdraw-reason" not in shown.by_id and "transfer-to_holder_id" not in shown.by_id


def test_withdraw_under_a_live_lien_is_a_conflict_on_the_form(as_registrar, db, places):
    right = make_right(db, places["household"])
    db.session.add(Lien(kind="mortgage", right_id=right.id, rank=1, secured_amount=Decimal("1000.00"),
                        secures_type="loan", secures_id="L-1", status="live"))
    db.session.commit()
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/withdraw", "withdraw", {"reason": "申请注销"})
    assert resp.status_code == 409
    assert "该产权有未解除的抵质押，不能注销" in page(resp).form_alert()
    db.session.expire_all()
    assert db.session.get(Right, right.id).status == "active" and len(events_of(db, right.id)) == 1


def test_transfer_through_the_page(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/transfer", "transfer", {
        "to_holder_id": str(places["other"].id), "document_ref": "流转合同-2026-01"})
    assert location(resp) == path
    db.session.expire_all()
    moved = db.session.get(Right, right.id)
    assert (moved.holder_id, moved.status) == (places["other"].id, "active")
    event = events_of(db, right.id)[-1]
    assert event.kind == "transferred"
    assert event.details == {"from_holder_id": places["household"].id, "to_holder_id": places["other"].id,
                             "document_ref": "流转合同-2026-01"}
    shown = page(as_registrar.get(path))
    assert "已将该产权转移给：周八" in shown.text
    history = shown.by_id["history"].text
    assert "转移" in history and "孙七 → 周八" in history and "流转合同-2026-01" in history


@pytest.mark.parametrize("changes, field, message", [
    ({"to_holder_id": ""}, "transfer-to_holder_id", "必填"),
    ({"to_holder_id": "abc"}, "transfer-to_holder_id", "不是有效的整数"),
    ({"to_holder_id": "999999"}, "transfer-to_holder_id", "没有这个主体"),
    ({"to_holder_id": "HOUSEHOLD"}, "transfer-to_holder_id", "该产权已由此主体持有"),
    ({"document_ref": ""}, "transfer-document_ref", "必填"),
])
def test_transfer_errors_are_shown_at_the_field(as_registrar, db, places, changes, field, message):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    data = {"to_holder_id": str(places["other"].id), "document_ref": "合同-1", **changes}
    if data["to_holder_id"] == "HOUSEHOLD":
        data["to_holder_id"] = str(places["household"].id)
    resp = post_prefixed(as_registrar, path, f"{path}/transfer", "transfer", data)
    assert resp.status_code == 422
    assert message in page(resp).error_of(field)
    db.session.expire_all()
    assert db.session.get(Right, right.id).holder_id == places["household"].id and len(events_of(db, right.id)) == 1


def test_a_house_cannot_move_to_an_enterprise(as_registrar, db, places):
    right = make_right(db, places["household"], kind="house", certificate_no="370103-H-1", area_unit="m2",
                       attributes={"structure": "simple", "floor_area": "100", "year_built": 2001})
    path = f"/registry/rights/{right.id}"
    resp = post_prefixed(as_registrar, path, f"{path}/transfer", "transfer", {
        "to_holder_id": str(places["enterprise"].id), "document_ref": "合同-1"})
    assert resp.status_code == 422
    assert page(resp).error_of("transfer-to_holder_id") == "农民住房财产权的权利人须为农户，不能是企业"
    db.session.expire_all()
    assert db.session.get(Right, right.id).holder_id == places["household"].id and len(events_of(db, right.id)) == 1


def test_transfer_of_a_frozen_right_is_a_conflict_on_the_form(as_registrar, db, places):
    right = make_right(db, places["household"])
    path = f"/registry/rights/{right.id}"
    token = form_token(as_registrar.get(path).get_data(as_text=True), "transfer")
    right_service.freeze("test", right.id, "先冻结")
    resp = as_registrar.post(f"{path}/transfer", data={"transfer-to_holder_id": str(places["other"].id),
                                                       "transfer-document_ref": "合同-1", "transfer-csrf_token": token})
    assert resp.status_code == 409
    assert "该产权已冻结，不能转移" in page(resp).form_alert()
    db.session.expire_all()
    assert db.session.get(Right, right.id).holder_id == places["household"].id


def test_reveal_identity_through_the_party_page(as_registrar, db, places, registrar):
    from finplat.audit.models import AuditRecord
    from finplat.security.pii import blind_index
    household = places["household"]
    db.session.add(HouseholdMember(household_id=household.id, name="孙小七", id_number=CHILD,
                                   id_number_index=blind_index(CHILD), relation="子"))
    db.session.commit()
    path = f"/registry/parties/{household.id}"
    before = page(as_registrar.get(path))
    assert household.id_number not in before.text and CHILD not in before.text
    assert count(db, AuditRecord, AuditRecord.action == "party.identity_revealed") == 0

    resp = post_prefixed(as_registrar, path, f"{path}/reveal", "reveal", {})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    shown = page(resp)
    assert shown.by_id["id_number"].text.strip() == household.id_number and CHILD in shown.text
    record = db.session.execute(select(AuditRecord).where(AuditRecord.action == "party.identity_revealed")).scalar_one()
    assert (record.object_type, record.object_id, record.actor_id) == ("party", str(household.id), registrar.id)

    again = as_registrar.get(path).get_data(as_text=True)  # the next page masks them again: nothing was kept
    assert household.id_number not in again and CHILD not in again
    with as_registrar.session_transaction() as session:
        assert household.id_number not in repr(dict(session))


def test_new_actions_need_csrf(as_registrar, db, places):
    from finplat.audit.models import AuditRecord
    right = make_right(db, places["household"])
    for suffix, data in (("withdraw", {"withdraw-reason": "x"}),
                         ("transfer", {"transfer-to_holder_id": str(places["other"].id), "transfer-document_ref": "x"})):
        assert as_registrar.post(f"/registry/rights/{right.id}/{suffix}", data=data).status_code == 400
    assert as_registrar.post(f"/registry/parties/{places['household'].id}/reveal").status_code == 400
    db.session.expire_all()
    assert (db.session.get(Right, right.id).status, db.session.get(Right, right.id).holder_id) == (
        "active", places["household"].id)
    assert len(events_of(db, right.id)) == 1
    assert count(db, AuditRecord, AuditRecord.action == "party.identity_revealed") == 0


def test_loan_officer_may_not_withdraw_transfer_or_reveal(client, db, make_user, login, places):
    from finplat.audit.models import AuditRecord
    right = make_right(db, places["household"])
    login(make_user("loan_officer"))
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post(f"/registry/rights/{right.id}/withdraw",
                       data={"withdraw-reason": "x", "withdraw-csrf_token": token}).status_code == 403
    assert client.post(f"/registry/rights/{right.id}/transfer",
                       data={"transfer-to_holder_id": str(places["other"].id), "transfer-document_ref": "x",
                             "transfer-csrf_token": token}).status_code == 403
    resp = client.post(f"/registry/parties/{places['household'].id}/reveal", data={"reveal-csrf_token": token})
    assert resp.status_code == 403 and places["household"].id_number not in resp.get_data(as_text=True)
    shown = page(client.get(f"/registry/rights/{right.id}"))
    assert "withdraw-reason" not in shown.by_id and "transfer-to_holder_id" not in shown.by_id
    assert "reveal" not in page(client.get(f"/registry/parties/{places['household'].id}")).by_id
    db.session.expire_all()
    assert (db.session.get(Right, right.id).status, db.session.get(Right, right.id).holder_id) == (
        "active", places["household"].id)
    assert len(events_of(db, right.id)) == 1
    assert count(db, AuditRecord, AuditRecord.action == "party.identity_revealed") == 0


@pytest.mark.parametrize("path", ["/registry/rights/new?holder_id=²", "/registry/search?q=孙七&page=²",
                                  "/registry/search?q=孙七&page=99999999999"])
def test_odd_digits_in_a_query_string_are_ignored_not_a_500(as_registrar, places, path):
    assert as_registrar.get(path).status_code == 200
