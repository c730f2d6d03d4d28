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


UNDERWRITING_LABELS = {
    "valuation_missing": "缺少有效的认证评估", "valuation_expired": "评估已过期", "ltv_exceeded": "抵质押率超过上限",
    "term_beyond_right": "贷款到期日晚于产权期限届满前一年", "collateral_encumbered": "押品已冻结或已设定抵质押",
    "consent_missing": "缺少同意书或备案", "fire_insurance_missing": "森林火灾保险未覆盖贷款期限",
    "borrower_in_default": "借款人有违约贷款",
}

# Registry words that the services' messages name (party kinds, right kinds, consent kinds, fields).
REGISTRY_LABELS = {
    "household": "农户", "collective": "村集体经济组织", "enterprise": "企业",
    "land_management": "土地经营权", "house": "农民住房财产权", "construction_land": "集体经营性建设用地使用权",
    "forest": "林权", "water_facility": "小型水利设施产权",
    "co_owner": "共有人同意书", "collective_filing": "集体备案", "collective_consent": "集体同意书",
    "villagers_meeting": "村民会议决议", "contractor": "承包方同意书", "other_residence": "其他稳定居所证明",
    "active": "正常", "encumbered": "已设定抵质押", "frozen": "已冻结", "disposed": "已处置", "expired": "已到期",
    "withdrawn": "已注销",
    "mu": "亩", "m2": "平方米", "id_number": "户主身份证号", "uscc": "统一社会信用代码", "collective_id": "所属村集体",
    "village": "村", "members": "家庭成员", "legal_representative": "法定代表人",
    "land_class": "土地类别", "use": "用途", "cropland": "耕地", "grassland": "草地", "forest_land": "林地",
    "industrial": "工业", "warehouse": "仓储", "commercial": "商业", "tourism": "旅游", "entertainment": "娱乐",
    "other": "其他",
}

# Valuation words: methods, statuses, input sources, structures (finplat.valuation).
VALUATION_LABELS = {
    "income_capitalisation": "收益还原法", "land_price_coefficient": "基准地价系数修正法", "cost": "成本法",
    "market_comparison": "市场比较法", "share_nav": "股权净资产法",
    "draft": "草稿", "certified": "已认证", "superseded": "已被取代", "expired": "已过期",
    "appraiser": "评估师填写", "registry": "登记簿", "reference": "参考数据", "default": "默认值",
    "reinforced_concrete": "钢筋混凝土", "brick_concrete": "砖混", "brick_wood": "砖木", "simple": "简易",
    "collective_shares": "集体资产股权", "homestead": "宅基地",
}


# Loan words: collateral kinds, repayment methods, LPR tenors (finplat.loans).
GUARANTEE_LABELS = {"requested": "待担保机构审核", "active": "已生效", "rejected": "已拒绝", "released": "已解除",
                    "called": "已代偿"}
RECOVERY_SOURCE_LABELS = {"disposal": "处置抵押物", "borrower": "借款人还款", "guarantor": "担保人代偿", "other": "其他"}
CLASS_LABELS = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}
LOAN_LABELS = {
    "land_management": "土地经营权", "house": "农民住房财产权", "construction_land": "集体经营性建设用地使用权",
    "forest": "林权", "water_facility": "小型水利设施产权", "collective_shares": "集体资产股权",
    "equal_instalment": "等额本息", "equal_principal": "等额本金", "monthly_interest_bullet": "按月付息到期还本",
    "quarterly_interest_bullet": "按季付息到期还本", "lump_sum": "到期一次还本付息",
    "1y": "1 年期 LPR", "5y": "5 年期以上 LPR",
}


def _loan_words(text: str) -> str:
    return "、".join(LOAN_LABELS.get(w.strip(), w.strip()) for w in text.split(","))


def _checks(text: str) -> str:
    """Underwriting checks named in a message ("ltv_exceeded, consent_missing") in Chinese."""
    return "、".join(UNDERWRITING_LABELS.get(c.strip(), c.strip()) for c in text.split(","))


def _valuation_word(word: str) -> str:
    return VALUATION_LABELS.get(word, REGISTRY_LABELS.get(word, word))


def _label(word: str) -> str:
    return REGISTRY_LABELS.get(word, word)


def _kinds(text: str) -> str:
    return "或".join(KIND_LABELS.get(k, REGISTRY_LABELS.get(k, k)) for k in text.split(" or "))


def _role(name: str) -> str:
    return ROLE_LABELS.get(name, name)


