"""Risk pages: `/risk/programs` lists the risk-sharing programs for every institution user and lets an admin
set one up (the same schema and service as POST /risk-programs)."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from finplat.auth.permissions import require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.risk import program_service
from finplat.risk.program_schemas import ProgramIn
from finplat.risk.sharing import PARTIES
from finplat.web.forms import Form, Parsed, Places, submit
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
