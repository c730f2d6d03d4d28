"""What a contract template receives: a plain dict built from a schema, never an ORM object.

`build_context(kind, data)` loads `data` (Decimals or decimal strings, dates or ISO strings) through the
kind's schema, refuses what a contract cannot say (a missing or negative amount, an unknown kind, an LPR of
the wrong tenor, a schedule that does not add up, a forest mortgage without fire insurance over the loan
term ...) with a marshmallow ValidationError, and returns strings, lists and dicts only: amounts as
"256000.00" (templates add the thousands separators with the `money` filter), dates as ISO strings
(`cn_date` writes them 2026年11月23日), rates as "3.80%", ID numbers always masked.
`sample_context(kind)` is a realistic sample of every kind, from the demo village (finplat.demo).

The context of every kind:
    kind, title, contract_no, signing_date, signing_place
    lender      {name, address, legal_representative, uscc, phone}
    borrower    party: {kind, name, id_label, id_number (masked, or the credit code of an organisation),
                        legal_representative, address, phone}
    loan        {contract_no, amount, amount_capital, lpr_tenor, lpr_tenor_text, lpr_rate, lpr_date,
                 spread_bps, spread_text, annual_rate, rate_text ("3.00% + 80 个基点 = 3.80%"), term_months,
                 start_date, maturity_date, repayment_method, repayment_method_text, purpose, repayment_account,
                 penalty_factor, penalty_uplift, penalty_rate, penalty_text ("罚息利率为合同利率上浮 50%")}
    dispute     {method: court|arbitration, body, text}
and by kind:
    loan                        security: [{kind, kind_text, method_text, contract_no, provider}]
    land_mortgage, house_mortgage, construction_land_mortgage, forest_mortgage, share_pledge
                                mortgagor (party: the borrower unless a third party gives the security),
                                third_party (bool), collateral: [{kind, kind_text, certificate_no, holder,
                                location, area, area_unit, area_text, term_end, certified_value, valuation_date,
                                appraisal_agency, appraisal_report_no, secured_amount, ltv, details: [{label,
                                value}]}], collateral_totals {certified_value, secured_amount},
                                max_secured_amount, max_secured_amount_capital, registration_authority,
                                consents: [{kind, kind_text, party, document_ref, signed_on}],
                                insurance {kind_text, insurer, policy_no, insured_until, beneficiary} or None
    guarantee                   guarantor (party), guarantee {amount, amount_capital, ratio, method,
                                method_text, period_years, period_text}
    schedule_annex              schedule: [{number, due_date, principal, interest, payment, balance}],
                                schedule_totals {principal, interest, payment}
"""
from datetime import date, datetime
from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from finplat.api_base import ApiSchema, DecimalString, Money, Name, RateField, Text
from finplat.contracts.numerals import rmb_capital
from finplat.money import to_fen
from finplat.registry.identity import uscc_error
from finplat.security.pii import mask
from finplat.contracts.models import CONTRACT_KINDS

KINDS = CONTRACT_KINDS
TITLES = {
    "loan": "借款合同",
    "land_mortgage": "土地经营权抵押合同",
    "house_mortgage": "农民住房财产权抵押合同",
    "construction_land_mortgage": "集体经营性建设用地使用权抵押合同",
    "forest_mortgage": "林权抵押合同",
    "share_pledge": "集体资产股权质押合同",
    "guarantee": "保证合同",
    "schedule_annex": "还款计划表",
}
SECURITY_KINDS = ("land_mortgage", "house_mortgage", "construction_land_mortgage", "forest_mortgage", "share_pledge")
COLLATERAL_OF = {"land_mortgage": "land_management", "house_mortgage": "house",
                 "construction_land_mortgage": "construction_land", "forest_mortgage": "forest",
                 "share_pledge": "collective_shares"}
COLLATERAL_KINDS = {"land_management": "土地经营权", "house": "农民住房财产权（含宅基地使用权）",
                    "construction_land": "集体经营性建设用地使用权", "forest": "林权（林地使用权及林木所有权）",
                    "collective_shares": "集体资产股权"}
