"""Form helpers for the pages: a base form whose built-in messages are Chinese, the API's schemas as the
one definition of valid input, and the way a schema's or a service's errors become messages on the form's
fields.

A page validates in two steps. WTForms first, for rendering, CSRF and friendly Chinese messages about
ordinary mistakes; then `load()` passes what the form would send through the API's marshmallow schema, so
that no input the API refuses reaches a service from a page, and the service gets the schema's data
(trimmed, normalised) exactly as the API would hand it over.

Schemas and services speak English (the API returns their messages as they are). Pages are Chinese first,
so their messages about input are translated here; a message without a translation is shown as it is
rather than hidden.
"""
import re
from datetime import date
from decimal import Decimal

from flask import render_template
from flask_wtf import FlaskForm
from marshmallow import ValidationError as SchemaError
from wtforms import i18n
from wtforms.validators import StopValidation, ValidationError

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
    range checks after it do not add a second, misleading message about a value that does not exist.
    "NaN", "sNaN" and "Infinity" read as decimals but are not numbers: refused here with the same message."""

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if isinstance(field.data, Decimal) and not field.data.is_finite():
            raise StopValidation(field.gettext("Not a valid decimal value."))


class Places:
    """At most `places` decimal places: "0.004" is refused, as the API refuses it, rather than stored rounded."""

    def __init__(self, places=2):
        self.places = places

    def __call__(self, form, field):
        if field.data is not None and -field.data.as_tuple().exponent > self.places:
            raise ValidationError(f"最多 {self.places} 位小数")


def _kinds(text: str) -> str:
    return "或".join(KIND_LABELS.get(k, k) for k in text.split(" or "))


def _role(name: str) -> str:
    return ROLE_LABELS.get(name, name)


# (pattern matching the whole English message, Chinese template or function of the match)
_MESSAGES = [
    (r"the (\w+) role may not do this", lambda m: f"{_role(m[1])}无权办理此项业务"),
    (r"no (\w+) (\d+)", "未找到该记录，或您无权查看"),
    (r"'(.+)': must not contain NUL characters", "输入中含有不允许的控制字符"),
    (r"an institution of that name exists", "已有同名机构"),
    (r"only applies to (.+)", lambda m: f"仅{_kinds(m[1])}填写此项"),
    (r"an appraisal agency needs its certification number", "评估机构须填写资质证书编号"),
    (r"must be at least (\d+) characters", lambda m: f"至少 {m[1]} 个字符"),
    (r"a farmer belongs to a household, not an institution", "农户不属于任何机构：请选择“无（农户不属于机构）”"),
    (r"a farmer needs their household's party_id", "农户须填写所属农户的主体编号"),
    (r"no such household", "没有这个农户主体"),
    (r"a farmer's username is their mobile phone number \(11 digits\)", "农户以本人手机号（11 位数字）为用户名"),
    (r"a farmer's phone is their username", "农户的手机号就是用户名：请留空或填写与用户名相同的号码"),
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
    # The schemas' messages (finplat.api_base, finplat.auth.schemas, marshmallow's own). The WTForms checks
    # come first and catch the ordinary mistakes, so these are seldom seen.
    (r"must be a six-digit GB/T 2260 code", "须为六位数字，如 370100（济南市）"),
    (r"5 to 19 digits, optionally after a \+", "须为 5 到 19 位数字，可以 + 开头"),
    (r"at most (\d+) decimal places", lambda m: f"最多 {m[1]} 位小数"),
    (r"must be between (\S+) and (\S+)", lambda m: f"须在 {m[1]} 到 {m[2]} 之间"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
     lambda m: f"须在 {m[1]} 到 {m[2]} 之间"),
    (r"not a number|must be a decimal number, as a string", "不是有效的小数。"),
    (r"Not a valid integer\.", "不是有效的整数。"),
    (r"Not a valid date\.", "不是有效的日期值。"),
    (r"Length must be between 1 and (\d+)\.", lambda m: f"不能为空，最多 {m[1]} 个字符"),
    (r"Length must be between (\d+) and (\d+)\.", lambda m: f"须为 {m[1]} 到 {m[2]} 个字符"),
    (r"Must be one of: .*", "不是有效的选择。"),
    (r"Missing data for required field\.|Field may not be null\.", "必填"),
    (r"must not contain NUL characters", "不能含有 NUL 字符"),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), zh) for pattern, zh in _MESSAGES]  # an exception's text may span lines


def chinese(message: str) -> str:
    """The Chinese for a schema's or a service's message, or the message itself when there is none."""
    text = str(message)
    for pattern, zh in _COMPILED:
        match = pattern.fullmatch(text)
        if match:
            return zh(match) if callable(zh) else zh
    return text


def _attach(form, messages: dict) -> list:
    """Put each field's messages, in Chinese, on the form's field of that name; return the names that are
    not fields of the form."""
    unplaced = []
    for name, texts in (messages or {}).items():
        if name not in form:
            unplaced.append(name)
            continue
        texts = texts if isinstance(texts, (list, tuple)) else [texts]
        form[name].errors = list(form[name].errors) + [chinese(t) for t in texts]
    return unplaced


def _payload(form, names) -> dict:
    """The values of fields `names` as the API would receive them in JSON: dates as ISO strings, decimals as
    strings, ints and strings as they are. An empty field is left out (a form sends every field, filled in
    or not); anything typed, blanks included, is sent for the schema to judge."""
    data = {}
    for name in names:
        value = form[name].data
        if value is None or value == "":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        data[name] = value
    return data


def load(form, schema) -> dict | None:
    """The form's fields that `schema` reads, loaded through it as the API loads a request body: the loaded
    data (trimmed, normalised) to hand to the service, or None with the schema's messages on the form's
    fields. Call it once the form has validated."""
    try:
        return schema.load(_payload(form, [name for name in schema.load_fields if name in form]))
    except SchemaError as exc:
        for name in _attach(form, exc.messages):
            form.form_errors.extend(f"{name}：{chinese(t)}" for t in exc.messages[name])
        return None


def show_errors(form, exc: DomainError) -> int:
    """Roll back, attach the error to the fields it names (or to the whole form) and return the status to
    answer with: 422 when the input is at fault field by field, the error's own status otherwise (401 for
    a wrong password, 409 when COB is already running, 500 when a COB step fails)."""
    db.session.rollback()
    fields = exc.fields or {}
    if len(_attach(form, fields)) < len(fields):  # at least one of the fields it names is on the form
        return 422
    form.form_errors.append(chinese(exc.message))
    return exc.status


def submit(form, schema, action):
    """(result, status) of a form post: `action(data)` for a submission that passes the form, the API's
    schema and the service; otherwise (None, the status to show the form again with): 200 when nothing
    was submitted, 422 (or the service error's status) with messages on the fields."""
    if not form.validate_on_submit():
        return None, 422 if form.errors else 200
    data = load(form, schema)
    if data is None:
        return None, 422
    try:
        return action(data), 200
    except DomainError as exc:
        return None, show_errors(form, exc)


def rerender(template, form, status=422, **context):
    """The form again, with its messages, as 422 (unless told otherwise) so that clients can tell a
    refusal from a success."""
    return render_template(template, form=form, **context), status
