"""What a loan's contracts say, gathered from the loan, its parties and its collateral, as the plain input of
finplat.contracts.context.build_context (which validates it and never sees an ORM object).

A loan gets a loan contract (借款合同), one security contract per collateral item (a mortgage of a right, or
the pledge of shares) and the repayment schedule annex. Numbers follow the bank's and the loan's ids:
FP{bank}-{year}-DK-{loan} for the loan, -DY- (mortgage) and -ZY- (pledge) with the item's position for the
security, and the loan's number with -附件1 for the annex (-附件2, ... when a later drawdown date replaces it).

The platform keeps no address or legal representative for banks, and not every party has them: a contract
then refers to the business licence (以营业执照登记为准) rather than print a blank.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finplat.loans.models import Loan
from finplat.loans.schedule import Schedule
from finplat.web.forms import REGISTRY_LABELS, VALUATION_LABELS

ON_FILE = "以营业执照登记为准"
SECURITY_KIND = {"land_management": "land_mortgage", "house": "house_mortgage",
                 "construction_land": "construction_land_mortgage", "forest": "forest_mortgage",
                 "collective_shares": "share_pledge"}
DETAIL_LABELS = {"land_class": "地类", "crop": "种植作物", "structure": "房屋结构", "floor_area": "建筑面积（平方米）",
                 "year_built": "建成年份", "homestead_area": "宅基地面积（平方米）", "use": "土地用途", "grade": "土地级别",
                 "species": "树种", "stand_age": "林龄（年）"}
# Registry codes as a contract writes them (cropland -> 耕地, brick_concrete -> 砖混); free text stays as typed.
ATTRIBUTE_WORDS = {**REGISTRY_LABELS, **VALUATION_LABELS, "wheat": "小麦", "corn": "玉米", "rice": "水稻",
                   "vegetables": "蔬菜", "fruit": "水果"}


def detail(key: str, value) -> tuple[str, str]:
    """A right's attribute as a (label, value) line of its security contract."""
    return DETAIL_LABELS[key], ATTRIBUTE_WORDS.get(str(value), str(value))


@dataclass(frozen=True)
class Item:
    """One collateral item as its security contract describes it."""
    kind: str  # a collateral kind: land_management ... collective_shares
    certificate_no: str
    holder: dict  # a party as party() makes it
    location: str
    area: Decimal
    area_unit: str  # mu, m2 or share
    term_end: date | None
    certified_value: Decimal  # of the item (of the pledged shares for a pledge)
    valuation_date: date
    appraisal_agency: str
    appraisal_report_no: str
    secured_amount: Decimal
    max_secured: Decimal
    details: tuple = ()
    consents: tuple = ()  # of {kind, party, document_ref, signed_on}
    insurance: dict | None = None


def loan_number(loan: Loan, year: int) -> str:
    return f"FP{loan.bank_id:03d}-{year}-DK-{loan.id:06d}"


def security_number(loan: Loan, year: int, position: int, kind: str) -> str:
    return f"FP{loan.bank_id:03d}-{year}-{'ZY' if kind == 'share_pledge' else 'DY'}-{loan.id:06d}-{position}"


def annex_number(loan: Loan, year: int, version: int) -> str:
    return f"{loan_number(loan, year)}-附件{version}"


def party(p, address: str | None = None) -> dict:
    """A registry party as a contract names it (the context masks a household head's ID number)."""
    where = address or "".join(filter(None, [f"行政区划代码 {p.region_code} ", p.township, p.village])).strip()
    if p.kind == "household":
        return {"kind": "household", "name": p.name, "id_number": p.id_number, "address": where, "phone": p.phone}
    return {"kind": p.kind, "name": p.name, "uscc": p.uscc, "legal_representative": p.legal_representative or ON_FILE,
            "address": where, "phone": p.phone}


def lender(bank) -> dict:
    return {"name": bank.name, "address": ON_FILE, "legal_representative": ON_FILE}


@dataclass(frozen=True)
class Terms:
    """When and where a loan's contracts are signed and the loan runs: `year` numbers them (the year of the
    loan contract, so that a later annex cites the loan contract that exists), `start` and `maturity` are
    the loan's (the drawdown date's for a later annex)."""
    year: int
    signed_on: date
    start: date
    maturity: date
    place: str


def _loan_terms(loan: Loan, terms: Terms) -> dict:
    return {"contract_no": loan_number(loan, terms.year), "amount": loan.amount, "lpr_tenor": loan.lpr_tenor,
            "lpr_rate": loan.lpr_rate, "lpr_date": loan.lpr_date, "spread_bps": loan.spread_bps,
            "term_months": loan.term_months, "start_date": terms.start, "maturity_date": terms.maturity,
            "repayment_method": loan.repayment_method, "purpose": loan.purpose,
            "penalty_factor": loan.penalty_factor.quantize(Decimal("0.0001"))}


def _common(loan, bank, borrower, number, terms: Terms) -> dict:
    return {"contract_no": number, "signing_date": terms.signed_on, "signing_place": terms.place,
            "lender": lender(bank), "borrower": party(borrower), "loan": _loan_terms(loan, terms)}


def loan_contract(loan, bank, borrower, items: list[Item], terms: Terms) -> dict:
    security = [{"kind": SECURITY_KIND[item.kind], "provider": item.holder["name"],
                 "contract_no": security_number(loan, terms.year, n, SECURITY_KIND[item.kind])}
                for n, item in enumerate(items, start=1)]
    return {**_common(loan, bank, borrower, loan_number(loan, terms.year), terms), "security": security}


def security_contract(loan, bank, borrower, item: Item, position: int, terms: Terms) -> tuple[str, dict]:
    """(contract kind, input) of the security contract of the item at `position` (1, 2, ...)."""
    kind = SECURITY_KIND[item.kind]
    data = _common(loan, bank, borrower, security_number(loan, terms.year, position, kind), terms)
    if item.holder["name"] != borrower.name:
        data["mortgagor"] = item.holder
    data.update({
        "collateral": [{"kind": item.kind, "certificate_no": item.certificate_no, "holder": item.holder["name"],
                        "location": item.location, "area": item.area, "area_unit": item.area_unit,
                        "term_end": item.term_end, "certified_value": item.certified_value,
                        "valuation_date": item.valuation_date, "appraisal_agency": item.appraisal_agency,
                        "appraisal_report_no": item.appraisal_report_no, "secured_amount": item.secured_amount,
                        "details": [{"label": label, "value": value} for label, value in item.details]}],
        "max_secured_amount": item.secured_amount,
        "consents": list(item.consents),
        "insurance": item.insurance,
    })
    return kind, data


def schedule_annex(loan, bank, borrower, plan: Schedule, version: int, terms: Terms) -> dict:
    data = _common(loan, bank, borrower, annex_number(loan, terms.year, version), terms)
    data["schedule"] = [{"number": row.number, "due_date": row.due_date, "principal": row.principal,
                         "interest": row.interest, "payment": row.payment, "balance": row.balance}
                        for row in plan.instalments]
    return data
