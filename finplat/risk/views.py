"""Risk pages: `/risk/programs` lists the risk-sharing programs for every institution user and lets an admin
set one up; `/risk/guarantees` lists a bank's or an agency's guarantees, where the agency accepts or rejects
a request, and `/risk/guarantees/new?loan_id=` is the bank's request form; `/risk/funds` is a fund manager's
funds (and the form to set one up), `/risk/funds/<id>` a fund's figures, contributions and ledger. Each posts
through the same schema and service as the API."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from finplat import cob
from finplat.api_base import MAX_ID
from finplat.auth.models import Institution
from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.loans import application_service
from finplat.risk import claim_service, fund_service, guarantee_service, program_service, recovery_service
from finplat.risk.claim_schemas import ClaimIn
from finplat.risk.fund_schemas import ContributionIn, FundIn
from finplat.risk.guarantee_schemas import GuaranteeIn
from finplat.risk.models import DEFAULT_FEE_RATE, RiskProgram
from finplat.risk.program_schemas import ProgramIn
from finplat.risk.recovery_schemas import RecoveryIn
from finplat.risk.sharing import PARTIES
from finplat.web.forms import (GUARANTEE_LABELS, RECOVERY_SOURCE_LABELS, Form, Parsed, Places, chinese, show_errors,
                               submit)
from finplat.web.paging import page_of

bp = Blueprint("risk", __name__, url_prefix="/risk")
PARTY_LABELS = {"guarantor": "融资担保机构", "reguarantor": "省级再担保机构", "bank": "贷款银行",
                "fund": "风险补偿基金"}


def _share(party):
    return DecimalField(f"{PARTY_LABELS[party]}分担比例", places=None, render_kw={"inputmode": "decimal"},
                        validators=[InputRequired("必填"), Parsed(), Places(8),
                                    NumberRange(min=Decimal(0), max=Decimal(1), message="须在 0 到 1 之间")],
                        description="如 0.40 表示承担净损失的 40%")


class ProgramForm(Form):
    name = StringField("项目名称", validators=[DataRequired("必填"), Length(max=200, message="最多 200 个字")])
    guarantor, reguarantor, bank, fund = (_share(party) for party in PARTIES)


def _shares(form) -> dict:
    return {"shares": {party: str(form[party].data) for party in PARTIES}}


def _field_of(name: str):
    """A message about one party's share belongs on its field; one about the shares together, on the form."""
    head, _, party = name.partition(".")
    return (party, "") if head == "shares" and party in PARTIES else None


def _page(form, status=200):
    return render_template("risk/programs.html", table=page_of(program_service.programs()), form=form,
                           parties=PARTIES, labels=PARTY_LABELS), status


@bp.route("/programs")
@require(*INSTITUTION_ROLES)
def programs():
    return _page(ProgramForm() if current_user.is_admin else None)


@bp.route("/programs", methods=["POST"])
@require("admin")
def create_program():
    form = ProgramForm()
    program, status = submit(form, ProgramIn(), lambda data: program_service.create_program(current_user, data),
                             extra=_shares, field_of=_field_of)
    if program is None:
        return _page(form, status)
    flash(f"已设立风险分担项目：{program.name}")
    return redirect(url_for("risk.programs"))


# --- guarantees

BANK = ("loan_officer", "bank_manager")


class GuaranteeForm(Form):
    loan_id = HiddenField()
    agency_id = SelectField("融资担保机构", coerce=int, validators=[InputRequired("必填")])
    program_id = SelectField("风险分担项目", coerce=int, validators=[InputRequired("必填")])
    fee_rate = DecimalField("年担保费率", places=None, default=DEFAULT_FEE_RATE, render_kw={"inputmode": "decimal"},
                            validators=[InputRequired("必填"), Parsed(), Places(8),
                                        NumberRange(min=Decimal(0), max=Decimal("0.99999999"), message="须小于 1")],
                            description="农业信贷担保一般为 0.008（0.8%/年），按在保余额逐日计提")


