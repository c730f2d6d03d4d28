"""The loans' close-of-business steps (DESIGN.md §3.4), each a few set-based statements over every active loan
for the date being closed, never a Python loop per loan. The runner (finplat.cob) commits a step's work with
its done-mark, so a step runs once per date; each is written to change nothing when run again for a date
anyway (accrual sets the figure the date implies; penalty is guarded by `penalty_through`).

- loans.accrual: each unpaid instalment's scheduled interest spread over the days of its period,
  interest_accrued = round(interest x days since the period's start / days of the period), half-up to the
  fen, so that on the due date it is the scheduled interest exactly. Booked per bank and product:
  Dr interest_receivable, Cr interest_income.
- loans.classification (before penalty, which accrues only on loans past due that day): see below.
- loans.penalty: overdue principal (of instalments whose due date has closed unpaid) accrues penalty interest
  at the contract rate x the product's penalty factor instead of its contract interest, and overdue contract
  interest accrues compound interest at the same rate; annual / 360 a day, each loan's day rounded half-up
  to the fen. Booked per bank and product: Dr penalty_receivable, Cr penalty_income.
- loans.classification, in full: days past due = the closed date - the due date of the oldest instalment still
  unpaid (0 if none, and 0 on the due date itself), read off Loan.oldest_unpaid_due; the five categories by dpd (0 normal, 1-90
  special_mention, 91-270 substandard, 271-360 doubtful, over 360 loss); a collective or enterprise whose
  non-performing principal (substandard or worse by dpd) is more than 10 % of its principal outstanding at a
  bank has all its loans there at least substandard. A change of class is a new row of the history.
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from finplat import cob
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.loans.models import (
    CLASSIFICATIONS,
    Loan,
    LoanClassification,
    LoanInstalment,
)
from finplat.money import to_fen
from finplat.registry.models import Party

DAYS_A_YEAR = 360  # penalty and compound interest: annual / 360 a day
NPL_FROM = CLASSIFICATIONS.index("substandard")
NPL_SHARE = Decimal("0.10")  # a non-retail borrower's non-performing share at a bank above which all is NPL
DPD_BANDS = ((0, "normal"), (90, "special_mention"), (270, "substandard"), (360, "doubtful"))  # upper bounds

loans, inst = Loan.__table__, LoanInstalment.__table__


def _days(later, earlier):
    """Whole days from `earlier` to `later`, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _in_force():
    """Instalments of the schedule in force of an active loan."""
    return (select(loans.c.id).where(loans.c.id == inst.c.loan_id, loans.c.status == "active",
                                     loans.c.schedule_version == inst.c.version).correlate(inst).exists())


def _book(day: date, kind: str, debit: str, credit: str, rows) -> Decimal:
    """One balanced ledger transaction per (bank, product) of `rows` = (bank_id, product_id, amount)."""
    total = Decimal("0.00")
    for bank_id, product_id, amount in rows:
        # str(): SQLite sums NUMERIC as binary floats; the exact decimal is rounded half-up to the fen
        amount = to_fen(str(amount or 0))
        if amount > 0:
            ledger.post("cob", kind, day, amount, [ledger.Leg(ledger.account(bank_id, debit), amount),
                                                    ledger.Leg(ledger.account(bank_id, credit), -amount)],
                        memo=f"product {product_id}")
            total += amount
    return total


@cob.cob_step("loans.accrual", order=200)
def accrue_interest(day: date) -> dict:
    d = literal(day)
    accrued = func.round(inst.c.interest * _days(d, inst.c.period_start)
                         / _days(inst.c.due_date, inst.c.period_start), 2)
    due = and_(_in_force(), inst.c.period_start < d, inst.c.due_date >= d, inst.c.interest_accrued != accrued)
    increments = db.session.execute(
        select(loans.c.bank_id, loans.c.product_id, func.sum(accrued - inst.c.interest_accrued))
        .select_from(inst.join(loans, loans.c.id == inst.c.loan_id)).where(due, loans.c.status == "active")
        .group_by(loans.c.bank_id, loans.c.product_id)).all()
    touched = db.session.execute(update(inst).where(due).values(interest_accrued=accrued)).rowcount
    booked = _book(day, "accrual", "interest_receivable", "interest_income", increments)
    return {"instalments": touched, "interest_accrued": booked}


