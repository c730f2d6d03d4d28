"""The loan pages' forms. The application form mirrors LoanIn (the API's schema decides what is valid); its
collateral is typed as the registry numbers it: rights by id, pledged shares as `shareholding id:shares`."""
import re
from decimal import Decimal

from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from finplat.api_base import MAX_AMOUNT, MAX_ID
from finplat.loans.models import MAX_TERM_MONTHS, REPAYMENT_METHODS
from finplat.web.forms import LOAN_LABELS, Form, Parsed, Places

REQUIRED = "必填"
PREPAYMENT_CHOICES = [SelectChoice("shorter_term", "缩短期限（每期还款额不变）"),
                      SelectChoice("lower_instalment", "减少每期还款（到期日不变）")]
_IDS = re.compile(r"[\s,，、;；]+")
_PLEDGE = re.compile(r"\A(\d+)\s*[:：]\s*(\d+)\Z")


class ApplicationForm(Form):
    product_id = SelectField("贷款产品", coerce=int, validators=[InputRequired(REQUIRED)])
    borrower_id = IntegerField("借款人主体编号", render_kw={"inputmode": "numeric"},
                               validators=[InputRequired(REQUIRED), Parsed(), NumberRange(1, MAX_ID, "请核对编号")],
                               description="登记簿中的农户、村集体或企业编号（在“登记簿查询”中查得）")
    amount = DecimalField("申请金额（元）", places=None, render_kw={"inputmode": "decimal"}, validators=[
        InputRequired(REQUIRED), Parsed(), Places(2), NumberRange(min=Decimal("0.01"), max=MAX_AMOUNT, message="须大于 0")])
    term_months = IntegerField("期限（月）", render_kw={"inputmode": "numeric"}, validators=[
        InputRequired(REQUIRED), Parsed(), NumberRange(1, MAX_TERM_MONTHS, f"须为 1 到 {MAX_TERM_MONTHS} 个月")])
    repayment_method = SelectField("还款方式", choices=[SelectChoice(m, LOAN_LABELS[m]) for m in REPAYMENT_METHODS])
    purpose = StringField("借款用途", validators=[DataRequired(REQUIRED), Length(max=500, message="最多 500 个字")])
    rights = StringField("抵押产权编号", validators=[Optional()], render_kw={"inputmode": "numeric"},
                         description="一个或多个产权编号，用逗号或空格分开，如 12, 15")
    pledges = TextAreaField("质押股权", validators=[Optional()], render_kw={"rows": 2},
                            description="每行一项：持股编号:质押股数，如 7:300")

    def collateral(self) -> list | None:
        """The collateral as LoanIn reads it, or None with a message on the field at fault."""
        items, ok = [], True
        for token in filter(None, _IDS.split(self.rights.data or "")):
            if not token.isdigit() or not 1 <= int(token) <= MAX_ID:
                self.rights.errors = [*self.rights.errors, f"“{token}”不是产权编号"]
                ok = False
            else:
                items.append({"right_id": int(token)})
        for line in filter(None, (line.strip() for line in (self.pledges.data or "").splitlines())):
            match = _PLEDGE.match(line)
            if not match or not 1 <= int(match[1]) <= MAX_ID or not 1 <= int(match[2]) <= 10**9:
                self.pledges.errors = [*self.pledges.errors, f"“{line}”应写作 持股编号:股数"]
                ok = False
            else:
                items.append({"shareholding_id": int(match[1]), "shares": int(match[2])})
        if ok and not items:
            self.rights.errors = [*self.rights.errors, "请至少填写一项抵押产权或质押股权"]
            ok = False
        return items if ok else None


class RejectForm(Form):
    reason = StringField("拒绝理由", validators=[DataRequired(REQUIRED), Length(max=500, message="最多 500 个字")])


class ActionForm(Form):
    """A button that posts (CSRF only)."""


class RepaymentForm(Form):
    amount = DecimalField("还款金额（元）", places=None, render_kw={"inputmode": "decimal"}, validators=[
        InputRequired(REQUIRED), Parsed(), Places(2), NumberRange(min=Decimal("0.01"), max=MAX_AMOUNT, message="须大于 0")],
        description="按罚息、逾期利息、逾期本金、当期利息、当期本金的顺序冲还；还款额等于结清金额即结清贷款")
    prepayment = SelectField("提前还款方式", choices=[SelectChoice("", "不提前还款"), *PREPAYMENT_CHOICES], default="",
                             description="还款额多于今日应还、少于结清金额时，先结清本期截至今日的利息，余额提前偿还本金，"
                                         "并按所选方式重排还款计划（原计划留存备查）")