class DecisionForm(Form):
    reason = StringField("拒绝理由", validators=[DataRequired("必填"), Length(max=500, message="最多 500 个字")])


def _choices(form):
    form.agency_id.choices = [SelectChoice(i.id, i.name) for i in db.session.execute(
        select(Institution).where(Institution.kind == "guarantee_agency").order_by(Institution.name)).scalars()]
    form.program_id.choices = [SelectChoice(p.id, f"{p.name}（担保覆盖 {p.coverage:.0%}）") for p in db.session.execute(
        select(RiskProgram).where(RiskProgram.guarantor_share > 0).order_by(RiskProgram.id)).scalars()]


@bp.route("/guarantees/new", methods=["GET", "POST"])
@require(*BANK)
def new_guarantee():
    loan_id = request.values.get("loan_id", type=int) or abort(404)
    loan = application_service.get_loan(current_user, loan_id)
    form = GuaranteeForm(loan_id=loan.id)
    _choices(form)
    done, status = submit(form, GuaranteeIn(), lambda data: guarantee_service.request_guarantee(current_user, data),
                          extra={"loan_id": loan.id})
    if done is None:
        return render_template("risk/guarantee_new.html", form=form, loan=loan), status
    flash(f"已向担保机构申请担保（第 {done.id} 号），待其审核")
    return redirect(url_for("loans.loan", loan_id=loan.id))


def _guarantees_page(reject_forms=None, status=200):
    table = page_of(guarantee_service.guarantees(current_user))
    names = dict(db.session.execute(select(Institution.id, Institution.name).where(
        Institution.id.in_({g.agency_id for g in table.rows}))).all())
    agency = db.session.get(Institution, current_user.institution_id) if current_user.role == "guarantor" else None
    return render_template("risk/guarantees.html", table=table, names=names, labels=GUARANTEE_LABELS,
                           reject_forms=reject_forms or {}, decide=current_user.role == "guarantor",
                           figures=guarantee_service.agency_figures(agency) if agency else None), status


@bp.route("/guarantees")
@require(*BANK, "guarantor")
def guarantees():
    return _guarantees_page()


@bp.route("/guarantees/<int:guarantee_id>/accept", methods=["POST"])
@require("guarantor")
def accept_guarantee(guarantee_id):
    return _decide(guarantee_id, Form(), lambda: guarantee_service.accept(current_user, guarantee_id), "已接受担保")


@bp.route("/guarantees/<int:guarantee_id>/reject", methods=["POST"])
@require("guarantor")
def reject_guarantee(guarantee_id):
    form = DecisionForm()
    return _decide(guarantee_id, form, lambda: guarantee_service.reject(current_user, guarantee_id,
                                                                         form.reason.data.strip()), "已拒绝担保")


def _decide(guarantee_id, form, action, done):
    if not form.validate_on_submit():
        return _guarantees_page({guarantee_id: form} if isinstance(form, DecisionForm) else None, 422)
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        show_errors(form, exc)
        flash(f"未能办理：{chinese(exc.message)}")
        return _guarantees_page(status=exc.status)
    flash(f"{done}（第 {guarantee_id} 号）")
    return redirect(url_for("risk.guarantees"))



# --- funds

SOURCE_LABELS = {"budget": "财政预算拨款", "interest": "存款利息", "other": "其他"}
KIND_LABELS = {"fund_contribution": "注资", "fund_payout": "代偿支出", "fund_recovery": "追偿收回"}


class FundForm(Form):
    name = StringField("基金名称", validators=[DataRequired("必填"), Length(max=200, message="最多 200 个字")])
    region_code = StringField("覆盖区域代码", validators=[DataRequired("必填"), Regexp(r"\A\s*\d{6}\s*\Z",
                                                                                     message="六位行政区划代码")],
                              description="如 370100（济南市，含其下各区县）", render_kw={"inputmode": "numeric"})
    program_id = SelectField("风险分担项目", coerce=int, validators=[InputRequired("必填")])


