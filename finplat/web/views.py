"""Pages for people: login, logout and the home page of each role."""
import re
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from finplat import cob
from finplat.auth import service
from finplat.auth.permissions import require
from finplat.auth.roles import KIND_LABELS, ROLE_LABELS
from finplat.errors import DomainError
from finplat.web.forms import Form, rerender, show_errors

bp = Blueprint("web", __name__)


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "autocorrect": "off", "spellcheck": "false", "autofocus": True})
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


# Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\evil" and "/\t/evil"
# lead off-site just as "//evil" does.
_UNSAFE = re.compile(r"[\\\x00-\x20\x7f]")


def _safe_next(target):
    """`target` when it is a path on this site, the home page otherwise (no open redirect)."""
    if not target or _UNSAFE.search(target):
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.login(form.username.data, form.password.data, request.remote_addr or "unknown")
        except DomainError as exc:
            return rerender("web/login.html", form, status=show_errors(form, exc))
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    if form.errors:
        return rerender("web/login.html", form)
    return render_template("web/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        service.logout(current_user, request.remote_addr or "unknown")
    logout_user()
    flash("已退出登录")
    return redirect(url_for("web.login"))


@bp.route("/")
@require()
def home():
    return render_template("web/home.html", user=current_user, business_date=cob.open_date(),
                           role_labels=ROLE_LABELS, kind_labels=KIND_LABELS)
