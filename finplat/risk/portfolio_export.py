"""The portfolio report (finplat.risk.portfolio_service.report) as a CSV to download, written the way fund
statements are (finplat.risk.statement_export): UTF-8 with a BOM for Excel, plain decimal amounts, text cells
that could run as formulas prefixed with an apostrophe. One file, a small table per section: the totals, the
groups by class, region, product and collateral kind, the DPD buckets, the LTV distribution, the top ten
borrowers and the stress test."""
import csv
import io

from finplat.risk.statement_export import CSV_MIME, cell_amount, cell_text
from finplat.web.forms import CLASS_LABELS, LOAN_LABELS

__all__ = ("CSV_MIME", "csv_bytes", "filename")

FIGURES = (("loan_count", "笔数"), ("principal_outstanding", "本金余额（元）"), ("guaranteed_balance", "担保余额（元）"),
           ("interest_due", "应收利息（元）"), ("collateral_value", "押品价值（元）"), ("npl_principal", "不良本金（元）"),
           ("npl_ratio", "不良率"), ("expected_loss", "预期损失（元）"))
GROUP_TITLES = {"classification": "按五级分类", "region": "按地区", "product": "按产品", "collateral_kind": "按押品类型"}
SCOPE_LABELS = {"agency": "担保机构", "bank": "银行", "funds": "风险补偿基金", "platform": "全平台"}
PARTY_LABELS = (("guarantor", "担保机构"), ("reguarantor", "再担保机构"), ("bank", "银行"), ("fund", "风险补偿基金"))


def filename(report: dict) -> str:
    """ASCII, so that every browser keeps it: risk-portfolio-agency-7-2026-11-30.csv."""
    who = f"-{report['agency_id']}" if report["agency_id"] else ""
    return f"risk-portfolio-{report['scope']}{who}-{report['as_of'] or 'none'}.csv"


def _figures(row: dict) -> list:
    return [row[name] if name in ("loan_count", "npl_ratio") else cell_amount(row[name]) for name, _ in FIGURES]


def _label(key) -> str:
    return CLASS_LABELS.get(key) or LOAN_LABELS.get(key) or cell_text(key)


def csv_bytes(report: dict) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["组合风险报表", SCOPE_LABELS[report["scope"]], report["agency_id"] or "",
                "数据截至营业日", report["as_of"].isoformat() if report["as_of"] else "尚未日终"])
    w.writerow([])
    w.writerow(["合计", *(label for _, label in FIGURES)])
    w.writerow(["", *_figures(report["totals"])])
    for key, title in GROUP_TITLES.items():
        w.writerow([])
        w.writerow([title, *(label for _, label in FIGURES)])
        for group in report["groups"][key]:
            w.writerow([_label(group["key"]), *_figures(group)])
    for title, rows in (("逾期天数", report["dpd_buckets"]), ("抵质押率（LTV）", report["ltv_distribution"])):
        w.writerow([])
        w.writerow([title, "笔数", "本金余额（元）"])
        for row in rows:
            w.writerow(["无押品价值" if row["bucket"] == "none" else row["bucket"], row["loan_count"],
                        cell_amount(row["principal_outstanding"])])
    w.writerow([])
    w.writerow(["前十大借款人", "借款人编号", "地区", "笔数", "本金余额（元）", "占比"])
    for rank, row in enumerate(report["top_borrowers"], 1):
        w.writerow([f"{rank}. {cell_text(row['name'])}", row["borrower_id"], row["region_code"], row["loan_count"],
                    cell_amount(row["principal_outstanding"]), row["share"]])
    stress = report["stress"]
    w.writerow([])
    w.writerow(["压力测试", "押品价值下调", "不良笔数", "损失（元）", *(f"{label}承担（元）" for _, label in PARTY_LABELS)])
    w.writerow(["", f"{stress['haircut'] * 100:.2f}%", stress["loan_count"], cell_amount(stress["loss"]),
                *(cell_amount(stress[party]) for party, _ in PARTY_LABELS)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