# (pattern matching the whole English message, Chinese template or function of the match)
_MESSAGES = [
    (r"the (\w+) role may not do this", lambda m: f"{_role(m[1])}无权办理此项业务"),
    (r"no collective (\d+)", "没有这个村集体经济组织"),
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
    # Valuation (finplat/valuation/service.py, derivation.py, methods.py, method_schemas.py). Before the
    # registry's patterns, whose "must be (\S+) (\S+)" would read "must be a list".
    (r"a (\w+) collateral is valued by (.+)", lambda m: f"{_valuation_word(m[1])}只能采用"
     + "或".join(_valuation_word(k.strip()) for k in m[2].split(",")) + "评估"),
    (r"agency (.+) holds no appraisal certification", lambda m: f"评估机构{m[1]}没有评估资质证书，不能认证"),
    (r"agency (.+)'s certification expired on (\S+)", lambda m: f"评估机构{m[1]}的资质已于 {m[2]} 到期，不能认证"),
    (r"only an appraiser of the agency that made the valuation may certify it",
     "只有出具该评估的评估机构的评估师可以认证"),
    (r"right \d+ is (\w+): it cannot be valued", lambda m: f"该产权{_label(m[1])}，不能评估"),
    (r"right \d+ is (\w+): its valuation cannot be certified", lambda m: f"该产权{_label(m[1])}，其评估不能认证"),
    (r"shareholding \d+ holds no shares", "该股权持股数为 0，不能评估"),
    (r"valuation \d+ is of (\S+): past its 12 months, request a new one",
     lambda m: f"该评估的评估基准日为 {m[1]}，已超过 12 个月，请重新评估"),
    (r"a valuation of a later date is certified: valuation \d+ cannot replace it",
     "已有评估基准日更晚的认证评估，本评估不能取代它"),
    (r"valuations are requested by an appraiser of an appraisal agency", "只有评估机构的评估师可以申请评估"),
    (r"valuation \d+ is (\w+): only a draft can be certified",
     lambda m: f"该评估{_valuation_word(m[1])}：只有草稿可以认证"),
    (r"must not exceed the right's remaining term, (\S+) years", lambda m: f"不能超过产权的剩余期限 {m[1]} 年"),
    (r"give it: it cannot be derived", "无法从登记簿或参考数据得出，请填写"),
    (r"give it: a share's dividends are not in the reference data", "参考数据中没有股权分红收益，请填写"),
    (r"give it: the right has no term to run", "该产权未登记期限，请填写"),
    (r"the right's term has run out", "该产权的期限已届满"),
    (r"no net income per mu in force for (\w+) (.+) in region (\d+)",
     lambda m: f"行政区划 {m[3]} 没有现行有效的{_label(m[1])}"
     + ("" if m[2] == "*" else f"（{m[2]}）") + "亩均年净收益参考数据，请填写年净收益"),
    (r"no capitalisation rate in force for (\w+) in region (\d+)",
     lambda m: f"行政区划 {m[2]} 没有现行有效的{_valuation_word(m[1])}还原率参考数据，请填写还原率"),
    (r"no benchmark land price in force for (\S+) grade (.+) in region (\d+)",
     lambda m: f"行政区划 {m[3]} 没有现行有效的{_label(m[1])}用地"
     + ("" if m[2] == "*" else f"（{m[2]} 级）") + "基准地价参考数据，请填写基准地价"),
    (r"no maximum term for use (\S+)", lambda m: f"用途“{_label(m[1])}”没有规定的最高出让年限，请填写"),
    (r"no replacement cost in force for (\S+) in region (\d+)",
     lambda m: f"行政区划 {m[2]} 没有现行有效的{_valuation_word(m[1])}结构重置成本参考数据，请填写重置单价"),
    (r"no homestead land price in force in region (\d+)",
     lambda m: f"行政区划 {m[1]} 没有现行有效的宅基地基准地价参考数据，请填写土地价值"),
    (r"give at least three comparable transactions", "请填写至少三个可比交易实例"),
    (r"no net assets of the collective in force", "没有该村集体经济组织现行有效的净资产数据，请填写净资产"),
    (r"required", "必填"),
    (r"must be a whole number", "须为整数"),
    (r"must be a decimal number", "须为数字"),
    (r"must be greater than 0", "须大于 0"),
    (r"must not be negative", "不能为负数"),
    (r"must be a list", "须为列表"),
    (r"must sum to more than -1", "各项修正系数之和须大于 -1"),
    (r"must not exceed max_years", "不能超过该用途的最高出让年限"),
    (r"unknown structure; one of: .*", "房屋结构须为钢筋混凝土、砖混、砖木或简易"),
    (r"must have a price, an area and factors", "须有价格、面积和修正系数"),
    (r"at least three comparables", "至少需要三个可比实例"),
    (r"must not exceed total_shares", "不能超过总股数"),
    (r"gives a value too large to record", "得出的价值过大，无法记录：请核对"),
    (r"unknown method; one of: .*", "不认识的评估方法"),
    (r"unknown input", "该评估方法不使用此项"),
    (r"Longer than maximum length (\d+)\.", lambda m: f"最多 {m[1]} 个"),
    (r"Not a valid list\.", "须为列表"),
    (r"Not a valid mapping type\.", "格式不正确"),
    (r"the form expired or did not come from this site: reload and retry",
     "表单已过期或不是从本站提交的：请刷新页面后重试"),
    # The registry's services (party_service, right_service, right_rules, share_service, identity).
    (r"must be 18 characters, not (\d+)", lambda m: f"须为 18 位，现为 {m[1]} 位"),
    (r"must be 17 digits and a digit or X", "前 17 位须为数字，最后一位为数字或 X"),
    (r"the birth date is not a real date", "出生日期不是真实的日期"),
    (r"the birth date is out of range", "出生日期超出范围"),
    (r"check character should be (\S), not (\S)", lambda m: f"校验码应为 {m[1]}，不是 {m[2]}：请核对号码"),
    (r"characters (\S+) are not used in credit codes", lambda m: f"统一社会信用代码不使用字符 {m[1]}"),
    (r"repeats (\S+)", "与本次填写的另一人号码重复"),
    (r"already registered", "该号码已登记"),
    (r"already registered: .*", "号码已登记"),
    (r"a (\w+) needs its (\w+)", lambda m: f"{_label(m[1])}须填写{_label(m[2])}"),
    (r"no such party", "没有这个主体"),
    (r"party (\d+) is not a collective \(kind (\w+)\)", lambda m: f"主体 {m[1]} 是{_label(m[2])}，不是村集体经济组织"),
    (r"a (\w+) right is held by a (.+), not a (\w+)",
     lambda m: f"{_label(m[1])}的权利人须为{_kinds(m[2])}，不能是{_label(m[3])}"),
    (r"a (\w+) right's area is registered in (.+)", lambda m: f"{_label(m[1])}的面积单位须为{_kinds(m[2])}"),
    (r"a (\w+) right is registered with its term", lambda m: f"{_label(m[1])}须登记期限"),
    (r"a term needs both its start and its end", "期限须同时填写起止日期"),
    (r"must be after term_start", "须晚于起始日期"),
    (r"at most (\d+) years for (\w+) (\w+): no later than (\S+)",
     lambda m: f"{_label(m[3])}最长 {m[1]} 年：不得晚于 {m[4]}"),
    (r"must not be after the current year", "不能晚于今年"),
    (r"a right with that certificate number is registered", "该证书编号已登记"),
    (r"a (\w+) comes from a collective, not a (\w+)", lambda m: f"{_label(m[1])}须由村集体经济组织出具，不能是{_label(m[2])}"),
    (r"(\S+) of the holding's (\S+) shares are already pledged", lambda m: f"该股权的 {m[2]} 股中已有 {m[1]} 股出质"),
    (r"the right's term ended on (\S+)", lambda m: f"该产权的期限已于 {m[1]} 届满"),
    (r"(\S+) is already secured on the right: (\S+) more passes the limit of (\S+)",
     lambda m: f"该产权已担保 {m[1]} 元，再增加 {m[2]} 元将超过上限 {m[3]} 元"),
    (r"(\S+) passes the limit of (\S+)", lambda m: f"{m[1]} 超过上限 {m[2]}"),
    (r"(\S+) shares allocated: more than the total of (\S+)", lambda m: f"已分配 {m[1]} 股，超过总股数 {m[2]}"),
    (r"a pledge of shares needs a whole number of shares, more than 0", "股权出质须为大于 0 的整数股"),
    (r"a right is mortgaged", "产权只能抵押"),
    (r"shares are pledged", "股权只能质押"),
    (r"give either a right_id or a shareholding_id", "须指定产权或股权之一"),
    (r"lien (\S+) is already released", lambda m: f"抵质押 {m[1]} 已解除"),
    (r"member (\S+) has (\S+) shares pledged: the holding cannot go below them",
     lambda m: f"成员 {m[1]} 已有 {m[2]} 股出质，持股不能低于此数"),
    (r"member (\S+) is listed twice", lambda m: f"成员 {m[1]} 重复出现"),
    (r"must be (\S+) (\S+)", lambda m: f"须为 {m[1]} {m[2]}"),
    (r"must be an amount of yuan", "须为以元为单位的金额"),
    (r"must be an amount with at most two decimals", "金额最多两位小数"),
    (r"must be one of (.*)", lambda m: f"须为以下之一：{m[1]}"),
    (r"only a pledge of a shareholding has shares", "只有股权出质才填写股数"),
    (r"right (\S+) was not registered on (\S+)", lambda m: f"产权 {m[1]} 在 {m[2]} 尚未登记"),
    (r"say what the lien secures", "须注明所担保的债务"),
    (r"the holding has only (\S+) shares", lambda m: f"该成员仅持有 {m[1]} 股"),
    (r"the right is frozen", "该产权已被冻结"),
    (r"the right is (\S+)", lambda m: f"该产权状态为 {_label(m[1])}"),
    (r"the share register was created meanwhile: read it and try again", "股权登记簿刚被他人创建，请刷新后重试"),
    (r"a mortgage of this right needs consents not on file: (.*)",
     lambda m: "办理抵押还缺少：" + "、".join(_label(k.strip()) for k in m[1].split(","))),
    (r"the (\w+) must come from the holder's collective", lambda m: f"{_label(m[1])}须由权利人所在的村集体经济组织出具"),
    (r"a (\w+) right takes no (\w+) consent \(it takes: (.*)\)",
     lambda m: f"{_label(m[1])}不需要{_label(m[2])}"),
    (r"the contractor is a household, not a (\w+)", lambda m: f"承包方须为农户，不能是{_label(m[1])}"),
    (r"the contractor's consent comes from the household holding the contracted right",
     "承包方同意书须由流转来源承包权的权利人（承包农户）出具"),
    (r"only a co_owner consent names a household member", "只有共有人同意书才选择家庭成员"),
    (r"a co-owner's consent is filed under the household that holds the right", "共有人同意书的出具方须填权利人（本户）"),
    (r"a co-owner's consent names the household member who gave it", "请选择签署同意书的家庭成员"),
    (r"not a member of the household that holds the right", "不是权利人家庭的成员"),
    (r"no such household member", "没有这个家庭成员"),
    (r"a bank manager of the lending bank decides", "须由贷款银行的审批人审批"),
    (r"loan \d+ is (\w+)", lambda m: f"该贷款当前状态为 {m[1]}，不能进行此操作"),
    (r"loans are filed by a bank's loan officers", "贷款申请须由银行信贷员提交"),
    (r"no such product", "没有这个贷款产品"),
    (r"the application fails underwriting: (.*)", lambda m: "申请未通过审查：" + _checks(m[1])),
    (r"the maker of an application may not decide it", "申请的经办人不能审批自己的申请"),
    (r"the right is not held by the borrower", "该产权不属于借款人"),
    (r"the shares are not held by the borrower", "该股权不属于借款人"),
    (r"no such shareholding", "没有这个股权"),
    (r"listed twice", "重复列出"),
    (r"not a PDF file", "不是 PDF 文件"),
    (r"the time-stamping authority did not answer: .*", "时间戳服务暂时无法访问，请稍后重试"),
    (r"stored contract (\S+) has changed on disk", "存档的合同文件已被改动，不予提供"),
    (r"the file is empty", "文件是空的"),
    (r"the PDF carries no signature", "该 PDF 没有电子签名"),
    (r"the file is larger than (\d+) bytes", lambda m: f"文件超过 {m[1]} 字节"),
    (r"institution (.+) has no signing certificate", lambda m: f"机构 {m[1]} 没有签名证书"),
    (r"the signing certificate of (.+) cannot be loaded: .*", lambda m: f"{m[1]} 的签名证书无法载入，请检查证书文件和口令"),
    (r"the PDF of contract \d+ is missing from the store", "合同 PDF 文件在存储中缺失"),
    (r"a contracted right passes only to a household: .*",
     "承包经营的土地经营权只能转移给农户；受让方应登记自己的土地经营权并注明流转来源"),
    (r"held by a transferee \((\w+)\): name the contracted right it was let out of",
     lambda m: f"{_label(m[1])}作为受让方持有土地经营权，须填写流转来源的承包方土地经营权编号"),
    (r"must be a land management right of the contracting household", "须为承包农户的土地经营权"),
    (r"is the holder's own contracted right", "不能是受让方自己的承包权"),
    (r"the contracted right is (\w+)", lambda m: f"流转来源的承包权{_label(m[1])}"),
    (r"must not be after the contract term's end, (\S+)", lambda m: f"不能晚于承包期届满日 {m[1]}"),
    (r"no such right", "没有这个产权"),
    (r"must not be after the business date", "不能晚于当前营业日"),
    (r"right \d+ is (\w+): no consent can be recorded", lambda m: f"该产权{_label(m[1])}，不能再记录同意书"),
    (r"right \d+ is (\w+): only an active or encumbered right can be frozen",
     lambda m: f"该产权{_label(m[1])}：只有正常或已设定抵质押的产权可以冻结"),
    (r"right \d+ is (\w+), not frozen", lambda m: f"该产权{_label(m[1])}，未被冻结"),
    (r"right \d+ has a live lien: it cannot be withdrawn", "该产权有未解除的抵质押，不能注销"),
    (r"right \d+ is (\w+): only an active right can be withdrawn", lambda m: f"该产权{_label(m[1])}：只有正常状态的产权可以注销"),
    (r"right \d+ is frozen: it cannot be transferred", "该产权已冻结，不能转移"),
    (r"right \d+ has a live lien: it cannot be transferred", "该产权有未解除的抵质押，不能转移"),
    (r"right \d+ is (\w+): only an active right can be transferred", lambda m: f"该产权{_label(m[1])}：只有正常状态的产权可以转移"),
    (r"the right is already held by this party", "该产权已由此主体持有"),
    (r"no share register for collective (\d+)", "该村集体尚无股权登记簿"),
    (r"party (\d+) is not a household of collective (\d+)(: .*)?", lambda m: f"主体 {m[1]} 不是本集体的成员农户"),
    (r"must differ from from_member_id", "转入方须不同于转出方"),
    (r"member (\d+) holds no shares", lambda m: f"成员 {m[1]} 未持有股份"),
    (r"member (\d+) holds only (\d+) shares", lambda m: f"成员 {m[1]} 仅持有 {m[2]} 股"),
    (r"(\d+) of member (\d+)'s (\d+) shares are pledged",
     lambda m: f"成员 {m[2]} 的 {m[3]} 股中有 {m[1]} 股已出质，出质部分不能转让"),
    (r"invalid fields: .*", "请修改标出的项目后重新提交"),
    (r"Unknown field\.", "不认识的字段"),
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
    # Valuation reference data (finplat/valuation/reference.py and reference_schemas.py).
    (r"unknown dataset (\S+): one of .*", lambda m: f"没有名为 {m[1]} 的参考数据集"),
    (r"(\d+) row\(s\) have errors: nothing written", lambda m: f"有 {m[1]} 行数据有误，未写入任何数据：请修改后重新导入"),
    (r"the file is not (\S+) text", lambda m: f"文件不是 {m[1]} 编码的文本"),
    (r"the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8",
     "文件既不是 UTF-8 也不是 GB18030 编码的文本：请在 Excel 中另存为“CSV UTF-8”格式"),
    (r"not a CSV file: .*", "不是有效的 CSV 文件"),
    (r"unknown columns: (.*) \(known: (.*)\)", lambda m: f"不认识的列：{m[1]}（可用的列：{m[2]}）"),
    (r"columns given twice: (.*)", lambda m: f"列重复：{m[1]}"),
    (r"missing columns: (.*)", lambda m: f"缺少列：{m[1]}"),
    (r"no rows: the file has a header only", "文件只有列名，没有数据行"),
    (r"(.+) is not a folder", lambda m: f"{m[1]} 不是文件夹"),
    (r"no reference data file in (.+): expected (.*)", lambda m: f"{m[1]} 中没有参考数据文件（应为 {m[2]}）"),
    (r"each dataset may be loaded from one file at a time", "每个数据集一次只能从一个文件导入"),
    (r"(\d+) values for (\d+) columns", lambda m: f"该行有 {m[1]} 个值，但只有 {m[2]} 列"),
    (r"a row must be an object of column names and values", "每行须为“列名: 值”的对象"),
    (r"also on row (.+)", lambda m: f"与第 {m[1]} 行重复（同一项目、同一生效日期）"),
    (r"(\S+) is already published for (\S+): a published figure is not changed; give the new figure a later "
     r"effective date", lambda m: f"{m[2]} 生效的数值 {m[1]} 已公布，已公布的数据不能修改：新数值请使用新的生效日期"),
    (r"no collective is registered with this credit code", "没有以该统一社会信用代码登记的村集体经济组织"),
    (r"registered to party (\d+), a (\w+), not a collective",
     lambda m: f"该代码登记的主体 {m[1]} 是{_label(m[2])}，不是村集体经济组织"),
    (r"must be more than 0 and less than 1", "须大于 0 且小于 1"),
    # Loan products and the LPR table (finplat/loans/product_service.py, product_schemas.py, lpr.py).
    (r"a product with that code exists", "已有该代码的产品"),
    (r"upper-case letters, digits, - and _ only, at most 40 \(e\.g\. LAND-MORTGAGE\)",
     "只能用大写字母、数字、连字符和下划线，最多 40 个字符，如 LAND-MORTGAGE"),
    (r"listed twice: (.*)", lambda m: f"重复选择：{_loan_words(m[1])}"),
    (r"choose at least one collateral kind", "请至少选择一种抵质押物"),
    (r"choose at least one repayment method", "请至少选择一种还款方式"),
    (r"must be more than 0", "须大于 0"),
    (r"must be a whole number of months from (\S+) to (\S+)", lambda m: f"须为 {m[1]} 到 {m[2]} 个月的整数"),
    (r"must be a whole number of basis points from (\S+) to (\S+)", lambda m: f"须为 {m[1]} 到 {m[2]} 之间的整数基点"),
    (r"a cap for a kind the product does not accept", "该产品未接受这种抵质押物：请勾选它，或清空此项"),
    (r"must not be less than min_amount", "不能低于最低金额"),
    (r"must not be less than min_term_months", "不能短于最短期限"),
    (r"must be (1y|5y) for a longest term of (\d+) months \(1y up to 60 months, 5y above\)",
     lambda m: f"最长期限为 {m[2]} 个月的产品应为{LOAN_LABELS[m[1]]}（60 个月及以内为 1 年期，以上为 5 年期以上）"),
    (r"must be from (\S+) to (\S+) months under product (\S+)",
     lambda m: f"产品 {m[3]} 的贷款期限须为 {m[1]} 到 {m[2]} 个月"),
    (r"must be from (\S+) to (\S+) under product (\S+)", lambda m: f"产品 {m[3]} 的贷款金额须为 {m[1]} 到 {m[2]} 元"),
    (r"product (\S+) allows (.*)", lambda m: f"产品 {m[1]} 的还款方式只能是{_loan_words(m[2])}"),
    (r"product (\S+) does not accept (.*); it accepts (.*)",
     lambda m: f"产品 {m[1]} 不接受{_loan_words(m[2])}，只接受{_loan_words(m[3])}"),
    (r"product (\S+) does not accept (.*)", lambda m: f"产品 {m[1]} 不接受{_loan_words(m[2])}"),
    (r"no (\S+) LPR is in force on (\S+)(: load the LPR table)?",
     lambda m: f"{m[2]} 没有有效的{LOAN_LABELS.get(m[1], m[1])}" + ("：请先导入 LPR 数据" if m[3] else "")),
    (r"LPR (\S+) with a spread of (\S+) bp gives no positive rate",
     lambda m: f"LPR {m[1]} 加 {m[2]} 基点后利率不为正数"),
    (r"must be a decimal under 0\.2: 3\.10 % is 0\.0310", "须为小于 0.2 的小数：3.10% 填 0.0310"),
    (r"Not a valid boolean\.", "须为是或否"),
    # Origination (finplat/loans/origination_service.py, finplat/idempotency.py).
    (r"the collateral no longer supports (.+?): (.*)", lambda m: "押品情况已变化，不能"
     + {"the loan": "签约", "disbursement": "放款"}.get(m[1], "办理") + "：" + _checks(m[2])),
    (r"a (.+) of the lending bank does this", "须由贷款银行的相应岗位人员办理"),
    (r"the product requires an active guarantee of the loan", "该产品要求融资担保，担保生效后方可放款"),
    (r"the loan's collateral is no longer all under its liens", "押品的抵质押登记已不完整，不能放款"),
    (r"no security contract is written for (.*) yet", lambda m: f"暂不受理以{_loan_words(m[1])}抵押的贷款（尚无抵押合同文本）"),
    # Risk (finplat/risk/).
    (r"(?:shares: )?give a share for each of (.+)", "请填写担保机构、再担保机构、银行和风险补偿基金各自的分担比例"),
    (r"(?:shares: )?each share is from 0 to 1", "每方分担比例须在 0 到 1 之间"),
    (r"(?:shares: )?the shares sum to (\S+), not 1", lambda m: f"各方分担比例合计为 {m[1]}，应为 1"),
    (r"no risk-sharing program (\d+)", lambda m: f"没有第 {m[1]} 号风险分担项目"),
    (r"no such risk-sharing program", "没有这个风险分担项目"),
    (r"no such guarantee agency", "没有这个融资担保机构"),
    (r"a fund manager sets up a fund", "须由风险补偿基金管理人设立"),
    (r"loan (\d+) is (\w+): a claim is for a loan classed substandard or worse",
     lambda m: f"贷款 {m[1]} 当前分类为“{CLASS_LABELS.get(m[2], m[2])}”，次级及以下方可申请代偿"),
    (r"no such fund", "没有这个风险补偿基金"),
    (r"fund (\d+) would cover (\S+), more than 10 x its balance of (\S+)",
     lambda m: f"风险补偿基金 {m[1]} 的覆盖余额将达 {m[2]} 元，超过其余额 {m[3]} 元的 10 倍"),
    (r"portfolio risk is for guarantors, bank managers and fund managers", "组合风险仅供担保机构、银行审批人和基金管理人查询"),
    (r"alerts are for guarantors, bank managers and fund managers", "风险预警仅供担保机构、银行审批人和基金管理人查询"),
    (r"no guarantee agency (\d+)", lambda m: f"没有第 {m[1]} 号融资担保机构"),
    (r"(?:fund_id: )?the fund does not cover loan (\d+) \(its region or program\)",
     lambda m: f"该基金不覆盖贷款 {m[1]}（区域或风险分担项目不符）"),
    (r"loan (\d+) has claim (\d+) already", lambda m: f"贷款 {m[1]} 已有代偿申请（第 {m[2]} 号）"),
    (r"a manager of the fund decides its claims", "须由该基金的管理人办理"),
    (r"claim (\d+) is (\w+)", lambda m: f"第 {m[1]} 号代偿申请当前状态为“{m[2]}”，不能办理"),
    (r"the fund's balance (\S+) does not cover its share (\S+)",
     lambda m: f"基金余额 {m[1]} 元不足以支付其分担的 {m[2]} 元"),
    (r"the program gives a fund no share of a loss", "该风险分担项目中风险补偿基金不分担损失"),
    (r"(?:received_on: )?is after the open business date, (\S+)", lambda m: f"不能晚于当前营业日 {m[1]}"),
    (r"the program gives a guarantor no share of a loss", "该风险分担项目中担保机构不分担损失，不能据此担保"),
    (r"loan (\d+) has guarantee (\d+) requested, active or called",
     lambda m: f"贷款 {m[1]} 已有申请中、生效或已代偿的担保（第 {m[2]} 号）"),
    (r"(?:received_on: )?is before the loan was disbursed, (\S+)", lambda m: f"不能早于放款日 {m[1]}"),
    (r"(?:to: )?is before from, (\S+)", lambda m: f"不能早于起始日期 {m[1]}"),
    (r"a statement covers at most (\d+) years: from \S+ to (\S+) at the latest",
     lambda m: f"对账期间最长 {m[1]} 年，截止日期最晚为 {m[2]}"),
    (r"a guarantor of the agency decides its guarantees", "须由该担保机构的人员办理"),
    (r"guarantee (\d+) is (\w+)", lambda m: f"第 {m[1]} 号担保当前状态为“{m[2]}”，不能办理"),
    (r"agency (\d+) has no net assets and guarantee multiple on record: its cap is unknown",
     lambda m: f"担保机构 {m[1]} 未登记净资产和放大倍数，无法核定担保上限"),
    (r"the agency's guaranteed balance (\S+) and this guarantee's (\S+) pass its cap of (\S+) "
     r"\(net assets x (\S+)\)",
     lambda m: f"在保余额 {m[1]} 元加本笔 {m[2]} 元超过担保上限 {m[3]} 元（净资产 × {m[4]} 倍）"),
    # Servicing (finplat/loans/servicing_service.py).
    (r"(?:amount: )?(\S+) is more than the payoff of (\S+) today", lambda m: f"超过今日结清金额 {m[2]} 元"),
    (r"more than the payoff of (\S+)", lambda m: f"超过今日结清金额 {m[1]} 元"),
    (r"(\S+) is more than the (\S+) due today and less than the payoff: (.+)",
     lambda m: f"{m[1]} 元多于今日应还 {m[2]} 元、少于结清金额，属提前还款：{chinese(m[3])}"),
    (r"choose shorter_term or lower_instalment", "请选择缩短期限或减少每期还款"),
    (r"a (\S+) loan repays its principal at maturity: only lower_instalment is offered",
     lambda m: f"{LOAN_LABELS.get(m[1], m[1])}到期还本，只能选择减少每期还款"),
    (r"(?:amount: )?loan (\d+) was disbursed today: a prepayment is taken from the next business date",
     lambda m: f"贷款 {m[1]} 今日放款，提前还款请于下一营业日办理"),
    (r"no prepayment on the disbursement date", "放款当日不受理提前还款"),
    (r"(?:amount: )?a prepayment pays the (\S+) due today, this period's interest through today \((\S+)\) and "
     r"some principal: at least (\S+)",
     lambda m: f"提前还款须付清今日应还 {m[1]} 元和本期截至今日的利息 {m[2]} 元，并偿还部分本金：至少 {m[3]} 元"),
    (r"a prepayment is at least (\S+)", lambda m: f"提前还款至少 {m[1]} 元"),
    (r"the (\S+) left is less than a fen for each of the (\d+) instalments left: pay the loan off instead",
     lambda m: f"剩余本金 {m[1]} 元不足剩余 {m[2]} 期每期 1 分，请直接结清贷款"),
    (r"a prepayment leaves a balance over due dates after today", "今日之后已无还款日，提前还款后不能留有余额：请直接结清贷款"),
    (r"an instalment of (\S+) does not cover the interest", lambda m: f"每期还款 {m[1]} 元不足以支付利息"),
    (r"loan (\d+) has no schedule version (\d+)", lambda m: f"贷款 {m[1]} 没有第 {m[2]} 版还款计划"),
    (r"loan (\d+) has no schedule yet", lambda m: f"贷款 {m[1]} 尚无还款计划"),
    (r"repayments are booked on the open business date, (\S+)", lambda m: f"还款只能记入当前营业日 {m[1]}"),
    (r"no repayment (\d+) of loan (\d+)", lambda m: f"贷款 {m[2]} 没有第 {m[1]} 号还款"),
    (r"repayment (\d+) is reversed already", lambda m: f"第 {m[1]} 号还款已冲正"),
    (r"repayment (\d+) was booked on (\S+): only a repayment of today, (\S+), is reversed",
     lambda m: f"第 {m[1]} 号还款记于 {m[2]}，只能冲正当日（{m[3]}）的还款"),
    (r"repayment (\d+) came after it: reverse that first", lambda m: f"其后还有第 {m[1]} 号还款，请先冲正该笔"),
    (r"the one who recorded a repayment may not reverse it", "还款的经办人不能冲正自己录入的还款"),
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


def flatten(messages, prefix="") -> dict:
    """Nested messages ({"attributes": {"year_built": [...]}}, {"members": {1: {"id_number": [...]}}}) as
    {"attributes.year_built": [...], "members.1.id_number": [...]}."""
    flat = {}
    for key, value in (messages or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value if isinstance(value, (list, tuple)) else [value]
    return flat


def _attach(form, messages: dict, field_of=None) -> list:
    """Put each field's messages, in Chinese, on the form's field of that name; return the names that are
    not fields of the form. `field_of(name)` may name another field (and a prefix for the message) for a
    message whose name is not a field's: (field name, prefix) or None."""
    unplaced = []
    for name, texts in flatten(messages).items():
        target, prefix = (field_of(name) if field_of else None) or (name, "")
        if target not in form:
            unplaced.append(name)
            continue
        form[target].errors = list(form[target].errors) + [prefix + chinese(t) for t in texts]
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


def load(form, schema, extra=None, field_of=None) -> dict | None:
    """The form's fields that `schema` reads, loaded through it as the API loads a request body: the loaded
    data (trimmed, normalised) to hand to the service, or None with the schema's messages on the form's
    fields. Call it once the form has validated. `extra` adds values the form holds in another shape (a
    household's members typed one per line, a right's attributes); `field_of` as for _attach."""
    try:
        return schema.load({**_payload(form, [name for name in schema.load_fields if name in form]), **(extra or {})})
    except SchemaError as exc:
        messages = flatten(exc.messages)
        for name in _attach(form, messages, field_of):
            form.form_errors.extend(f"{name}：{chinese(t)}" for t in messages[name])
        return None


def values(form, names) -> dict:
    """The fields `names` as the API would receive them (see _payload)."""
    return _payload(form, names)


def show_errors(form, exc: DomainError, field_of=None) -> int:
    """Roll back, attach the error to the fields it names (or to the whole form) and return the status to
    answer with: 422 when the input is at fault field by field, the error's own status otherwise (401 for
    a wrong password, 409 when COB is already running, 500 when a COB step fails)."""
    db.session.rollback()
    fields = flatten(exc.fields or {})
    if len(_attach(form, fields, field_of)) < len(fields):  # at least one of the fields it names is on the form
        return 422
    form.form_errors.append(chinese(exc.message))
    return exc.status


def submit(form, schema, action, extra=None, field_of=None):
    """(result, status) of a form post: `action(data)` for a submission that passes the form, the API's
    schema and the service; otherwise (None, the status to show the form again with): 200 when nothing
    was submitted, 422 (or the service error's status) with messages on the fields. `extra` (a dict, or a
    callable of the validated form returning one, or None after putting its own messages on the form) and
    `field_of` as for load()."""
    if not form.validate_on_submit():
        return None, 422 if form.errors else 200
    if callable(extra):
        extra = extra(form)
        if extra is None:
            return None, 422
    data = load(form, schema, extra, field_of)
    if data is None:
        return None, 422
    try:
        return action(data), 200
    except DomainError as exc:
        return None, show_errors(form, exc, field_of)


def rerender(template, form, status=422, **context):
    """The form again, with its messages, as 422 (unless told otherwise) so that clients can tell a
    refusal from a success."""
    return render_template(template, form=form, **context), status