AREA_UNITS = {"mu": "亩", "m2": "平方米", "share": "股"}
REPAYMENT_METHODS = {
    "equal_instalment": "等额本息",
    "equal_principal": "等额本金",
    "monthly_interest_bullet": "按月付息到期还本",
    "quarterly_interest_bullet": "按季付息到期还本",
    "lump_sum": "到期一次还本付息",
}
CONSENT_KINDS = {
    "collective_filing": "发包方（村集体经济组织）备案",
    "collective_consent": "村集体经济组织书面同意",
    "co_owner": "房屋共有人书面同意",
    "villagers_meeting": "村民会议（村民代表会议）决议",
    "contractor": "承包方书面同意",
    "other_residence": "抵押人另有稳定居所的证明",
}
LPR_TENORS = {"1y": "1年期", "5y": "5年期以上"}
PARTY_KINDS = ("household", "collective", "enterprise")
DEFAULT_REGISTRATION = {
    "land_mortgage": "抵押土地所在地农村产权交易中心",
    "house_mortgage": "房屋所在地不动产登记机构",
    "construction_land_mortgage": "土地所在地不动产登记机构",
    "forest_mortgage": "林地所在地不动产登记机构",
    "share_pledge": "本集体经济组织股权登记簿及所在地农村产权交易中心",
}
CN_DIGITS = "零一二三四五六七八九"
_HUNDRED = Decimal(100)

# Figures beyond any contract's reach are refused rather than printed.
MAX_AREA = Decimal("999999999999.99")
POSITIVE = Decimal("0.01")
ID_NUMBER = r"\A[0-9]{6}[0-9*]{11}[0-9Xx*]\Z"


class IsoDate(fields.Date):
    """A date given as a date or an ISO string (a datetime is refused: a contract date has no time)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            raise self.make_error("invalid", input=value, obj_type="date")
        return super()._deserialize(value, attr, data, **kwargs)


# --- input schemas: what build_context accepts

class LenderIn(ApiSchema):
    name = Name(required=True)
    address = Text(300, required=True)
    legal_representative = Name(50, required=True)
    uscc = Name(18, load_default=None)
    phone = Name(30, load_default=None)

    @validates_schema
    def _code(self, data, **kwargs):
        if data.get("uscc") and uscc_error(data["uscc"]):
            raise ValidationError(uscc_error(data["uscc"]), field_name="uscc")


class PartyIn(ApiSchema):
    """A household (natural person: its head's resident ID number, masked here whatever is given) or an
    organisation (collective or enterprise: its unified social credit code, shown in full)."""
    kind = fields.String(load_default="household", validate=validate.OneOf(PARTY_KINDS))
    name = Name(required=True)
    id_number = fields.String(load_default=None, validate=validate.Regexp(
        ID_NUMBER, error="an 18-character resident ID number, in full or masked"))
    uscc = Name(18, load_default=None)
    legal_representative = Name(50, load_default=None)
    address = Text(300, required=True)
    phone = Name(30, load_default=None)

    @validates_schema
    def _identity(self, data, **kwargs):
        if data.get("kind", "household") == "household":
            if not data.get("id_number"):
                raise ValidationError("a household's head needs an ID number", field_name="id_number")
        else:
            if not data.get("uscc"):
                raise ValidationError("an organisation needs its unified social credit code", field_name="uscc")
            if uscc_error(data["uscc"]):
                raise ValidationError(uscc_error(data["uscc"]), field_name="uscc")
            if not data.get("legal_representative"):
                raise ValidationError("an organisation needs its legal representative",
                                      field_name="legal_representative")


class LoanIn(ApiSchema):
    """The main loan contract's terms, as every kind quotes them. `lpr_rate` is a decimal fraction
    ("0.0300" = 3.00 %), the spread whole basis points (may be negative), the penalty factor the product's
    (1.3 to 1.5: the PBOC's 30 % to 50 % uplift on the contract rate)."""
    contract_no = Name(64, load_default=None)
    amount = Money(required=True, min_value=POSITIVE)
    lpr_tenor = fields.String(required=True, validate=validate.OneOf(tuple(LPR_TENORS)))
    lpr_rate = RateField(required=True, min_value=Decimal("0.0001"), max_value=Decimal("0.5"))
    lpr_date = IsoDate(load_default=None)
    spread_bps = fields.Integer(strict=True, required=True, validate=validate.Range(min=-1000, max=3000))
    term_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=600))
    start_date = IsoDate(required=True)
    maturity_date = IsoDate(required=True)
    repayment_method = fields.String(required=True, validate=validate.OneOf(tuple(REPAYMENT_METHODS)))
    purpose = Text(300, required=True)
    repayment_account = Name(64, load_default=None)
    penalty_factor = DecimalString(4, Decimal("1.5"), min_value=Decimal("1.3"), required=True)

    @validates_schema
    def _terms(self, data, **kwargs):
        if {"term_months", "lpr_tenor"} <= data.keys():
            wanted = "1y" if data["term_months"] <= 60 else "5y"
            if data["lpr_tenor"] != wanted:
                raise ValidationError(f"a {data['term_months']}-month loan prices from the {wanted} LPR",
                                      field_name="lpr_tenor")
        if {"lpr_rate", "spread_bps"} <= data.keys() and _annual(data) <= 0:
            raise ValidationError("the spread takes the rate to zero or below", field_name="spread_bps")
        if {"start_date", "maturity_date"} <= data.keys() and data["maturity_date"] <= data["start_date"]:
            raise ValidationError("maturity must come after the start date", field_name="maturity_date")


class SecurityIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SECURITY_KINDS + ("guarantee",)))
    contract_no = Name(64, required=True)
    provider = Name(required=True)


class DetailIn(ApiSchema):
    label = Name(30, required=True)
    value = Text(200, required=True)


class CollateralIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(COLLATERAL_KINDS)))
    certificate_no = Name(100, required=True)
    holder = Name(required=True)
    location = Text(300, required=True)
    area = DecimalString(2, MAX_AREA, min_value=POSITIVE, required=True)
    area_unit = fields.String(required=True, validate=validate.OneOf(tuple(AREA_UNITS)))
    term_end = IsoDate(load_default=None)
    certified_value = Money(required=True, min_value=POSITIVE)
    valuation_date = IsoDate(required=True)
    appraisal_agency = Name(required=True)
    appraisal_report_no = Name(64, load_default=None)
    secured_amount = Money(required=True, min_value=POSITIVE)
    details = fields.List(fields.Nested(DetailIn), load_default=list, validate=validate.Length(max=20))

    @validates_schema
    def _shares(self, data, **kwargs):
        if data.get("area_unit") == "share" and data.get("area") is not None and data["area"] % 1:
            raise ValidationError("shares are whole", field_name="area")
        if (data.get("kind") == "collective_shares") != (data.get("area_unit") == "share"):
            raise ValidationError("collective shares, and only they, are counted in shares", field_name="area_unit")


class ConsentIn(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(CONSENT_KINDS)))
    party = Name(required=True)
    document_ref = Name(100, required=True)
    signed_on = IsoDate(required=True)


class InsuranceIn(ApiSchema):
    kind_text = Name(50, load_default="森林火灾保险")
    insurer = Name(required=True)
    policy_no = Name(100, required=True)
    insured_until = IsoDate(required=True)
    beneficiary = Name(load_default=None)  # the lender when not given


class GuaranteeTermsIn(ApiSchema):
    ratio = RateField(required=True, min_value=POSITIVE)  # the guaranteed share of the principal, "0.80"
    amount = Money(load_default=None, min_value=POSITIVE)  # the guaranteed principal; amount x ratio when not given
    period_years = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=1, max=10))


class ScheduleRowIn(ApiSchema):
    number = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1200))
    due_date = IsoDate(required=True)
    principal = Money(required=True)
    interest = Money(required=True)
    payment = Money(required=True)
    balance = Money(required=True)


class ContractIn(ApiSchema):
    contract_no = Name(64, required=True)
    signing_date = IsoDate(required=True)
    signing_place = Name(100, required=True)
    lender = fields.Nested(LenderIn, required=True)
    borrower = fields.Nested(PartyIn, required=True)
    loan = fields.Nested(LoanIn, required=True)
    arbitration_commission = Name(100, load_default=None)  # disputes go to the lender's local court otherwise

    main_contract_needed = True  # every kind but the loan contract itself names the loan contract it serves

    @validates_schema
    def _main_contract(self, data, **kwargs):
        if self.main_contract_needed and "loan" in data and not data["loan"].get("contract_no"):
            raise ValidationError("the main loan contract's number (loan.contract_no) is needed", field_name="loan")


class LoanContractIn(ContractIn):
    main_contract_needed = False
    security = fields.List(fields.Nested(SecurityIn), load_default=list, validate=validate.Length(max=20))