def _overdue(day: date, column_due, column_paid):
    """Per loan: the unpaid part of `column_due` of its instalments in force whose due date is before `day`."""
    return (select(func.coalesce(func.sum(column_due - column_paid), 0))
            .where(inst.c.loan_id == loans.c.id, inst.c.version == loans.c.schedule_version,
                   inst.c.due_date < literal(day)).correlate(loans).scalar_subquery())


@cob.cob_step("loans.penalty", order=210)
def accrue_penalty(day: date) -> dict:
    overdue = _overdue(day, inst.c.principal, inst.c.principal_paid) + _overdue(day, inst.c.interest, inst.c.interest_paid)
    daily = func.round(overdue * loans.c.annual_rate * loans.c.penalty_factor / DAYS_A_YEAR, 2)
    # only loans with something overdue at the last close (dpd > 0) can owe penalty: the rest are not touched
    due = and_(loans.c.status == "active", loans.c.dpd > 0,
               or_(loans.c.penalty_through.is_(None), loans.c.penalty_through < day))
    amounts = db.session.execute(select(loans.c.bank_id, loans.c.product_id, func.sum(daily)).where(due)
                                 .group_by(loans.c.bank_id, loans.c.product_id)).all()
    # ROUND keeps the sum to the fen on SQLite too, which adds NUMERIC as binary floats
    touched = db.session.execute(update(loans).where(due).values(
        penalty_accrued=func.round(loans.c.penalty_accrued + daily, 2), penalty_through=day)).rowcount
    booked = _book(day, "penalty_accrual", "penalty_receivable", "penalty_income", amounts)
    return {"loans": touched, "penalty_accrued": booked}


def _rank_of_dpd(dpd):
    return case(*[(dpd <= bound, CLASSIFICATIONS.index(name)) for bound, name in DPD_BANDS],
                else_=CLASSIFICATIONS.index("loss"))


@cob.cob_step("loans.classification", order=205)  # before penalty, which reads the day's dpd
def classify(day: date) -> dict:
    d = literal(day)
    # the loan keeps its oldest unpaid due date (disbursement and repayments set it): no instalment is read
    oldest = loans.c.oldest_unpaid_due
    dpd = case((oldest < d, _days(d, oldest)), else_=0)
    db.session.execute(update(loans).where(loans.c.status == "active", loans.c.dpd != dpd).values(dpd=dpd))

    by_dpd = _rank_of_dpd(loans.c.dpd)
    group = (loans.c.borrower_id, loans.c.bank_id)
    npl = func.sum(case((by_dpd >= NPL_FROM, loans.c.principal_outstanding), else_=0)).over(partition_by=group)
    exposure = func.sum(loans.c.principal_outstanding).over(partition_by=group)
    ranked = (select(loans.c.id.label("loan_id"), loans.c.dpd, loans.c.classification, by_dpd.label("by_dpd"),
                     case((and_(Party.kind != "household", exposure > 0, npl > exposure * NPL_SHARE), 1), else_=0)
                     .label("raised"))
              .select_from(loans.join(Party, Party.id == loans.c.borrower_id))
              .where(loans.c.status == "active").subquery())
    rank = case((and_(ranked.c.raised == 1, ranked.c.by_dpd < NPL_FROM), NPL_FROM), else_=ranked.c.by_dpd)
    name = case(*[(rank == n, literal(c)) for n, c in enumerate(CLASSIFICATIONS)])
    reason = case((and_(ranked.c.raised == 1, ranked.c.by_dpd < NPL_FROM), literal("borrower_npl_share")),
                  else_=literal("dpd"))
    changes = (select(ranked.c.loan_id, literal(day).label("business_date"), name.label("classification"),
                      ranked.c.dpd, reason.label("reason"))
               .where(or_(ranked.c.classification.is_(None), ranked.c.classification != name)))
    history = LoanClassification.__table__
    changed = len(db.session.connection().execute(insert(history).from_select(
        ["loan_id", "business_date", "classification", "dpd", "reason"], changes).returning(history.c.id)).all())
    latest = (select(history.c.classification).where(history.c.loan_id == loans.c.id, history.c.business_date == day)
              .correlate(loans).scalar_subquery())
    db.session.execute(update(loans).where(loans.c.status == "active", exists().where(
        history.c.loan_id == loans.c.id, history.c.business_date == day)).values(classification=latest))
    counts = defaultdict(int, db.session.execute(select(loans.c.classification, func.count())
                                                 .where(loans.c.status == "active")
                                                 .group_by(loans.c.classification)).all())
    return {"changed": changed, **{c: counts[c] for c in CLASSIFICATIONS}}
