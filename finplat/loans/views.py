"""Loan pages (DESIGN.md §3.4): the loans a user may see (a bank manager's approval queue is the submitted
ones), a loan officer's application form with its repayment calculator, and the loan's page: its terms,
collateral, underwriting result, the maker-checker actions, schedule, contracts and ledger transactions,
printable. Every action calls the service function its API route calls.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from finplat import cob
from finplat.auth.models import User
from finplat.auth.permissions import require
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.loans import application_service as service
from finplat.loans import origination_service as origination
from finplat.loans.loan_schemas import LoanIn
from finplat.loans.models import LOAN_STATUSES, Loan, Product
from finplat.loans import servicing_service as servicing
from finplat.risk import guarantee_service as guarantees
from finplat.risk import recovery_service
from finplat.loans.models import CLASSIFICATIONS
from finplat.loans.page_forms import ActionForm, ApplicationForm, RejectForm, RepaymentForm
from finplat.registry.models import Party, Right, Shareholding
from finplat.web.forms import (CLASS_LABELS, GUARANTEE_LABELS, LOAN_LABELS, RECOVERY_SOURCE_LABELS, UNDERWRITING_LABELS,
                               chinese, show_errors, submit)
from finplat.web.paging import page_of

bp = Blueprint("loans", __name__, url_prefix="/loans")
BANK = ("loan_officer", "bank_manager")
STATUS_LABELS = {"draft": "草稿", "submitted": "待审批", "approved": "已批准", "rejected": "已拒绝",
                 "contracted": "已签约", "active": "已放款", "paid_off": "已结清", "written_off": "已核销"}
assert set(CLASS_LABELS) == set(CLASSIFICATIONS)
TRANSACTION_LABELS = {"disbursement": "放款", "repayment": "还款", "reversal": "冲正", "recovery": "回收",
                      "write_off": "核销"}
QUOTE_FIELDS = ("product_id", "amount", "term_months", "repayment_method")
assert set(STATUS_LABELS) == set(LOAN_STATUSES)


def _labels():
    return {"status": STATUS_LABELS, "loan": LOAN_LABELS, "check": UNDERWRITING_LABELS,
            "transaction": TRANSACTION_LABELS, "class": CLASS_LABELS, "guarantee": GUARANTEE_LABELS,
            "recovery_source": RECOVERY_SOURCE_LABELS}


@bp.route("/")
@require()
def index():
    """The loans the user may see, newest first; `?status=submitted` is a manager's approval queue."""
    status = request.args.get("status") if request.args.get("status") in LOAN_STATUSES else None
    table = page_of(service.search(current_user, status=status))
    ids = {loan.borrower_id for loan in table.rows}
    borrowers = dict(db.session.execute(select(Party.id, Party.name).where(Party.id.in_(ids))).all()) if ids else {}
    return render_template("loans/loans.html", table=table, status=status, borrowers=borrowers, labels=_labels())


# --- the application form

def _field_of(name: str):
    head = name.split(".")[0]
    return ("rights", "") if head == "collateral" else None


def _products():
    return db.session.execute(select(Product).order_by(Product.code)).scalars().all()


def _quote(form):
    """The calculator: the form's terms priced and laid out on the open date, or None with messages."""
    form.validate()
    for name in set(form.errors) - set(QUOTE_FIELDS):
        form[name].errors = []  # the calculator needs only the terms
    if any(form[name].errors for name in QUOTE_FIELDS):
        return None, 422
    try:
        return service.quote(form.product_id.data, form.amount.data, form.term_months.data,
                             form.repayment_method.data), 200
    except DomainError as exc:
        return None, show_errors(form, exc)


