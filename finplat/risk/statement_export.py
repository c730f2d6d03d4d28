"""A fund statement (finplat.risk.statement_service.statement) as files to download: CSV for spreadsheets and
PDF to print or file.

CSV: UTF-8 with a byte-order mark, without which Excel reads the file as the local ANSI code page and the
Chinese turns to mojibake; amounts are plain decimals ("1059234.56", no separators) so that they stay
numbers; a text cell that starts with = + - @ (a fund's name is typed by people) is prefixed with an
apostrophe, so that a spreadsheet never runs it as a formula.

PDF: templates/risk/fund_statement_pdf.html, rendered as the contracts are (finplat.contracts.render: the
packaged CJK fonts, nothing fetched) from a sandboxed, autoescaped Jinja environment with StrictUndefined,
fed the statement's plain dict. Statements are not signed.
"""
import csv
import io
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from finplat.contracts.render import render_pdf
from finplat.contracts.templates import cn_date, money

CSV_MIME = "text/csv; charset=utf-8"
PDF_MIME = "application/pdf"
KIND_LABELS = {"contribution": "注资", "payout": "代偿支出", "recovery": "追偿收回", "other": "其他"}
SOURCE_LABELS = {"budget": "财政预算拨款", "interest": "存款利息", "other": "其他来源"}
CATEGORY_LABELS = {"contributions": "注资（预算拨款及其他）", "interest": "存款利息", "payouts": "代偿支出",
                   "recoveries": "追偿收回", "other": "其他"}
COLUMNS = ("记账日", "类型", "明细", "代偿申请编号", "贷款编号", "收入（元）", "支出（元）", "余额（元）", "凭证号", "摘要")

_env = None


def detail(line: dict) -> str:
    """What a line was, in words: the contribution's source, or the claim and loan of a payout or recovery."""
    if line["kind"] == "contribution":
        return SOURCE_LABELS.get(line["source"], line["source"] or "")
    parts = []
    if line["claim_id"]:
        parts.append(f"代偿申请 {line['claim_id']}")
    if line["loan_id"]:
        parts.append(f"贷款 {line['loan_id']}")
    return "，".join(parts)


def file_name(statement: dict, extension: str) -> str:
    """ASCII, so that every browser keeps it: fund-3-statement-2026-11-01-2026-11-23.csv."""
    return f"fund-{statement['fund']['id']}-statement-{statement['from']}-{statement['to']}.{extension}"


def cell_text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cell_amount(value) -> str:
    return f"{value:.2f}"


def to_csv(statement: dict) -> bytes:
    """The statement as CSV: a heading (fund, period), then one table: the opening balance, each movement
    with the balance after it, the totals in and out by category and overall, and the closing balance."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    fund = statement["fund"]
    w.writerow(["风险补偿基金收支对账单"])
    w.writerow(["基金", cell_text(fund["name"]), "基金编号", fund["id"], "管理机构", cell_text(fund["administrator"])])
    w.writerow(["期间", statement["from"].isoformat(), statement["to"].isoformat(), "营业日",
                statement["as_of"].isoformat()])
    w.writerow([])
    w.writerow(COLUMNS)
    w.writerow([statement["opening_on"].isoformat(), "期初余额", "", "", "", "", "",
                cell_amount(statement["opening_balance"]), "", ""])
    for line in statement["lines"]:
        w.writerow([line["booked_on"].isoformat(), KIND_LABELS[line["kind"]], cell_text(detail(line)),
                    line["claim_id"] or "", line["loan_id"] or "", cell_amount(line["amount_in"]),
                    cell_amount(line["amount_out"]), cell_amount(line["balance"]), line["transaction_id"],
                    cell_text(line["memo"])])
    totals = statement["totals"]
    for category, label in CATEGORY_LABELS.items():
        figures = totals[category]
        if category != "other" or figures["in"] or figures["out"]:
            w.writerow(["", "小计", label, "", "", cell_amount(figures["in"]), cell_amount(figures["out"]), "", "", ""])
    w.writerow(["", "本期合计", "", "", "", cell_amount(totals["in"]), cell_amount(totals["out"]), "", "", ""])
    w.writerow([statement["to"].isoformat(), "期末余额", "", "", "", "", "", cell_amount(statement["closing_balance"]),
                "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _environment() -> ImmutableSandboxedEnvironment:
    global _env
    if _env is None:
        from finplat import _templates_dir
        _env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(Path(_templates_dir()) / "risk")),
                                             autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                                             lstrip_blocks=True)
        _env.filters["money"] = money
        _env.filters["cn_date"] = cn_date
        _env.globals.update(kinds=KIND_LABELS, categories=CATEGORY_LABELS, detail=detail)
    return _env


def to_html(statement: dict) -> str:
    return _environment().get_template("fund_statement_pdf.html").render(statement=statement)


def to_pdf(statement: dict) -> bytes:
    return render_pdf(to_html(statement))
