"""Admin pages: institutions, users, the business date with close of business, and the audit chain."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import DateField, DecimalField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from finplat import audit, cob
from finplat.api_base import MAX_AMOUNT, MAX_ID
from finplat.audit.service import verify
from finplat.auth import service
from finplat.auth.models import Institution, User
from finplat.auth.passwords import MIN_LENGTH
from finplat.auth.permissions import require, visible
from finplat.auth.roles import INSTITUTION_KINDS, KIND_LABELS, ROLE_INSTITUTION_KIND, ROLE_LABELS, ROLES
from finplat.auth.schemas import InstitutionIn, UserIn
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.web.forms import Form, Parsed, Places, rerender, show_errors, submit
from finplat.web.paging import page_of

bp = Blueprint("admin", __name__, url_prefix="/admin")

REQUIRED = "必填"


def _optional_int(value):
    """An <option value=""> means "none"."""
    return None if value in (None, "") else int(value)


# The checks below give Chinese messages for the usual mistakes; the API's schemas (InstitutionIn, UserIn)
# decide what is valid, and the views load every submission through them.
class InstitutionForm(Form):
    kind = SelectField("类型", choices=[SelectChoice(k, KIND_LABELS[k]) for k in INSTITUTION_KINDS])
    name = StringField("名称", validators=[DataRequired(REQUIRED), Length(max=200, message="最多 200 个字")])
    region_code = StringField(
        "行政区划代码", validators=[Optional(), Regexp(r"\A[0-9]{6}\Z", message="须为六位数字，如 370100（济南市）")],
        description="GB/T 2260 六位代码，如 370100 济南市、370300 淄博市",
        render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"})
    certification_no = StringField("资质证书编号", validators=[Optional(), Length(max=100, message="最多 100 个字符")],
                                   description="仅评估机构填写（必填）")
    certified_until = DateField("资质有效期至", validators=[Optional()], description="仅评估机构填写")
    net_assets = DecimalField("净资产（元）", places=2,
                              validators=[Optional(), Parsed(), Places(2), NumberRange(min=0, message="不能为负数"),
                                          NumberRange(max=MAX_AMOUNT, message=f"不能超过 {MAX_AMOUNT} 元")],
                              description="仅融资担保机构填写", render_kw={"inputmode": "decimal"})
    guarantee_multiple = DecimalField("放大倍数", places=2,
                                      validators=[Optional(), Parsed(), Places(2), NumberRange(min=0.01, max=1000,
                                                                          message="须在 0.01 到 1000 之间")],
                                      description="仅融资担保机构填写：在保余额上限 = 净资产 × 放大倍数",
                                      render_kw={"inputmode": "decimal"})


class UserForm(Form):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64, message="最多 64 个字符")],
                           description="农户以本人手机号（11 位数字）为用户名",
                           render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(f"密码（至少{MIN_LENGTH}位）",
                             validators=[InputRequired(REQUIRED),
                                         Length(min=MIN_LENGTH, max=256, message=f"密码须为 {MIN_LENGTH} 到 256 个字符")],
                             render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH})
    role = SelectField("角色", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    institution_id = SelectField("所属机构", coerce=_optional_int, description="信贷员、银行审批人选银行，其他机构用户选对应类型的机构，农户选“无”",
                                 invalid_choice_message="请从列表中选择机构")
    party_id = IntegerField("农户主体编号", validators=[Optional(), Parsed(), NumberRange(min=1, message="须为正整数"),
                                                NumberRange(max=MAX_ID, message="编号过大，请核对")],
                            description="仅农户填写：其所属农户（家庭）在登记簿中的主体编号",
                            render_kw={"inputmode": "numeric"})
    phone = StringField("手机号",
                        validators=[Optional(), Regexp(r"\A\+?[0-9]{5,19}\Z", message="须为 5 到 19 位数字，可以 + 开头")],
                        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})


class CobForm(Form):
    business_date = DateField("关账至（含）", validators=[InputRequired("请选择日期")],
                              description="从当前营业日起逐日关账，直到所选日期（含）")


@bp.route("/institutions", methods=["GET", "POST"])
@require("admin")
def institutions():
    form = InstitutionForm()

    def page(status=200):
        table = page_of(visible(Institution, current_user).order_by(Institution.id.desc()))
        return render_template("admin/institutions.html", form=form, table=table, labels=KIND_LABELS), status

    inst, status = submit(form, InstitutionIn(), lambda data: service.create_institution(current_user, data))
    if inst is None:
        return page(status)
    flash(f"已创建机构：{inst.name}")
    return redirect(url_for("admin.institutions"))


def _institution_choices():
    """"None" first (farmers), then the institutions grouped by kind, each group labelled in Chinese."""
    rows = sorted(db.session.execute(select(Institution.id, Institution.kind, Institution.name)),
                  key=lambda i: (INSTITUTION_KINDS.index(i.kind), i.name))
    return [SelectChoice("", "无（农户不属于机构）")] + [
        SelectChoice(str(i.id), i.name, optgroup=KIND_LABELS[i.kind]) for i in rows]


@bp.route("/users", methods=["GET", "POST"])
@require("admin")
def users():
    form = UserForm()
    form.institution_id.choices = _institution_choices()

    def page(status=200):
        table = page_of(visible(User, current_user).options(selectinload(User.institution)).order_by(User.id.desc()))
        return render_template("admin/users.html", form=form, table=table, labels=ROLE_LABELS,
                               role_kinds={r: KIND_LABELS[k] if k else None
                                           for r, k in ROLE_INSTITUTION_KIND.items()}), status

    user, status = submit(form, UserIn(), lambda data: service.create_user(current_user, data))
    if user is None:
        return page(status)
    flash(f"已创建用户：{user.username}（{ROLE_LABELS[user.role]}）")
    return redirect(url_for("admin.users"))


@bp.route("/business-date", methods=["GET", "POST"])
@require("admin")
def business_date():
    open_date = cob.open_date()
    form = CobForm(business_date=open_date)
    if form.validate_on_submit():
        target = form.business_date.data
        try:
            summary = cob.run_to(target, actor=current_user)
        except DomainError as exc:
            status = show_errors(form, exc)
            return rerender("admin/business_date.html", form, status=status, open_date=cob.open_date())
        closed = summary["closed"]
        if closed:
            flash(f"已关账 {len(closed)} 个营业日（{closed[0]['business_date']} 至 {closed[-1]['business_date']}），"
                  f"当前营业日 {summary['open_date']}")
        else:
            flash(f"未关账任何日期：{target} 早于当前营业日 {summary['open_date']}，之前的日期均已关账")
        return redirect(url_for("admin.business_date"))
    if form.errors:
        return rerender("admin/business_date.html", form, open_date=open_date)
    return render_template("admin/business_date.html", form=form, open_date=open_date)


_VERDICT_REASONS = (
    ("prev_hash", "它记录的前一条哈希与前一条记录不符（有记录被删除或插入）"),
    ("content", "它的内容与其哈希不符（记录被修改）"),
)


@bp.route("/audit", methods=["GET", "POST"])
@require("admin")
def audit_log():
    """The latest records; a POST (CSRF-checked like every form) walks and verifies the whole chain."""
    verdict = reason = None
    if request.method == "POST":
        verdict = verify()
        if not verdict.ok:
            reason = next((zh for key, zh in _VERDICT_REASONS if key in (verdict.reason or "")), verdict.reason)
    latest = db.session.execute(select(audit.AuditRecord).order_by(audit.AuditRecord.id.desc()).limit(50)).scalars()
    total = db.session.execute(select(func.count()).select_from(audit.AuditRecord)).scalar_one()
    return render_template("admin/audit.html", records=list(latest), total=total, verdict=verdict, reason=reason)
