"""Pages for people: login, logout and the home page of each role."""
import re
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from finplat import cob
from finplat.auth import service
from finplat.auth.permissions import require
from finplat.auth.roles import KIND_LABELS, ROLE_LABELS
from finplat.auth.schemas import TokenRequest
from finplat.web.forms import Form, rerender, submit

bp = Blueprint("web", __name__)


class LoginForm(Form):
    """Checked, once it validates, with the API's TokenRequest: the same user name logs in on both."""
    username = StringField("用户名",
                           validators=[DataRequired(message="请输入用户名"), Length(max=64, message="最多 64 个字符")],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "autocorrect": "off", "spellcheck": "false", "autofocus": True})
    password = PasswordField("密码",
                             validators=[InputRequired(message="请输入密码"), Length(max=256, message="最多 256 个字符")],
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
    user, status = submit(form, TokenRequest(), lambda data: service.login(
        data["username"], data["password"], request.remote_addr or "unknown"))
    if user is None:
        return rerender("web/login.html", form, status=status)
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


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