@bp.route("/new", methods=["GET", "POST"])
@require(*BANK)
def new():
    products = _products()
    form = ApplicationForm()
    form.product_id.choices = [SelectChoice(p.id, f"{p.code} {p.name}") for p in products]
    if request.method == "GET":
        form.borrower_id.data = request.args.get("borrower_id", type=int)
        if request.args.get("right_id", type=int):
            form.rights.data = str(request.args.get("right_id", type=int))
    quote, status = None, 200
    if request.method == "POST" and request.form.get("action") == "quote":
        quote, status = _quote(form)
    else:
        def collateral(f):
            items = f.collateral()
            return None if items is None else {"collateral": items}
        loan, status = submit(form, LoanIn(), lambda data: service.create_application(current_user, data),
                              extra=collateral, field_of=_field_of)
        if loan is not None:
            flash(f"已保存贷款申请草稿（编号 {loan.id}），请核对后提交审查")
            return redirect(url_for("loans.loan", loan_id=loan.id))
    return render_template("loans/loan_new.html", form=form, products=products, quote=quote,
                           business_date=cob.open_date(), labels=_labels()), status


# --- the loan page and its actions

def _collateral_rows(loan: Loan, facts) -> list[dict]:
    rows = []
    for item, fact in zip(loan.collateral, facts.collateral):
        if item.right_id:
            right = db.session.get(Right, item.right_id)
            what = f"{LOAN_LABELS[right.kind]} {right.certificate_no}"
            link = url_for("registry.right", right_id=right.id)
        else:
            holding = db.session.get(Shareholding, item.shareholding_id)
            what = f"集体资产股权 持股编号 {holding.id}，质押 {item.shares} 股（持有 {holding.shares} 股）"
            link = None
        rows.append({"what": what, "link": link, "value": fact.certified_value, "cap": fact.ltv_cap,
                     "secured": fact.live_secured})
    return rows


def _may(loan: Loan) -> dict:
    user = current_user
    ours = user.is_admin or (user.role in BANK and user.institution_id == loan.bank_id)
    manager = user.is_admin or (user.role == "bank_manager" and user.institution_id == loan.bank_id)
    checker = user.role == "bank_manager" and user.institution_id == loan.bank_id and user.id != loan.maker_id
    return {"submit": ours and loan.status == "draft",
            "decide": checker and loan.status == "submitted",
            "contract": ours and loan.status == "approved",
            "disburse": manager and loan.status == "contracted",
            "repay": ours and loan.status == "active",
            "guarantee": ours and loan.status in guarantees.GUARANTEED_STATUSES}


def _loan_page(loan_id, status=200, failed=None, reject_form=None, repayment_form=None):
    loan = service.get_loan(current_user, loan_id)
    version = request.args.get("schedule", type=int)
    facts = service.underwriting_facts(loan, cob.open_date())
    shown = service.describe(loan)
    if failed is None and loan.status in ("draft", "submitted", "approved"):
        failed = service.check(loan)
    people = dict(db.session.execute(select(User.id, User.username).where(
        User.id.in_({loan.maker_id, loan.approver_id, loan.contracted_by, loan.disbursed_by} - {None}))).all())
    txns = db.session.execute(origination.transactions_of(loan)).scalars().all()
    return render_template(
        "loans/loan.html", loan=loan, shown=shown, borrower=db.session.get(Party, loan.borrower_id),
        collateral=_collateral_rows(loan, facts), failed=failed,
        schedule=origination.schedule_of(loan, version if version and version != loan.schedule_version else None),
        contracts=origination.contracts_of(loan, current_user), transactions=txns, people=people,
        guarantees=db.session.execute(guarantees.guarantees(current_user, loan_id=loan.id)).scalars().all(),
        recoveries=db.session.execute(recovery_service.recoveries(current_user, loan.id)).scalars().all(),
        may=_may(loan), reject_form=reject_form or RejectForm(), repayment_form=repayment_form or RepaymentForm(),
        quote=servicing.quote(current_user, loan.id) if loan.status == "active" else None,
        business_date=cob.open_date(), labels=_labels()), status


@bp.route("/<int:loan_id>")
@require()
def loan(loan_id):
    return _loan_page(loan_id)


