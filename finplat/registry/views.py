"""Registrar pages (and a farmer's own rights).

Registrars (and admins) write; every other institution user may read the right and party pages and search;
a farmer reads only their own household's rights and shareholding (the services' row scoping answers 404 for
anything else). Each form is validated by WTForms for friendly Chinese messages, then by the API's schema,
then by the service (finplat.web.forms.submit).
"""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from finplat.api_base import MAX_ID
from finplat.auth.permissions import get_visible, require, visible
from finplat.registry import party_service, right_service
from finplat.registry.models import CONSENT_KINDS, RIGHT_KINDS, Lien, Party, Right, Shareholding
from finplat.registry.party_schemas import PartyIn
from finplat.registry.right_rules import AREA_UNITS, HOLDER_KINDS
from finplat.registry.right_schemas import ATTRIBUTE_SCHEMAS, ConsentIn, OptionalReasonIn, ReasonIn, RightIn, TransferIn
from finplat.security.pii import mask
from finplat.errors import DomainError
from finplat.web.forms import REGISTRY_LABELS, Form, Parsed, Places, show_errors, submit, values

try:  # the share register may not be installed yet
    from finplat.registry import share_service
    from finplat.registry.share_schemas import ShareTransferIn
except ImportError:  # pragma: no cover
    share_service = None

bp = Blueprint("registry", __name__, url_prefix="/registry")

WRITERS = ("registrar",)  # admins pass every role check
READERS = ("registrar", "appraiser", "loan_officer", "bank_manager", "guarantor", "fund_manager")
REQUIRED = "必填"
SEARCH_PAGE = 50  # rows of parties and of rights on one page of search results

PARTY_KIND_LABELS = {"household": "农户", "collective": "村集体经济组织", "enterprise": "企业"}
RIGHT_KIND_LABELS = {k: REGISTRY_LABELS[k] for k in RIGHT_KINDS}
STATUS_LABELS = {s: REGISTRY_LABELS[s] for s in ("active", "encumbered", "frozen", "disposed", "expired", "withdrawn")}
CONSENT_LABELS = {k: REGISTRY_LABELS[k] for k in CONSENT_KINDS}
LIEN_LABELS = {"mortgage": "抵押", "pledge": "质押", "live": "有效", "released": "已解除"}
UNIT_LABELS = {"mu": "亩", "m2": "平方米"}
EVENT_LABELS = {"registered": "登记", "consent_recorded": "记录同意书", "frozen": "冻结", "unfrozen": "解冻",
                "withdrawn": "注销", "expired": "到期", "expiry_warning": "到期预警", "encumbered": "设定抵质押",
                "released": "解除抵质押", "transferred": "转移", "disposed": "处置"}

# A right's attributes by kind: (name, label, field class, options); the choices' labels in Chinese.
CHOICES = {
    "land_class": [("cropland", "耕地（最长 30 年）"), ("grassland", "草地（最长 50 年）"), ("forest_land", "林地（最长 70 年）")],
    "structure": [("reinforced_concrete", "钢筋混凝土"), ("brick_concrete", "砖混"), ("brick_wood", "砖木"),
                  ("simple", "简易")],
    "use": [("industrial", "工业（最长 50 年）"), ("warehouse", "仓储（最长 50 年）"), ("commercial", "商业（最长 40 年）"),
            ("tourism", "旅游（最长 40 年）"), ("entertainment", "娱乐（最长 40 年）"), ("other", "其他（最长 50 年）")],
}
ATTRIBUTES = {
    "land_management": [("land_class", "土地类别"), ("crop", "种植作物"),
                        ("contract_right_id", "流转来源：承包方土地经营权编号（受让方填写）")],
    "house": [("structure", "房屋结构"), ("floor_area", "建筑面积（平方米）"), ("year_built", "建成年份"),
              ("homestead_area", "宅基地面积（平方米）")],
    "construction_land": [("use", "用途"), ("grade", "土地级别")],
    "forest": [("species", "树种"), ("stand_age", "林龄（年）"), ("fire_insurance_policy", "森林火灾保险单号"),
               ("fire_insurance_until", "火灾保险到期日")],
    "water_facility": [("capacity", "容量（立方米）"), ("build_cost", "建设成本（元）"), ("year_built", "建成年份")],
}
ATTRIBUTE_LABELS = {name: label for attrs in ATTRIBUTES.values() for name, label in attrs}
VALUE_LABELS = {value: label.split("（")[0] for options in CHOICES.values() for value, label in options}