class ContributionForm(Form):
    amount = DecimalField("金额（元）", places=None, render_kw={"inputmode": "decimal"}, validators=[
        InputRequired("必填"), Parsed(), Places(2), NumberRange(min=Decimal("0.01"), message="须大于 0")])
    source = SelectField("来源", choices=[SelectChoice(k, v) for k, v in SOURCE_LABELS.items()])
    received_on = DateField("到账日期", validators=[InputRequired("必填")])


def _fund_form() -> FundForm:
    form = FundForm()
    form.program_id.choices = [SelectChoice(p.id, f"{p.name}（基金分担 {p.fund_share:.0%}）") for p in db.session.execute(
        select(RiskProgram).where(RiskProgram.fund_share > 0).order_by(RiskProgram.id)).scalars()]
    return form


def _funds_page(form, status=200):
    table = page_of(fund_service.funds(current_user))
    return render_template("risk/funds.html", table=table, form=form,
                           figures={f.id: fund_service.figures(f) for f in table.rows}), status


@bp.route("/funds", methods=["GET", "POST"])
@require("fund_manager")
def funds():
    form = _fund_form()
    fund, status = submit(form, FundIn(), lambda data: fund_service.create_fund(current_user, data))
    if fund is None:
        return _funds_page(form, status)
    flash(f"已设立风险补偿基金：{fund.name}")
    return redirect(url_for("risk.fund", fund_id=fund.id))


def _fund_page(fund_id, form=None, status=200):
    fund = fund_service.get_fund(current_user, fund_id)
    rows = db.session.execute(fund_service.ledger_of(fund)).all()
    return render_template("risk/fund.html", fund=fund, figures=fund_service.figures(fund), rows=rows,
                           form=form or ContributionForm(), kinds=KIND_LABELS), status


@bp.route("/funds/<int:fund_id>", methods=["GET", "POST"])
@require("fund_manager")
def fund(fund_id):
    form = ContributionForm()
    if not form.is_submitted():
        return _fund_page(fund_id, form)
    done, status = submit(form, ContributionIn(), lambda data: fund_service.contribute(current_user, fund_id, data))
    if done is None:
        return _fund_page(fund_id, form, status)
    flash(f"已入账注资 {done.amount:,.2f} 元")
    return redirect(url_for("risk.fund", fund_id=fund_id))


# --- claims

CLAIM_LABELS = {"filed": "待基金审核", "approved": "已批准，待支付", "rejected": "已拒绝", "paid": "已代偿"}
PARTY_SHORT = {"guarantor": "担保", "reguarantor": "再担保", "bank": "银行", "fund": "基金"}


class ClaimForm(Form):
    loan_id = IntegerField("贷款编号", render_kw={"inputmode": "numeric"},
                           validators=[InputRequired("必填"), Parsed(), NumberRange(1, MAX_ID, "请核对编号")])
    fund_id = IntegerField("风险补偿基金编号", render_kw={"inputmode": "numeric"},
                           validators=[InputRequired("必填"), Parsed(), NumberRange(1, MAX_ID, "请核对编号")],
                           description="覆盖该贷款借款人所在区域、属同一风险分担项目的基金")


class RecoveryForm(Form):
    """A recovery on a defaulted loan (the page's counterpart of POST /loans/{id}/recoveries). Its fields have
    ids of their own: the claim form on the same page has a loan_id too."""
    loan_id = IntegerField("贷款编号", id="recovery-loan_id", render_kw={"inputmode": "numeric"},
                           validators=[InputRequired("必填"), Parsed(), NumberRange(1, MAX_ID, "请核对编号")])
    amount = DecimalField("回收金额（元）", id="recovery-amount", places=None, render_kw={"inputmode": "decimal"},
                          validators=[InputRequired("必填"), Parsed(), Places(2),
                                      NumberRange(min=Decimal("0.01"), message="须大于 0")],
                          description="按还款顺序冲抵贷款（罚息、逾期利息、逾期本金……，余额提前还本）")
    received_on = DateField("到账日期", id="recovery-received_on", default=cob.open_date,
                            validators=[InputRequired("必填")], description="不能晚于当前营业日，不能早于放款日")
    source = SelectField("回收来源", id="recovery-source",
                         choices=[SelectChoice(k, v) for k, v in RECOVERY_SOURCE_LABELS.items()])


