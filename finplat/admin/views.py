"""Admin pages: institutions, users, the business date with close of business, and the audit chain."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, DecimalField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from finplat import audit, cob
from finplat.audit.service import verify
from finplat.auth import service
from finplat.auth.models import Institution, User
from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_KINDS, KIND_LABELS, ROLE_LABELS, ROLES
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.web.forms import rerender, show_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


class InstitutionForm(FlaskForm):
    kind = SelectField("类型", choices=[(k, KIND_LABELS[k]) for k in INSTITUTION_KINDS])
    name = StringField("名称", validators=[DataRequired(), Length(max=200)])
    region_code = StringField("行政区划代码", validators=[Optional(), Regexp(r"^\d{6}$", message="六位数字")])
    certification_no = StringField("资质证书编号", validators=[Optional(), Length(max=100)])
    certified_until = DateField("资质有效期至", validators=[Optional()])
    net_assets = DecimalField("净资产（元）", places=2, validators=[Optional(), NumberRange(min=0)])
    guarantee_multiple = DecimalField("放大倍数", places=2, validators=[Optional(), NumberRange(min=0.01, max=1000)])


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码（至少10位）", validators=[DataRequired(), Length(min=10, max=256)])
    role = SelectField("角色", choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    institution_id = SelectField("所属机构", coerce=int, validators=[Optional()])
    party_id = IntegerField("农户（主体编号）", validators=[Optional(), NumberRange(min=1)])
    phone = StringField("手机号", validators=[Optional(), Regexp(r"^\+?\d{5,20}$", message="只能是数字")])


class CobForm(FlaskForm):
    business_date = DateField("关账至（含）", validators=[DataRequired()])


def _data(form, *names):
    return {n: getattr(form, n).data for n in names if getattr(form, n).data not in (None, "")}


@bp.route("/institutions", methods=["GET", "POST"])
@require("admin")
def institutions():
    form = InstitutionForm()
    rows = db.session.execute(select(Institution).order_by(Institution.id)).scalars().all()
    if form.validate_on_submit():
        try:
            inst = service.create_institution(current_user, _data(form, *service.INSTITUTION_FIELDS))
        except DomainError as exc:
            show_errors(form, exc)
            return rerender("admin/institutions.html", form, rows=rows, labels=KIND_LABELS)
        flash(f"已创建机构 {inst.name}")
        return redirect(url_for("admin.institutions"))
    if form.errors:
        return rerender("admin/institutions.html", form, rows=rows, labels=KIND_LABELS)
    return render_template("admin/institutions.html", form=form, rows=rows, labels=KIND_LABELS)


@bp.route("/users", methods=["GET", "POST"])
@require("admin")
def users():
    form = UserForm()
    form.institution_id.choices = [(0, "（农户无所属机构）")] + [
        (i.id, f"{i.name}（{KIND_LABELS[i.kind]}）")
        for i in db.session.execute(select(Institution).order_by(Institution.name)).scalars()]
    rows = db.session.execute(select(User).order_by(User.id)).scalars().all()
    context = {"rows": rows, "labels": ROLE_LABELS}
    if form.validate_on_submit():
        data = _data(form, "username", "password", "role", "party_id", "phone")
        data["institution_id"] = form.institution_id.data or None
        try:
            user = service.create_user(current_user, data)
        except DomainError as exc:
            show_errors(form, exc)
            return rerender("admin/users.html", form, **context)
        flash(f"已创建用户 {user.username}")
        return redirect(url_for("admin.users"))
    if form.errors:
        return rerender("admin/users.html", form, **context)
    return render_template("admin/users.html", form=form, **context)


@bp.route("/business-date", methods=["GET", "POST"])
@require("admin")
def business_date():
    form = CobForm()
    context = {"open_date": cob.open_date()}
    if form.validate_on_submit():
        try:
            summary = cob.run_to(form.business_date.data, actor=current_user)
        except DomainError as exc:
            show_errors(form, exc)
            return rerender("admin/business_date.html", form, **context)
        flash(f"已关账 {len(summary['closed'])} 个营业日，当前营业日 {summary['open_date']}")
        return redirect(url_for("admin.business_date"))
    if form.errors:
        return rerender("admin/business_date.html", form, **context)
    return render_template("admin/business_date.html", form=form, **context)


@bp.route("/audit", methods=["GET", "POST"])
@require("admin")
def audit_log():
    """The latest records; a POST (CSRF-checked like every form) walks and verifies the whole chain."""
    latest = db.session.execute(select(audit.AuditRecord).order_by(audit.AuditRecord.id.desc()).limit(50)).scalars()
    verdict = verify() if request.method == "POST" else None
    return render_template("admin/audit.html", records=list(latest), verdict=verdict)