def _whole_number(value, limit=10**6) -> int | None:
    """A positive whole number in ASCII digits from a query string, else None ("²".isdigit() is true too)."""
    if value and value.isascii() and value.isdecimal() and 0 < int(value) < limit:
        return int(value)
    return None


def _optional_int(value):
    return None if value in (None, "") else int(value)


def _id_field(label, **kwargs):
    return IntegerField(label, validators=[kwargs.pop("required", False) and InputRequired(REQUIRED) or Optional(),
                                           Parsed(), NumberRange(min=1, max=MAX_ID, message="编号不正确，请核对")],
                        render_kw={"inputmode": "numeric"}, **kwargs)


REGION = Regexp(r"\A[0-9]{6}\Z", message="须为六位数字，如 370103（济南市市中区）")


# --- parties

class PartyForm(Form):
    kind = SelectField("主体类型", choices=[SelectChoice(k, v) for k, v in PARTY_KIND_LABELS.items()])
    name = StringField("名称（农户填户主姓名）", validators=[DataRequired(REQUIRED), Length(max=200, message="最多 200 个字")])
    region_code = StringField("行政区划代码", validators=[DataRequired(REQUIRED), REGION],
                              description="GB/T 2260 六位代码，如 370103 济南市市中区、370303 淄博市张店区",
                              render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"})
    township = StringField("乡镇（街道）", validators=[Optional(), Length(max=100, message="最多 100 个字")])
    village = StringField("村", validators=[Optional(), Length(max=100, message="最多 100 个字")],
                          description="农户和村集体必填")
    id_number = StringField("户主身份证号", validators=[Optional(), Length(max=64, message="最多 64 个字符")],
                            description="仅农户填写：18 位，最后一位可为 X",
                            render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    collective_id = SelectField("所属村集体经济组织", coerce=_optional_int, description="仅农户填写",
                                invalid_choice_message="请从列表中选择")
    members_text = TextAreaField("家庭成员", validators=[Optional(), Length(max=10000, message="内容过长")],
                                 description="仅农户填写，每行一人：姓名,身份证号,关系（如：王芳,370103199002020028,配偶）",
                                 render_kw={"rows": 4, "autocomplete": "off", "spellcheck": "false"})
    uscc = StringField("统一社会信用代码", validators=[Optional(), Length(max=64, message="最多 64 个字符")],
                       description="仅村集体和企业填写：18 位",
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    legal_representative = StringField("法定代表人", validators=[Optional(), Length(max=100, message="最多 100 个字")],
                                       description="仅村集体和企业填写")
    phone = StringField("联系电话", validators=[Optional(), Regexp(r"\A\+?[0-9]{5,19}\Z", message="须为 5 到 19 位数字")],
                        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})


def _members(form):
    """The members typed one per line ("姓名,身份证号,关系", ASCII or Chinese commas), or None with the
    lines that cannot be read marked on the field."""
    members, errors = [], []
    for number, line in enumerate((form.members_text.data or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").replace("、", ",").split(",")]
        if len(parts) != 3 or not all(parts):
            errors.append(f"第 {number} 行须为“姓名,身份证号,关系”三项")
            continue
        members.append({"name": parts[0], "id_number": parts[1], "relation": parts[2]})
    if errors:
        form.members_text.errors = list(form.members_text.errors) + errors
        return None
    return {"members": members} if members else {}


def _member_field(name):
    """members.N.x → the textarea, with the line's number."""
    if name.startswith("members."):
        parts = name.split(".")
        line = f"第 {int(parts[1]) + 1} 人：" if len(parts) > 1 and parts[1].isdigit() else ""
        return "members_text", line
    return None


def _collective_choices():
    rows = party_service.find_parties(current_user, kind="collective").with_only_columns(
        Party.id, Party.name, Party.village).order_by(None).order_by(Party.name).limit(1000)
    from finplat.extensions import db
    return [SelectChoice("", "—（非农户不选）")] + [
        SelectChoice(str(r.id), f"{r.name}（{r.village or ''}，编号 {r.id}）") for r in db.session.execute(rows)]


@bp.route("/parties/new", methods=["GET", "POST"])
@require(*WRITERS)
def new_party():
    form = PartyForm()
    form.collective_id.choices = _collective_choices()
    party, status = submit(form, PartyIn(), lambda data: party_service.create_party(current_user, data),
                           extra=_members, field_of=_member_field)
    if party is None:
        return render_template("registry/party_new.html", form=form), status
    flash(f"已登记主体：{party.name}（编号 {party.id}）")
    return redirect(url_for("registry.party", party_id=party.id))


class RevealForm(Form):
    """Only the CSRF token: the button that shows a party's identity numbers in full."""


def _party_page(party_id, revealed=None, reveal=None, status=200):
    found = get_visible(Party, party_id, current_user)
    rights = right_service.search(current_user, holder_id=found.id)
    from finplat.extensions import db
    writer = current_user.role in WRITERS or current_user.is_admin
    response = make_response(render_template(
        "registry/party.html", party=found, mask=mask, rights=db.session.execute(rights).scalars().all(),
        labels=_labels(), writer=writer, reveal_form=reveal or RevealForm(prefix="reveal"),
        revealed=revealed), status)
    if revealed:  # the full numbers are in this response only: no cache keeps them
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/parties/<int:party_id>")
@require()
def party(party_id):
    return _party_page(party_id)


@bp.route("/parties/<int:party_id>/reveal", methods=["POST"])
@require(*WRITERS)
def reveal_identity(party_id):
    """The party's page with its identity numbers in full, in this response only (never in the session or a
    URL); party_service.reveal_identity writes the audit record."""
    form = RevealForm(prefix="reveal")
    if not form.validate_on_submit():
        return _party_page(party_id, reveal=form, status=422)
    try:
        revealed = party_service.reveal_identity(current_user, party_id)
    except DomainError as exc:
        return _party_page(party_id, reveal=form, status=show_errors(form, exc))
    members = {m["id"]: m["id_number"] for m in revealed["members"]}
    return _party_page(party_id, revealed={"id_number": revealed.get("id_number"), "uscc": revealed.get("uscc"),
                                           "members": members})


# --- rights

class RightForm(Form):
    kind = SelectField("产权类型", choices=[SelectChoice(k, v) for k, v in RIGHT_KIND_LABELS.items()],
                       description="选择后填写下方对应类型的信息")
    certificate_no = StringField("证书编号", validators=[DataRequired(REQUIRED), Length(max=100, message="最多 100 个字符")],
                                 render_kw={"autocomplete": "off", "spellcheck": "false"})
    holder_id = _id_field("权利人主体编号", required=True, description="在“查询”中找到权利人，或从主体页进入")
    region_code = StringField("行政区划代码", validators=[DataRequired(REQUIRED), REGION],
                              render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"})
    area = DecimalField("面积", places=2, validators=[InputRequired(REQUIRED), Parsed(), Places(2),
                                                     NumberRange(min=0.01, message="须大于 0")],
                        render_kw={"inputmode": "decimal"})
    area_unit = SelectField("面积单位", choices=[SelectChoice("mu", "亩"), SelectChoice("m2", "平方米")],
                            description="土地经营权、林权以亩计；住房、建设用地以平方米计")
    term_start = DateField("期限起始日", validators=[Optional()], description="土地经营权、建设用地、林权必填")
    term_end = DateField("期限截止日", validators=[Optional()])


def _attribute_field(kind, name, label):
    if name in CHOICES:
        # Only the chosen kind's fields are read; the API's schema judges the value (validate_choice=False).
        return SelectField(label, choices=[SelectChoice("", "—")] + [SelectChoice(v, t) for v, t in CHOICES[name]],
                           default="", validate_choice=False)
    if name in ("floor_area", "homestead_area", "capacity", "build_cost"):
        return DecimalField(label, places=2, validators=[Optional(), Parsed(), Places(2)],
                            render_kw={"inputmode": "decimal"})
    if name in ("year_built", "stand_age", "contract_right_id"):
        return IntegerField(label, validators=[Optional(), Parsed()], render_kw={"inputmode": "numeric"})
    if name == "fire_insurance_until":
        return DateField(label, validators=[Optional()])
    return StringField(label, validators=[Optional(), Length(max=100, message="最多 100 个字符")])


for _kind, _attrs in ATTRIBUTES.items():
    for _name, _label in _attrs:
        setattr(RightForm, f"{_kind}__{_name}", _attribute_field(_kind, _name, _label))
assert all({n for n, _ in ATTRIBUTES[k]} == set(s().fields) for k, s in ATTRIBUTE_SCHEMAS.items())


def _attributes(form):
    kind = form.kind.data
    given = values(form, [f"{kind}__{name}" for name, _ in ATTRIBUTES.get(kind, ())])
    return {"attributes": {key.split("__", 1)[1]: value for key, value in given.items()}}


def _right_field(kind):
    def field_of(name):
        if name.startswith("attributes."):
            return f"{kind}__{name.split('.', 1)[1]}", ""
        return None
    return field_of


@bp.route("/rights/new", methods=["GET", "POST"])
@require(*WRITERS)
def new_right():
    form = RightForm()
    holder_id = _whole_number(request.args.get("holder_id"))
    if request.method == "GET" and holder_id:
        form.holder_id.data = holder_id
    right, status = submit(form, RightIn(), lambda data: right_service.register_right(current_user, data),
                           extra=_attributes, field_of=_right_field(form.kind.data))
    if right is None:
        return render_template("registry/right_new.html", form=form, attributes=ATTRIBUTES,
                               holders=HOLDER_KINDS, units=AREA_UNITS, labels=_labels()), status
    flash(f"已登记产权：{right.certificate_no}")
    return redirect(url_for("registry.right", right_id=right.id))


class ConsentForm(Form):
    kind = SelectField("同意书类型", choices=[SelectChoice(k, v) for k, v in CONSENT_LABELS.items()])
    party_id = _id_field("出具方主体编号", required=True,
                         description="集体备案、集体同意、村民会议、其他稳定居所证明由村集体出具；承包方同意由承包农户出具；"
                                     "共有人同意书填权利人（本户）编号")
    member_id = SelectField("共有人（家庭成员）", choices=[SelectChoice("", "不适用")], validate_choice=False, coerce=_optional_int,
                            description="仅共有人同意书：选择签字的家庭成员，每位成员各一份")
    document_ref = StringField("文件编号", validators=[DataRequired(REQUIRED), Length(max=200, message="最多 200 个字符")])
    signed_on = DateField("签署日期", validators=[DataRequired("请选择日期")])


class FreezeForm(Form):
    reason = StringField("冻结原因", validators=[DataRequired(REQUIRED), Length(max=500, message="最多 500 个字")],
                         description="如：法院协助执行通知书文号")


class UnfreezeForm(Form):
    reason = StringField("解冻原因", validators=[Optional(), Length(max=500, message="最多 500 个字")])


class WithdrawForm(Form):
    reason = StringField("注销原因", validators=[DataRequired(REQUIRED), Length(max=500, message="最多 500 个字")],
                         description="如：权利人申请注销、土地被依法征收")


class RightTransferForm(Form):
    to_holder_id = _id_field("新权利人主体编号", required=True, description="在“查询”中找到新权利人，填写其主体编号")
    document_ref = StringField("转移合同编号", validators=[DataRequired(REQUIRED), Length(max=200, message="最多 200 个字符")],
                               description="向中心备案的转让（流转）合同编号",
                               render_kw={"autocomplete": "off", "spellcheck": "false"})


def _consent_form(right, form=None):
    """The consent form, its co-owner choices the members of the holding household."""
    form = form or ConsentForm(prefix="consent")
    form.member_id.choices = [SelectChoice("", "不适用")] + [
        SelectChoice(str(m.id), f"{m.name}（{m.relation}）") for m in right.holder.members]
    return form


def _right_page(right_id, consent=None, freeze=None, unfreeze=None, withdraw=None, transfer=None, status=200):
    actor = current_user
    right = right_service.get_right(actor, right_id)
    from finplat.extensions import db
    liens = db.session.execute(visible(Lien, actor).where(Lien.right_id == right.id)
                               .order_by(Lien.status.desc(), Lien.rank, Lien.id)).scalars().all()
    events = db.session.execute(right_service.history(actor, right.id)).scalars().all()
    writer = actor.role in WRITERS or actor.is_admin
    party_ids = {c.party_id for c in right.consents} | {
        e.details[key] for e in events if e.kind == "transferred" and e.details
        for key in ("from_holder_id", "to_holder_id") if isinstance(e.details.get(key), int)}
    names = dict(db.session.execute(visible(Party, actor).where(Party.id.in_(party_ids))
                                    .with_only_columns(Party.id, Party.name)).all()) if party_ids else {}
    from finplat.valuation import service as valuation_service
    from finplat.web.forms import VALUATION_LABELS
    valuations = db.session.execute(valuation_service.search(actor, right_id=right.id).limit(20)).scalars().all()
    return render_template(
        "registry/right.html", right=right, liens=liens, events=events, writer=writer, names=names,
        consent_form=_consent_form(right, consent), freeze_form=freeze or FreezeForm(prefix="freeze"),
        unfreeze_form=unfreeze or UnfreezeForm(prefix="unfreeze"),
        withdraw_form=withdraw or WithdrawForm(prefix="withdraw"),
        transfer_form=transfer or RightTransferForm(prefix="transfer"),
        missing=right_service.missing_consents(right), labels=_labels(), mask=mask, valuations=valuations,
        valuation_labels=VALUATION_LABELS), status


@bp.route("/rights/<int:right_id>")
@require()
def right(right_id):
    return _right_page(right_id)


@bp.route("/rights/<int:right_id>/consents", methods=["POST"])
@require(*WRITERS)
def record_consent(right_id):
    form = ConsentForm(prefix="consent")
    consent, status = submit(form, ConsentIn(), lambda data: right_service.record_consent(current_user, right_id, data))
    if consent is None:
        return _right_page(right_id, consent=form, status=status or 422)
    flash(f"已记录{CONSENT_LABELS[consent.kind]}：{consent.document_ref}")
    return redirect(url_for("registry.right", right_id=right_id) + "#consents")


def _right_action(right_id, name, form, schema, action, said):
    """A form posted from a right's page: the service's `action(data)` and back to the page with `said(result)`
    flashed, or the page again with the form's messages (422, or the service's status)."""
    done, status = submit(form, schema, action)
    if done is None:
        return _right_page(right_id, status=status or 422, **{name: form})
    flash(said(done))
    return redirect(url_for("registry.right", right_id=right_id))


@bp.route("/rights/<int:right_id>/freeze", methods=["POST"])
@require(*WRITERS)
def freeze(right_id):
    return _right_action(right_id, "freeze", FreezeForm(prefix="freeze"), ReasonIn(),
                         lambda data: right_service.freeze(current_user, right_id, data["reason"]),
                         lambda done: "已冻结该产权")


@bp.route("/rights/<int:right_id>/unfreeze", methods=["POST"])
@require(*WRITERS)
def unfreeze(right_id):
    return _right_action(right_id, "unfreeze", UnfreezeForm(prefix="unfreeze"), OptionalReasonIn(),
                         lambda data: right_service.unfreeze(current_user, right_id, data.get("reason")),
                         lambda done: f"已解冻该产权，现状态：{STATUS_LABELS[done.status]}")


@bp.route("/rights/<int:right_id>/withdraw", methods=["POST"])
@require(*WRITERS)
def withdraw(right_id):
    return _right_action(right_id, "withdraw", WithdrawForm(prefix="withdraw"), ReasonIn(),
                         lambda data: right_service.withdraw(current_user, right_id, data["reason"]),
                         lambda done: "已注销该产权")


@bp.route("/rights/<int:right_id>/transfer", methods=["POST"])
@require(*WRITERS)
def transfer(right_id):
    return _right_action(right_id, "transfer", RightTransferForm(prefix="transfer"), TransferIn(),
                         lambda data: right_service.transfer(current_user, right_id, data),
                         lambda done: f"已将该产权转移给：{done.holder.name}（编号 {done.holder.id}）")


# --- search and a farmer's own

@bp.route("/search", methods=["GET", "POST"])
@require(*READERS)
def search():
    # The form posts, so that an ID number searched for stays out of URLs, access logs and browser history;
    # links may still search by village or certificate with ?q=.
    args = request.form if request.method == "POST" else request.args
    q = (args.get("q") or "").strip()[:200]
    page = _whole_number(args.get("page")) or 1
    parties, rights, more = [], [], False
    if q:
        from finplat.extensions import db
        matched = party_service.find_parties(current_user, q=q)
        party_ids = select(Party.id).where(or_(Party.id.in_(matched.with_only_columns(Party.id).order_by(None)),
                                               Party.village == q))
        start = (page - 1) * SEARCH_PAGE
        # one row past the page tells whether another page follows
        parties = db.session.execute(visible(Party, current_user).where(Party.id.in_(party_ids))
                                     .order_by(Party.id).offset(start).limit(SEARCH_PAGE + 1)).scalars().all()
        rights = db.session.execute(right_service.search(current_user).where(or_(
            Right.certificate_no == q, Right.holder_id.in_(party_ids)))
            .offset(start).limit(SEARCH_PAGE + 1)).scalars().all()
        more = len(parties) > SEARCH_PAGE or len(rights) > SEARCH_PAGE
        parties, rights = parties[:SEARCH_PAGE], rights[:SEARCH_PAGE]
    return render_template("registry/search.html", q=q, parties=parties, rights=rights, page=page, more=more,
                           labels=_labels(), mask=mask)


@bp.route("/my-rights")
@require("farmer")
def my_rights():
    from finplat.extensions import db
    rights = db.session.execute(right_service.search(current_user).limit(500)).scalars().all()
    holdings = db.session.execute(visible(Shareholding, current_user).where(Shareholding.shares > 0)
                                  .order_by(Shareholding.id)).scalars().all()
    collectives = {p.id: p for p in db.session.execute(
        visible(Party, current_user).where(Party.id.in_([h.collective_id for h in holdings]))).scalars()}
    return render_template("registry/my_rights.html", rights=rights, holdings=holdings, collectives=collectives,
                           labels=_labels())


# --- share registers

class TransferForm(Form):
    from_member_id = SelectField("转出方", coerce=_optional_int, validators=[DataRequired("请选择")],
                                 invalid_choice_message="请从列表中选择")
    to_member_id = SelectField("转入方（本集体成员）", coerce=_optional_int, validators=[DataRequired("请选择")],
                               invalid_choice_message="请从列表中选择")
    shares = IntegerField("股数", validators=[DataRequired(REQUIRED), Parsed(), NumberRange(min=1, max=MAX_ID, message="须为正整数")],
                          render_kw={"inputmode": "numeric"})


@bp.route("/collectives/<int:collective_id>/shares", methods=["GET", "POST"])
@require()
def shares(collective_id):
    if share_service is None:
        abort(404)
    register = share_service.register_view(current_user, collective_id)
    writer = current_user.role in WRITERS or current_user.is_admin
    form = TransferForm()
    status = 200
    if writer:
        from finplat.extensions import db
        households = db.session.execute(visible(Party, current_user).where(
            Party.kind == "household", Party.collective_id == collective_id).order_by(Party.name)
            .with_only_columns(Party.id, Party.name).limit(2000)).all()
        form.from_member_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(h["member_id"]), f"{h['member_name']}（编号 {h['member_id']}，{h['shares']} 股）")
            for h in register["holdings"]]
        form.to_member_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(h.id), f"{h.name}（编号 {h.id}）") for h in households]
        if request.method == "POST":
            done, status = submit(form, ShareTransferIn(),
                                  lambda data: share_service.transfer(current_user, collective_id, data))
            if done is not None:
                flash(f"已转让 {done.shares} 股")
                return redirect(url_for("registry.shares", collective_id=collective_id))
    elif request.method == "POST":
        abort(403)
    collective = get_visible(Party, collective_id, current_user)
    return render_template("registry/shares.html", register=register, collective=collective, form=form,
                           writer=writer), status


def _labels():
    return {"party": PARTY_KIND_LABELS, "right": RIGHT_KIND_LABELS, "status": STATUS_LABELS,
            "consent": CONSENT_LABELS, "lien": LIEN_LABELS, "unit": UNIT_LABELS, "event": EVENT_LABELS,
            "attribute": ATTRIBUTE_LABELS, "value": VALUE_LABELS}