class SecurityContractIn(ContractIn):
    collateral_kind = None  # each kind's one collateral kind
    insurance_required = False

    mortgagor = fields.Nested(PartyIn, load_default=None)  # a third party giving security; the borrower if absent
    collateral = fields.List(fields.Nested(CollateralIn), required=True, validate=validate.Length(min=1, max=20))
    max_secured_amount = Money(load_default=None, min_value=POSITIVE)  # the sum of the secured amounts if absent
    registration_authority = Name(100, load_default=None)
    consents = fields.List(fields.Nested(ConsentIn), load_default=list, validate=validate.Length(max=50))
    insurance = fields.Nested(InsuranceIn, load_default=None)

    @validates_schema
    def _collateral(self, data, **kwargs):
        for item in data.get("collateral") or ():
            if item["kind"] != self.collateral_kind:
                raise ValidationError(f"this contract takes {self.collateral_kind} as collateral, not {item['kind']}",
                                      field_name="collateral")
            if item.get("term_end") and "loan" in data and item["term_end"] <= data["loan"]["maturity_date"]:
                raise ValidationError(f"the right {item['certificate_no']} ends before the loan matures",
                                      field_name="collateral")
        if self.insurance_required:
            insurance = data.get("insurance")
            if insurance is None:
                raise ValidationError("fire insurance over the loan term is required", field_name="insurance")
            if "loan" in data and insurance["insured_until"] < data["loan"]["maturity_date"]:
                raise ValidationError("the insurance must cover the loan term", field_name="insurance")


class LandMortgageIn(SecurityContractIn):
    collateral_kind = "land_management"


class HouseMortgageIn(SecurityContractIn):
    collateral_kind = "house"


class ConstructionLandMortgageIn(SecurityContractIn):
    collateral_kind = "construction_land"


class ForestMortgageIn(SecurityContractIn):
    collateral_kind = "forest"
    insurance_required = True


class SharePledgeIn(SecurityContractIn):
    collateral_kind = "collective_shares"


class GuaranteeIn(ContractIn):
    guarantor = fields.Nested(PartyIn, required=True)
    guarantee = fields.Nested(GuaranteeTermsIn, required=True)

    @validates_schema
    def _within_loan(self, data, **kwargs):
        terms, loan = data.get("guarantee"), data.get("loan")
        if terms and loan:
            if terms["ratio"] > 1:
                raise ValidationError("the guaranteed ratio is at most 1 (the whole principal)", field_name="guarantee")
            if terms.get("amount") is not None and terms["amount"] > loan["amount"]:
                raise ValidationError("the guaranteed amount is more than the loan", field_name="guarantee")


class ScheduleAnnexIn(ContractIn):
    schedule = fields.List(fields.Nested(ScheduleRowIn), required=True, validate=validate.Length(min=1, max=1200))

    @validates_schema
    def _adds_up(self, data, **kwargs):
        rows, loan = data.get("schedule"), data.get("loan")
        if not rows or not loan:
            return
        balance, previous = loan["amount"], loan["start_date"]
        for n, row in enumerate(rows, start=1):
            where = f"instalment {n}"
            if row["number"] != n:
                raise ValidationError(f"{where}: numbered {row['number']}", field_name="schedule")
            if row["payment"] != row["principal"] + row["interest"]:
                raise ValidationError(f"{where}: payment is not principal + interest", field_name="schedule")
            balance -= row["principal"]
            if row["balance"] != balance:
                raise ValidationError(f"{where}: balance should be {balance}", field_name="schedule")
            if row["due_date"] <= previous or row["due_date"] > loan["maturity_date"]:
                raise ValidationError(f"{where}: due date out of order or past maturity", field_name="schedule")
            previous = row["due_date"]
        if balance != 0:
            raise ValidationError("the principal does not sum to the loan amount", field_name="schedule")


SCHEMAS = {
    "loan": LoanContractIn, "land_mortgage": LandMortgageIn, "house_mortgage": HouseMortgageIn,
    "construction_land_mortgage": ConstructionLandMortgageIn, "forest_mortgage": ForestMortgageIn,
    "share_pledge": SharePledgeIn, "guarantee": GuaranteeIn, "schedule_annex": ScheduleAnnexIn,
}


# --- formatting: the plain values templates receive

def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def percent(rate: Decimal) -> str:
    """0.038 -> "3.80%": two decimals at least, more only when the rate has them (0.03455 -> "3.455%")."""
    points = rate * _HUNDRED
    shown = points.quantize(POSITIVE) if points == points.quantize(POSITIVE) else points.normalize()
    return f"{shown:f}%"


