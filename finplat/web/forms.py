"""Form helpers for the pages: a base form whose built-in messages are Chinese, and the way a service's
DomainError becomes messages on the form's fields.

Services speak English (the API returns their messages as they are). Pages are Chinese first, so the
messages that services raise about form input are translated here; a message without a translation is
shown as it is rather than hidden.
"""
import re

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import i18n
from wtforms.validators import StopValidation

from finplat.auth.roles import KIND_LABELS, ROLE_LABELS
from finplat.errors import DomainError
from finplat.extensions import db

_ZH = i18n.get_translations(("zh_CN", "zh"))


class Form(FlaskForm):
    """A FlaskForm whose validators and fields speak Chinese ("该字段是必填字段。", "不是有效的日期值。")."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _ZH


class Parsed:
    """Stop the chain when the input could not be read as the field's type ("不是有效的小数。"), so that
    range checks after it do not add a second, misleading message about a value that does not exist."""

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()


def _kinds(text: str) -> str:
    return "或".join(KIND_LABELS.get(k, k) for k in text.split(" or "))


def _role(name: str) -> str:
    return ROLE_LABELS.get(name, name)


# (pattern matching the whole English message, Chinese template or function of the match)
_MESSAGES = [
    (r"an institution of that name exists", "已有同名机构"),
    (r"only applies to (.+)", lambda m: f"仅{_kinds(m[1])}填写此项"),
    (r"an appraisal agency needs its certification number", "评估机构须填写资质证书编号"),
    (r"must be at least (\d+) characters", lambda m: f"至少 {m[1]} 个字符"),
    (r"a farmer belongs to a household, not an institution", "农户不属于任何机构：请选择“无（农户不属于机构）”"),
    (r"a farmer needs their household's party_id", "农户须填写所属农户的主体编号"),
    (r"no such household", "没有这个农户主体"),
    (r"only a farmer is linked to a household", "只有农户关联农户主体：请留空"),
    (r"a (\w+) belongs to a (\w+), not a (\w+)",
     lambda m: f"{_role(m[1])}须属于{_kinds(m[2])}，所选机构是{_kinds(m[3])}"),
    (r"a (\w+) belongs to a (\w+)", lambda m: f"{_role(m[1])}须属于{_kinds(m[2])}：请选择所属机构"),
    (r"no such institution", "没有这个机构"),
    (r"that username is taken", "该用户名已被占用"),
    (r"wrong username or password", "用户名或密码错误"),
    (r"too many failed logins: try again later", "登录失败次数过多，请稍后再试"),
    (r"at most (\d+) dates may be closed in one run", lambda m: f"一次最多关账 {m[1]} 个营业日"),
    (r"close of business is already running", "日终处理正在运行，请稍后再试"),
    (r"the open date moved to (\S+) while (\S+) was being closed", lambda m: f"关账 {m[2]} 期间营业日已变为 {m[1]}，请刷新后重试"),
    (r"COB step (\S+) failed on (\S+): (.*)", lambda m: f"日终步骤 {m[1]} 在 {m[2]} 失败：{m[3]}。已完成的步骤不会重复，排除故障后可重新执行"),
]
_COMPILED = [(re.compile(pattern), zh) for pattern, zh in _MESSAGES]


def chinese(message: str) -> str:
    """The Chinese for a service's message, or the message itself when there is none."""
    text = str(message)
    for pattern, zh in _COMPILED:
        match = pattern.fullmatch(text)
        if match:
            return zh(match) if callable(zh) else zh
    return text


def show_errors(form, exc: DomainError) -> int:
    """Roll back, attach the error to the fields it names (or to the whole form) and return the status to
    answer with: 422 when the input is at fault field by field, the error's own status otherwise (401 for
    a wrong password, 409 when COB is already running, 500 when a COB step fails)."""
    db.session.rollback()
    placed = False
    for name, messages in (exc.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            messages = messages if isinstance(messages, (list, tuple)) else [messages]
            field.errors = list(field.errors) + [chinese(m) for m in messages]
            placed = True
    if not placed:
        form.form_errors.append(chinese(exc.message))
    return 422 if placed else exc.status


def rerender(template, form, status=422, **context):
    """The form again, with its messages, as 422 (unless told otherwise) so that clients can tell a
    refusal from a success."""
    return render_template(template, form=form, **context), status