def _act(loan_id, action, done: str, form=None):
    """Run `action()` for a posted button: the loan page again on success, or with the refusal."""
    form = form or ActionForm()
    if not form.validate_on_submit():  # the CSRF token: a stale or forged page
        flash("页面已过期，请刷新后重试")
        return _loan_page(loan_id, status=400)
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        checks = (exc.fields or {}).get("checks")
        if not checks:
            flash(f"未能办理：{chinese(exc.message)}")
        return _loan_page(loan_id, status=exc.status, failed=checks,
                          reject_form=form if isinstance(form, RejectForm) else None)
    flash(done)
    return redirect(url_for("loans.loan", loan_id=loan_id))


@bp.route("/<int:loan_id>/submit", methods=["POST"])
@require(*BANK)
def submit_loan(loan_id):
    return _act(loan_id, lambda: service.submit(current_user, loan_id), "已提交，审查通过，等待审批")


@bp.route("/<int:loan_id>/approve", methods=["POST"])
@require("bank_manager")
def approve(loan_id):
    return _act(loan_id, lambda: service.approve(current_user, loan_id), "已批准")


@bp.route("/<int:loan_id>/reject", methods=["POST"])
@require("bank_manager")
def reject(loan_id):
    service.check_checker(current_user, service.get_loan(current_user, loan_id))  # 403 before the reason is read
    form = RejectForm()
    if not form.validate_on_submit():
        return _loan_page(loan_id, status=422, reject_form=form)
    return _act(loan_id, lambda: service.reject(current_user, loan_id, form.reason.data.strip()), "已拒绝", form=form)


@bp.route("/<int:loan_id>/contracts", methods=["POST"])
@require(*BANK)
def sign_contracts(loan_id):
    return _act(loan_id, lambda: origination.sign_contracts(current_user, loan_id),
                "合同已签署，抵质押已登记")


@bp.route("/<int:loan_id>/disburse", methods=["POST"])
@require("bank_manager")
def disburse(loan_id):
    """A second click (or a resubmitted form) finds the loan active under its row lock: it never pays twice."""
    return _act(loan_id, lambda: origination.disburse(current_user, loan_id), "已放款")


@bp.route("/<int:loan_id>/repay", methods=["POST"])
@require(*BANK)
def repay(loan_id):
    """A loan officer records a repayment received today; the payoff amount closes the loan."""
    form = RepaymentForm()
    if not form.validate_on_submit():
        return _loan_page(loan_id, status=422, repayment_form=form)
    try:
        choice = {"prepayment": form.prepayment.data} if form.prepayment.data else {}
        done = servicing.repay(current_user, loan_id, {"amount": form.amount.data, **choice})
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _loan_page(loan_id, status=show_errors(form, exc), repayment_form=form)
    flash(f"已入账还款 {done['amount']:,.2f} 元" + ("，贷款已结清，抵质押已解除" if done["status"] == "paid_off" else "")
          + (f"，提前偿还本金 {done['prepaid_principal']:,.2f} 元，已生成第 {done['schedule_version']} 版还款计划"
             if done["prepaid_principal"] else ""))
    return redirect(url_for("loans.loan", loan_id=loan_id))


@bp.route("/overdue")
@require(*BANK)
def overdue():
    """The bank's active loans past due, the longest first."""
    stmt = service.search(current_user, status="active").where(Loan.dpd > 0).order_by(None).order_by(
        Loan.dpd.desc(), Loan.id)
    table = page_of(stmt)
    ids = {loan.borrower_id for loan in table.rows}
    borrowers = dict(db.session.execute(select(Party.id, Party.name).where(Party.id.in_(ids))).all()) if ids else {}
    due = {loan.id: servicing.figures(loan) for loan in table.rows}
    return render_template("loans/overdue.html", table=table, borrowers=borrowers, due=due,
                           business_date=cob.open_date(), labels=_labels())


@bp.route("/mine")
@require("farmer")
def mine():
    """A farmer's loans on a phone: what is outstanding, the next payment, what is overdue, the class."""
    return render_template("loans/mine.html", loans=servicing.farmer_loans(current_user),
                           business_date=cob.open_date(), labels=_labels())