def cn_small(n: int) -> str:
    """1 to 99 in ordinary Chinese numerals: 3 -> 三, 12 -> 十二, 20 -> 二十."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, units = divmod(n, 10)
    return (("" if tens == 1 else CN_DIGITS[tens]) + "十" if tens else "") + (CN_DIGITS[units] if units else "")


def _annual(loan: dict) -> Decimal:
    return loan["lpr_rate"] + Decimal(loan["spread_bps"]) / 10000


def _party(party: dict) -> dict:
    household = party["kind"] == "household"
    return {
        "kind": party["kind"],
        "name": party["name"],
        "id_label": "身份证号码" if household else "统一社会信用代码",
        # masked whatever was given: mask() leaves a masked number as it is and hides a full one
        "id_number": mask(party["id_number"].upper()) if household else party["uscc"].upper(),
        "legal_representative": party.get("legal_representative"),
        "address": party["address"],
        "phone": party.get("phone"),
    }


def _loan(loan: dict, own_number: str) -> dict:
    annual = _annual(loan)
    spread = loan["spread_bps"]
    spread_text = f"{'+' if spread >= 0 else '-'} {abs(spread)} 个基点"
    uplift = (loan["penalty_factor"] - 1) * _HUNDRED
    return {
        "contract_no": loan["contract_no"] or own_number,
        "amount": _money(loan["amount"]),
        "amount_capital": rmb_capital(loan["amount"]),
        "lpr_tenor": loan["lpr_tenor"],
        "lpr_tenor_text": LPR_TENORS[loan["lpr_tenor"]],
        "lpr_rate": percent(loan["lpr_rate"]),
        "lpr_date": _iso(loan["lpr_date"]),
        "spread_bps": spread,
        "spread_text": spread_text,
        "annual_rate": percent(annual),
        "rate_text": f"{percent(loan['lpr_rate'])} {spread_text} = {percent(annual)}",
        "term_months": loan["term_months"],
        "start_date": _iso(loan["start_date"]),
        "maturity_date": _iso(loan["maturity_date"]),
        "repayment_method": loan["repayment_method"],
        "repayment_method_text": REPAYMENT_METHODS[loan["repayment_method"]],
        "purpose": loan["purpose"],
        "repayment_account": loan.get("repayment_account"),
        "penalty_factor": f"{loan['penalty_factor']:.2f}",
        "penalty_uplift": f"{uplift.normalize():f}%",
        "penalty_rate": percent(annual * loan["penalty_factor"]),
        "penalty_text": f"罚息利率为合同利率上浮 {uplift.normalize():f}%",
    }


def _dispute(commission: str | None, lender: dict) -> dict:
    if commission:
        return {"method": "arbitration", "body": commission,
                "text": f"提交{commission}，按照申请仲裁时该会现行有效的仲裁规则进行仲裁。仲裁裁决是终局的，对各方均有约束力"}
    return {"method": "court", "body": f"{lender['name']}住所地有管辖权的人民法院",
            "text": f"向{lender['name']}住所地有管辖权的人民法院提起诉讼"}


def _collateral(item: dict) -> dict:
    unit = AREA_UNITS[item["area_unit"]]
    area = f"{item['area']:.0f}" if item["area_unit"] == "share" else f"{item['area']:.2f}"
    return {
        "kind": item["kind"],
        "kind_text": COLLATERAL_KINDS[item["kind"]],
        "certificate_no": item["certificate_no"],
        "holder": item["holder"],
        "location": item["location"],
        "area": area,
        "area_unit": unit,
        "area_text": f"{area} {unit}",
        "term_end": _iso(item["term_end"]),
        "certified_value": _money(item["certified_value"]),
        "valuation_date": _iso(item["valuation_date"]),
        "appraisal_agency": item["appraisal_agency"],
        "appraisal_report_no": item.get("appraisal_report_no"),
        "secured_amount": _money(item["secured_amount"]),
        "ltv": percent((item["secured_amount"] / item["certified_value"]).quantize(Decimal("0.0001"))),
        "details": [{"label": d["label"], "value": d["value"]} for d in item["details"]],
    }


def build_context(kind: str, data: dict) -> dict:
    """Validate `data` through the kind's schema (a ValidationError names what is wrong) and return the plain
    dict the kind's template receives (the module's docstring lists its keys)."""
    if kind not in SCHEMAS:
        raise ValidationError({"kind": [f"unknown contract kind {kind!r}; one of {', '.join(KINDS)}"]})
    d = SCHEMAS[kind]().load(data)
    lender = dict(d["lender"])
    ctx = {
        "kind": kind,
        "title": TITLES[kind],
        "contract_no": d["contract_no"],
        "signing_date": _iso(d["signing_date"]),
        "signing_place": d["signing_place"],
        "lender": {k: lender.get(k) for k in ("name", "address", "legal_representative", "uscc", "phone")},
        "borrower": _party(d["borrower"]),
        "loan": _loan(d["loan"], d["contract_no"]),
        "dispute": _dispute(d["arbitration_commission"], lender),
    }
    if kind == "loan":
        ctx["security"] = [{"kind": s["kind"], "kind_text": TITLES[s["kind"]],
                            "method_text": {"guarantee": "保证", "share_pledge": "质押"}.get(s["kind"], "抵押"),
                            "contract_no": s["contract_no"], "provider": s["provider"]} for s in d["security"]]
    elif kind in SECURITY_KINDS:
        items = d["collateral"]
        secured = sum((i["secured_amount"] for i in items), Decimal(0))
        maximum = d["max_secured_amount"] if d["max_secured_amount"] is not None else secured
        insurance = d["insurance"]
        ctx.update({
            "mortgagor": _party(d["mortgagor"] or d["borrower"]),
            "third_party": d["mortgagor"] is not None and d["mortgagor"]["name"] != d["borrower"]["name"],
            "collateral": [_collateral(i) for i in items],
            "collateral_totals": {"certified_value": _money(sum((i["certified_value"] for i in items), Decimal(0))),
                                  "secured_amount": _money(secured)},
            "max_secured_amount": _money(maximum),
            "max_secured_amount_capital": rmb_capital(maximum),
            "registration_authority": d["registration_authority"] or DEFAULT_REGISTRATION[kind],
            "consents": [{"kind": c["kind"], "kind_text": CONSENT_KINDS[c["kind"]], "party": c["party"],
                          "document_ref": c["document_ref"], "signed_on": _iso(c["signed_on"])}
                         for c in d["consents"]],
            "insurance": None if insurance is None else {
                "kind_text": insurance["kind_text"], "insurer": insurance["insurer"],
                "policy_no": insurance["policy_no"], "insured_until": _iso(insurance["insured_until"]),
                "beneficiary": insurance["beneficiary"] or lender["name"]},
        })
    elif kind == "guarantee":
        terms = d["guarantee"]
        amount = terms["amount"]
        if amount is None:
            amount = to_fen(d["loan"]["amount"] * terms["ratio"])
        ctx.update({
            "guarantor": _party(d["guarantor"]),
            "guarantee": {"amount": _money(amount), "amount_capital": rmb_capital(amount),
                          "ratio": f"{(terms['ratio'] * _HUNDRED).normalize():f}%", "method": "joint_and_several",
                          "method_text": "连带责任保证", "period_years": terms["period_years"],
                          "period_text": f"主合同约定的债务履行期限届满之日起{cn_small(terms['period_years'])}年"},
        })
    elif kind == "schedule_annex":
        rows = d["schedule"]
        ctx["schedule"] = [{"number": r["number"], "due_date": _iso(r["due_date"]),
                            **{k: _money(r[k]) for k in ("principal", "interest", "payment", "balance")}}
                           for r in rows]
        ctx["schedule_totals"] = {k: _money(sum((r[k] for r in rows), Decimal(0)))
                                  for k in ("principal", "interest", "payment")}
    return ctx


# --- samples: `finplat contracts sample --kind KIND` and the tests

SAMPLE_DATE = date(2026, 11, 23)
SAMPLE_LOAN_NO = "JNRCB-2026-DK-000123"


def _sample_id(region: str, born: str, seq: int) -> str:
    from finplat.registry.identity import id_check_char
    body = f"{region}{born}{seq:03d}"
    return body + id_check_char(body)


def _sample_uscc(prefix: str) -> str:
    from finplat.registry.identity import uscc_check_char
    return prefix + uscc_check_char(prefix)


def sample_context(kind: str) -> dict:
    """A realistic context of the kind, from the demo village 宅科村 (唐王街道, 济南市历城区 370112, as
    finplat.demo registers it): the household 张建国 borrows 256,000.00 yuan from 济南农村商业银行 for 36
    months at the 1-year LPR 3.00% + 80 bp, equal instalments, on the mortgage of its land management right
    370112宅科村-land_management-001 (12.50 亩), valued by 山东鲁信资产评估有限公司, and the guarantee of
    山东省农业发展信贷担保有限责任公司; the pledge of its collective shares. The demo's house and forest
    belong to other households, who mortgage them for 张建国's loan as third parties; the construction land
    belongs to the collective, which borrows on it under a loan contract of its own.
    Names, numbers and addresses are made up."""
    if kind not in SCHEMAS:
        raise ValidationError({"kind": [f"unknown contract kind {kind!r}; one of {', '.join(KINDS)}"]})
    return build_context(kind, sample_data(kind))


def sample_data(kind: str) -> dict:
    """The input `sample_context` builds from (before validation)."""
    from finplat.loans.schedule import maturity, schedule

    village = "济南市历城区唐王街道宅科村"
    start = SAMPLE_DATE
    households = {  # the demo's households: name, birth date, sequence, phone
        "张建国": ("19680312", 13, "13700000001"), "李秀英": ("19720825", 24, "13700000002"),
        "王德福": ("19610103", 35, None)}

    def household(name):
        born, seq, phone = households[name]
        return {"kind": "household", "name": name, "id_number": _sample_id("370112", born, seq),
                "address": f"山东省{village}", "phone": phone}

    collective = {"kind": "collective", "name": "宅科村股份经济合作社", "uscc": _sample_uscc("N2370112MA3C1A7X1"),
                  "legal_representative": "张建国", "address": f"山东省{village}村委会"}
    own_loan = kind == "construction_land_mortgage"  # the collective's loan; every other sample is 张建国's
    loan_no = "JNRCB-2026-DK-000125" if own_loan else SAMPLE_LOAN_NO
    borrower = collective if own_loan else household("张建国")
    purpose = "村集体农产品冷链仓储项目建设" if own_loan else "购买小麦良种、化肥及农机作业等农业生产经营"
    amount, months, lpr, spread = Decimal("256000.00"), 36, Decimal("0.0300"), 80
    data = {
        "contract_no": SAMPLE_LOAN_NO,
        "signing_date": start.isoformat(),
        "signing_place": "山东省济南市历城区",
        "lender": {"name": "济南农村商业银行", "address": "山东省济南市历城区唐王街道唐王大街 88 号（唐王支行）",
                   "legal_representative": "刘志远", "phone": "0531-88000000"},
        "borrower": borrower,
        "loan": {"contract_no": loan_no, "amount": f"{amount}", "lpr_tenor": "1y", "lpr_rate": f"{lpr}",
                 "lpr_date": "2026-10-20", "spread_bps": spread, "term_months": months,
                 "start_date": start.isoformat(), "maturity_date": maturity(start, months).isoformat(),
                 "repayment_method": "equal_instalment", "purpose": purpose,
                 "repayment_account": "6230 5100 0012 3456 789", "penalty_factor": "1.50"},
    }
    appraisal = {"valuation_date": "2026-11-16", "appraisal_agency": "山东鲁信资产评估有限公司",
                 "secured_amount": f"{amount}"}
    if kind == "loan":
        data["security"] = [
            {"kind": "land_mortgage", "contract_no": "JNRCB-2026-DY-000123", "provider": "张建国"},
            {"kind": "guarantee", "contract_no": "JNRCB-2026-BZ-000123",
             "provider": "山东省农业发展信贷担保有限责任公司"}]
    elif kind == "land_mortgage":
        data.update(contract_no="JNRCB-2026-DY-000123", registration_authority="济南市农村产权交易中心")
        data["collateral"] = [{
            "kind": "land_management", "certificate_no": "370112宅科村-land_management-001", "holder": "张建国",
            "location": village, "area": "12.50", "area_unit": "mu", "term_end": "2047-12-31",
            "certified_value": "380000.00", "appraisal_report_no": "鲁信评报字〔2026〕第0137号", **appraisal,
            "details": [{"label": "地类", "value": "耕地"}, {"label": "种植作物", "value": "小麦"},
                        {"label": "权利期限", "value": "2018年1月1日至2047年12月31日"},
                        {"label": "取得方式", "value": "家庭承包"}]}]
        data["consents"] = [{"kind": "collective_filing", "party": "宅科村股份经济合作社",
                             "document_ref": "宅科村经营权抵押备案〔2026〕第1号", "signed_on": "2026-11-18"}]
    elif kind == "house_mortgage":
        data.update(contract_no="JNRCB-2026-DY-000124", registration_authority="济南市历城区不动产登记中心",
                    mortgagor=household("李秀英"))
        data["collateral"] = [{
            "kind": "house", "certificate_no": "370112宅科村-house-002", "holder": "李秀英",
            "location": f"{village}（宅基地）", "area": "160.00", "area_unit": "m2",
            "certified_value": "428000.00", "appraisal_report_no": "鲁信评报字〔2026〕第0141号", **appraisal,
            "details": [{"label": "房屋结构", "value": "砖混"}, {"label": "建成年份", "value": "2012年"},
                        {"label": "建筑面积", "value": "160.00 平方米"}, {"label": "宅基地面积", "value": "200.00 平方米"}]}]
        data["consents"] = [
            {"kind": "collective_consent", "party": "宅科村股份经济合作社", "document_ref": "集体同意书-2",
             "signed_on": "2026-11-18"},
            {"kind": "co_owner", "party": "李小明", "document_ref": "共有人同意书-2", "signed_on": "2026-11-18"},
            {"kind": "other_residence", "party": "宅科村股份经济合作社", "document_ref": "其他稳定居所证明-2",
             "signed_on": "2026-11-18"}]
    elif kind == "construction_land_mortgage":
        data.update(contract_no="JNRCB-2026-DY-000125", registration_authority="济南市历城区不动产登记中心")
        data["collateral"] = [{
            "kind": "construction_land", "certificate_no": "370112宅科村-construction_land-003",
            "holder": "宅科村股份经济合作社", "location": f"{village}东侧", "area": "5000.00", "area_unit": "m2",
            "term_end": "2075-12-31", "certified_value": "2380000.00",
            "appraisal_report_no": "鲁信评报字〔2026〕第0152号", **appraisal,
            "details": [{"label": "土地用途", "value": "工业"}, {"label": "土地级别", "value": "二级"},
                        {"label": "使用期限", "value": "2026年1月1日至2075年12月31日"},
                        {"label": "地上建筑物", "value": "无"}]}]
        data["consents"] = [{"kind": "villagers_meeting", "party": "宅科村村民会议",
                             "document_ref": "村民会议决议-3", "signed_on": "2026-01-15"}]
    elif kind == "forest_mortgage":
        data.update(contract_no="JNRCB-2026-DY-000126", registration_authority="济南市历城区不动产登记中心",
                    mortgagor=household("王德福"))
        data["collateral"] = [{
            "kind": "forest", "certificate_no": "370112宅科村-forest-004", "holder": "王德福",
            "location": f"{village}北山", "area": "30.00", "area_unit": "mu", "term_end": "2059-12-31",
            "certified_value": "540000.00", "appraisal_report_no": "鲁信评报字〔2026〕第0163号", **appraisal,
            "details": [{"label": "树种", "value": "杨树"}, {"label": "林龄", "value": "8 年"},
                        {"label": "林地使用期限", "value": "2010年1月1日至2059年12月31日"}]}]
        data["insurance"] = {"kind_text": "森林火灾保险", "insurer": "中国人民财产保险股份有限公司济南市分公司",
                             "policy_no": "PICC-FIRE-2026-001", "insured_until": "2031-12-31"}
    elif kind == "share_pledge":
        data.update(contract_no="JNRCB-2026-ZY-000127",
                    registration_authority="宅科村股份经济合作社股权登记簿及济南市农村产权交易中心")
        data["collateral"] = [{
            "kind": "collective_shares", "certificate_no": "宅科村股份经济合作社股权证 宅股字第001号",
            "holder": "张建国", "location": "宅科村股份经济合作社", "area": "333", "area_unit": "share",
            "certified_value": "1198800.00", "appraisal_report_no": "鲁信评报字〔2026〕第0171号", **appraisal,
            "details": [{"label": "持有股份", "value": "333 股（总股本 1000 股）"},
                        {"label": "每股净资产", "value": "3,600.00 元"},
                        {"label": "评估方法", "value": "集体经营性净资产按股份额折算"}]}]
        data["consents"] = [{"kind": "collective_consent", "party": "宅科村股份经济合作社",
                             "document_ref": "股权质押同意及备案书-1", "signed_on": "2026-11-18"}]
    elif kind == "guarantee":
        data.update(contract_no="JNRCB-2026-BZ-000123")
        data["guarantor"] = {"kind": "enterprise", "name": "山东省农业发展信贷担保有限责任公司",
                             "uscc": _sample_uscc("91370000MA3C2B4D5"), "legal_representative": "陈立新",
                             "address": "山东省济南市历下区经十路 100 号（示例地址）", "phone": "0531-86000000"}
        data["guarantee"] = {"ratio": "0.80", "period_years": 3}
    elif kind == "schedule_annex":
        data.update(contract_no=f"{SAMPLE_LOAN_NO}-附件1")
        rows = schedule(amount, lpr + Decimal(spread) / 10000, months, "equal_instalment", start).instalments
        data["schedule"] = [{"number": r.number, "due_date": r.due_date.isoformat(),
                             **{k: str(getattr(r, k)) for k in ("principal", "interest", "payment", "balance")}}
                            for r in rows]
    return data
