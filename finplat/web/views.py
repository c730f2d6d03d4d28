from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from finplat import cob
from finplat.auth import service
from finplat.auth.permissions import require
from finplat.errors import DomainError
from finplat.web.forms import rerender, show_errors

bp = Blueprint("web", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])


def _safe_next(target):
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.login(form.username.data, form.password.data, request.remote_addr or "unknown")
        except DomainError as exc:
            show_errors(form, exc)
            return render_template("web/login.html", form=form), exc.status
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    if form.errors:
        return rerender("web/login.html", form)
    return render_template("web/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("已退出登录")
    return redirect(url_for("web.login"))


@bp.route("/")
@require()
def home():
    return render_template("web/home.html", user=current_user, business_date=cob.open_date())