def _claims_page(form=None, recovery_form=None, reject_forms=None, status=200):
    """The claims, each with its recoveries; for the bank, the forms to file a claim and record a recovery
    (the one not posted shown empty, not filled from the other's post)."""
    table = page_of(claim_service.claims(current_user))
    recoveries = recovery_service.by_claim([claim.id for claim in table.rows])
    bank = current_user.role in BANK
    return render_template("risk/claims.html", table=table, labels=CLAIM_LABELS, parties=PARTIES,
                           short=PARTY_SHORT, recoveries=recoveries, sources=RECOVERY_SOURCE_LABELS,
                           form=(form or ClaimForm(formdata=None)) if bank else None,
                           recovery_form=(recovery_form or RecoveryForm(formdata=None)) if bank else None,
                           decide=current_user.role == "fund_manager", reject_forms=reject_forms or {}), status


@bp.route("/claims", methods=["GET", "POST"])
@require(*BANK, "fund_manager")
def claims():
    if current_user.role not in BANK or request.method == "GET":
        return _claims_page()
    form = ClaimForm()
    done, status = submit(form, ClaimIn(), lambda data: claim_service.file_claim(current_user, data))
    if done is None:
        return _claims_page(form, status=status)
    flash(f"已提交代偿申请（第 {done.id} 号），净损失 {done.net_loss:,.2f} 元")
    return redirect(url_for("risk.claims"))


@bp.route("/claims/<int:claim_id>/<action>", methods=["POST"])
@require("fund_manager")
def decide_claim(claim_id, action):
    actions = {"approve": (lambda form: claim_service.approve(current_user, claim_id), "已批准"),
               "pay": (lambda form: claim_service.pay(current_user, claim_id), "已支付基金分担部分"),
               "reject": (lambda form: claim_service.reject(current_user, claim_id, form.reason.data.strip()),
                          "已拒绝")}
    if action not in actions:
        abort(404)
    form = DecisionForm() if action == "reject" else Form()
    if not form.validate_on_submit():
        return _claims_page(reject_forms={claim_id: form} if action == "reject" else None, status=422)
    run, done = actions[action]
    try:
        run(form)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        flash(f"未能办理：{chinese(exc.message)}")
        return _claims_page(status=exc.status)
    flash(f"{done}（第 {claim_id} 号代偿申请）")
    return redirect(url_for("risk.claims"))


def _recovered(recovery) -> str:
    """What the flash says a recovery did to its loan's claim."""
    text = f"已登记贷款 {recovery.loan_id} 的追偿回收 {recovery.amount:,.2f} 元"
    if recovery.claim_effect == "lowered_net_loss":
        text += f"，冲减第 {recovery.claim_id} 号代偿申请的净损失 {recovery.shared:,.2f} 元"
    elif recovery.claim_effect == "shared_back" and recovery.shared > 0:
        text += (f"，按分担比例退回 {recovery.shared:,.2f} 元，其中风险补偿基金 "
                 f"{Decimal(recovery.split.get('fund', '0')):,.2f} 元")
    elif recovery.claim_effect == "shared_back":
        text += f"；第 {recovery.claim_id} 号代偿申请的净损失已全部收回，不再分摊"
    return text


@bp.route("/recoveries", methods=["POST"])
@require(*BANK)
def record_recovery():
    form = RecoveryForm()
    done, status = submit(form, RecoveryIn(),
                          lambda data: recovery_service.record(current_user, form.loan_id.data, data))
    if done is None:
        return _claims_page(recovery_form=form, status=status)
    flash(_recovered(done))
    return redirect(url_for("risk.claims"))
