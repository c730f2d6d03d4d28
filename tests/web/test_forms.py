"""The form helpers: every message a service or a schema can put on a page has a Chinese translation, and a
schema's refusal lands on the form's fields."""
import ast
import importlib
import re
from pathlib import Path

import pytest
from marshmallow import ValidationError
from wtforms import StringField

import finplat
from finplat.auth.schemas import InstitutionIn, TokenRequest, UserIn
from finplat.errors import DomainError
from finplat.web.forms import Form, chinese, load

CJK = re.compile(r"[\u4e00-\u9fff]")
PACKAGE = Path(finplat.__file__).parent


def _service_modules():
    """Every domain's service.py, and the COB runner: the code that raises DomainErrors about input."""
    paths = sorted(PACKAGE.glob("*/*service.py")) + [PACKAGE / "cob.py"]
    return [".".join(("finplat", *path.relative_to(PACKAGE).with_suffix("").parts)) for path in paths]


def _sample(node) -> str | None:
    """The message as the service would format it, each {placeholder} filled with "1"; None when the
    message is not written out in the call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "1" for part in node.values)
    return None


def _raised_messages(module_name):
    """(line, message) of each field_error(field, message) and DomainError subclass(message) in the module."""
    module = importlib.import_module(module_name)
    for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        target = getattr(module, node.func.id, None)
        if node.func.id == "field_error" and len(node.args) >= 2:
            message = _sample(node.args[1])
        elif isinstance(target, type) and issubclass(target, DomainError) and node.args:
            message = _sample(node.args[0])
        else:
            continue
        if message is not None:
            yield node.lineno, message


SERVICE_MESSAGES = {message: f"{name}:{line}" for name in _service_modules()
                    for line, message in sorted(_raised_messages(name), reverse=True)}  # {message: where first}


def test_the_scan_finds_the_messages():
    expected = {"that username is taken", "a 1 belongs to a 1, not a 1", "close of business is already running"}
    assert expected <= set(SERVICE_MESSAGES)


@pytest.mark.parametrize("message", sorted(SERVICE_MESSAGES))
def test_every_message_a_service_raises_has_a_chinese_translation(message):
    assert CJK.search(chinese(message)), \
        f"{SERVICE_MESSAGES[message]}: no translation of {message!r} in finplat/web/forms.py"


def _rule_messages():
    """{message: where} of every message the pure rule modules (`*/*rules.py`) put in a {field: [message]}."""
    found = {}
    for path in sorted(PACKAGE.glob("*/*rules.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for value in node.values:
                    if isinstance(value, ast.List):
                        for item in value.elts:
                            message = _sample(item)
                            if message is not None and " " in message:  # not a list of names
                                found.setdefault(message, f"{path.name}:{item.lineno}")
    return found


RULE_MESSAGES = _rule_messages()


def test_the_rule_scan_finds_the_messages():
    assert {"a co-owner's consent names the household member who gave it", "must be after term_start"} \
        <= set(RULE_MESSAGES)


@pytest.mark.parametrize("message", sorted(RULE_MESSAGES))
def test_every_message_a_rule_gives_has_a_chinese_translation(message):
    assert CJK.search(chinese(message)), f"{RULE_MESSAGES[message]}: no translation of {message!r}"


# What a form can send each schema (strings, and ints for ids): every refusal among them must read in Chinese.
BAD_INPUT = [
    (InstitutionIn, {}),
    (InstitutionIn, {"kind": "casino", "name": " ", "region_code": "370100\n", "certification_no": "x" * 101,
                     "certified_until": "2026-02-30", "net_assets": "1e30", "guarantee_multiple": "0.001"}),
    (InstitutionIn, {"kind": "bank", "name": "x" * 201, "net_assets": "NaN", "guarantee_multiple": "0"}),
    (InstitutionIn, {"kind": "bank", "name": "n\x00", "net_assets": "-1", "guarantee_multiple": "十"}),
    (UserIn, {}),
    (UserIn, {"username": " ", "password": "", "role": "superuser", "institution_id": 0, "party_id": 2**31,
              "phone": "+" + "1" * 20}),
    (UserIn, {"username": "u" * 65, "password": "p" * 257, "role": "admin", "phone": "１３８００１３８０００"}),
    (TokenRequest, {}),
    (TokenRequest, {"username": "", "password": ""}),
]


def _messages(schema, data):
    try:
        schema().load(data)
    except ValidationError as exc:
        return [(field, m) for field, texts in exc.messages.items() for m in texts]
    raise AssertionError(f"{schema.__name__} accepted {data!r}")


@pytest.mark.parametrize("schema, data", BAD_INPUT)
def test_every_message_a_schema_gives_a_form_has_a_chinese_translation(schema, data):
    for field, message in _messages(schema, data):
        assert CJK.search(chinese(message)), f"{schema.__name__}.{field}: no translation of {message!r}"


class NameOnly(Form):
    class Meta:
        csrf = False

    name = StringField()


def test_load_puts_schema_errors_on_fields_and_the_rest_on_the_form(app):
    with app.test_request_context(method="POST", data={"name": "x" * 201}):
        form = NameOnly()
        assert load(form, InstitutionIn()) is None
        assert form.name.errors == ["不能为空，最多 200 个字符"]
        assert form.form_errors == ["kind：必填"]  # not a field of this form


def test_load_returns_the_schemas_data(app):
    with app.test_request_context(method="POST", data={"name": "  济南农商银行 "}):
        assert load(NameOnly(), InstitutionIn(partial=True)) == {"name": "济南农商银行"}


def test_a_failed_cob_step_is_translated_whatever_its_exception_says():
    message = "COB step accrual failed on 2026-11-23: numeric field overflow\nDETAIL: precision 18"
    assert chinese(message).startswith("日终步骤 accrual 在 2026-11-23 失败：numeric field overflow\nDETAIL")
