"""The loans' close-of-business steps, on loans written straight to the tables (the steps read nothing else):
interest accrued day by day to the scheduled figure, penalty and compound interest on what is overdue, days
past due and the five categories at every boundary, the 10 % rule for a non-retail borrower, the history, and
idempotence."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finplat import cob
from finplat.ledger.models import LedgerAccount, LedgerPosting
from finplat.loans import cob_steps
from finplat.loans.models import Loan, LoanClassification, LoanInstalment

START = date(2026, 11, 23)  # the tests' open date


@pytest.fixture
def step(db):
    """step(fn, day): run a COB step for `day` and commit it, as the runner does (which expires what the
    session holds)."""
    def run(fn, day):
        summary = fn(day)
        db.session.commit()
        return summary
    return run


def first(db, loan) -> LoanInstalment:
    return db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == loan.id,
                                                           LoanInstalment.number == 1)).scalar_one()


def balance(db, code) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(LedgerAccount)
                             .where(LedgerAccount.code == code)) + Decimal("0.00")


def test_interest_accrues_day_by_day_to_the_scheduled_figure(db, step, make_loan, village):
    loan = make_loan(village["household"])
    # 120,000.00 at 3.50 %: the first instalment's interest is 120,000 x 0.035 / 12 = 350.00, over the 30 days
    # from 2026-11-23 to 2026-12-23
    assert first(db, loan).interest == Decimal("350.00")
    step(cob_steps.accrue_interest, START)  # nothing on the disbursement date itself
    assert first(db, loan).interest_accrued == Decimal("0.00")
    step(cob_steps.accrue_interest, START + timedelta(days=1))
    assert first(db, loan).interest_accrued == Decimal("11.67")  # 350 / 30 = 11.666...
    step(cob_steps.accrue_interest, START + timedelta(days=15))
    assert first(db, loan).interest_accrued == Decimal("175.00")
    assert step(cob_steps.accrue_interest, START + timedelta(days=15))["instalments"] == 0  # again: nothing changes
    step(cob_steps.accrue_interest, date(2026, 12, 23))
    assert first(db, loan).interest_accrued == Decimal("350.00")
    assert balance(db, "interest_receivable") == Decimal("350.00") == -balance(db, "interest_income")
    # the second period (31 days to 2027-01-23) starts on the due date: 1 day of its interest on 12-24
    second = db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == loan.id,
                                                             LoanInstalment.number == 2)).scalar_one()
    step(cob_steps.accrue_interest, date(2026, 12, 24))
    assert second.interest_accrued == (second.interest / 31).quantize(Decimal("0.01"))


def test_penalty_and_compound_interest_on_what_is_overdue(db, step, make_loan, village):
    loan = make_loan(village["household"])
    inst = first(db, loan)

    def close(day):  # as the runner does: days past due first, then penalty on the loans past due
        step(cob_steps.classify, day)
        step(cob_steps.accrue_penalty, day)
    # M = 120,000 x i (1+i)^12 / ((1+i)^12 - 1) with i = 0.035/12: 10,190.5956 -> 10,190.60; interest 350.00,
    # principal 9,840.60
    assert (inst.payment, inst.interest, inst.principal) == (Decimal("10190.60"), Decimal("350.00"),
                                                             Decimal("9840.60"))
    close(date(2026, 12, 23))  # due today: nothing is overdue yet
    assert db.session.get(Loan, loan.id).penalty_accrued == Decimal("0.00")
    close(date(2026, 12, 24))
    # (9,840.60 principal + 350.00 interest) x 3.50 % x 1.5 / 360 = 1.48613... -> 1.49 a day
    assert db.session.get(Loan, loan.id).penalty_accrued == Decimal("1.49")
    close(date(2026, 12, 24))  # the same date again: guarded by penalty_through
    close(date(2026, 12, 25))
    assert db.session.get(Loan, loan.id).penalty_accrued == Decimal("2.98")
    inst.principal_paid, inst.interest_paid = Decimal("9840.60"), Decimal("300.00")  # 50.00 of interest left
    db.session.commit()
    close(date(2026, 12, 26))
    # 50.00 x 0.035 x 1.5 / 360 = 0.00729... -> 0.01
    assert db.session.get(Loan, loan.id).penalty_accrued == Decimal("2.99")
    assert balance(db, "penalty_receivable") == Decimal("2.99")


@pytest.mark.parametrize("late, dpd, expected", [
    (0, 0, "normal"), (1, 1, "special_mention"), (90, 90, "special_mention"), (91, 91, "substandard"),
    (270, 270, "substandard"), (271, 271, "doubtful"), (360, 360, "doubtful"), (361, 361, "loss")])
def test_days_past_due_and_the_five_categories(db, step, make_loan, village, late, dpd, expected):
    loan = make_loan(village["household"], term=24)
    day = date(2026, 12, 23) + timedelta(days=late)  # the first instalment's due date + `late`
    step(cob_steps.classify, day)
    loan = db.session.get(Loan, loan.id)
    assert (loan.dpd, loan.classification) == (dpd, expected)
    history = db.session.execute(select(LoanClassification.classification, LoanClassification.business_date)
                                 .where(LoanClassification.loan_id == loan.id)).all()
    assert history == ([] if expected == "normal" else [(expected, day)])


def test_a_paid_instalment_stops_counting_and_history_is_kept(db, step, make_loan, village):
    loan = make_loan(village["household"])
    step(cob_steps.classify, date(2026, 12, 24))
    inst = first(db, loan)
    inst.principal_paid, inst.interest_paid = inst.principal, inst.interest
    db.session.get(Loan, loan.id).oldest_unpaid_due = date(2027, 1, 23)  # as the repayment service keeps it
    db.session.commit()
    step(cob_steps.classify, date(2026, 12, 25))
    assert (db.session.get(Loan, loan.id).dpd, db.session.get(Loan, loan.id).classification) == (0, "normal")
    assert db.session.execute(select(LoanClassification.classification).where(LoanClassification.loan_id == loan.id)
                              .order_by(LoanClassification.business_date)).scalars().all() == \
        ["special_mention", "normal"]
    assert step(cob_steps.classify, date(2026, 12, 25))["changed"] == 0


def test_a_non_retail_borrower_past_ten_percent_non_performing_is_substandard_throughout(db, step, make_loan, village,
                                                                                         make_party):
    enterprise = make_party("enterprise", name="泉源农业开发有限公司")
    late = make_loan(enterprise, amount="120000.00", start=date(2026, 6, 23))  # first due 2026-07-23
    current = make_loan(enterprise, amount="1000000.00")  # 120,000 of 1,120,000 = 10.7 % > 10 %
    small = make_loan(village["household"], amount="120000.00", start=date(2026, 6, 23))
    on_time = make_loan(village["household"], amount="1000000.00")
    step(cob_steps.classify, date(2026, 11, 1))  # 101 days after 2026-07-23
    got = {loan.id: (loan.dpd, loan.classification) for loan in db.session.execute(select(Loan)).scalars()}
    assert got[late.id] == (101, "substandard") and got[current.id] == (0, "substandard")
    assert got[small.id] == (101, "substandard") and got[on_time.id] == (0, "normal")  # a household: no rule
    reason = db.session.execute(select(LoanClassification.reason).where(LoanClassification.loan_id == current.id)
                                ).scalar_one()
    assert reason == "borrower_npl_share"


def test_at_ten_percent_exactly_the_rule_does_not_apply(db, step, make_loan, make_party):
    enterprise = make_party("enterprise", name="泉源农业开发有限公司")
    make_loan(enterprise, amount="100000.00", start=date(2026, 6, 23))
    current = make_loan(enterprise, amount="900000.00")  # 100,000 of 1,000,000: not more than 10 %
    step(cob_steps.classify, date(2026, 11, 1))
    assert db.session.get(Loan, current.id).classification == "normal"


def test_a_real_close_of_business_runs_the_steps_once(db, step, make_loan, village):
    loan = make_loan(village["household"])
    summary = cob.run_to(date(2026, 12, 24))
    assert summary["open_date"] == date(2026, 12, 25)
    loan = db.session.get(Loan, loan.id)
    assert (loan.dpd, loan.classification, loan.penalty_accrued) == (1, "special_mention", Decimal("1.49"))
    assert first(db, loan).interest_accrued == Decimal("350.00")
    # every accrual, of every day, booked balanced
    assert balance(db, "interest_receivable") + balance(db, "interest_income") == 0


def test_a_close_killed_half_way_resumes_without_accruing_twice(db, make_loan, village, monkeypatch):
    loan = make_loan(village["household"])
    cob.run_to(date(2026, 12, 23))  # the first instalment falls due unpaid
    real = cob._steps["loans.penalty"]

    def crash(day):
        raise RuntimeError("the machine lost power")
    monkeypatch.setitem(cob._steps, "loans.penalty", cob.Step(real.name, real.order, crash))
    with pytest.raises(cob.CobStepFailed):
        cob.run_to(date(2026, 12, 24))
    assert cob.open_date() == date(2026, 12, 24)  # not closed: accrual and classification are, penalty is not
    monkeypatch.setitem(cob._steps, "loans.penalty", real)
    cob.run_to(date(2026, 12, 24))  # resumes at the penalty step
    loan = db.session.get(Loan, loan.id)
    assert (loan.dpd, loan.penalty_accrued) == (1, Decimal("1.49"))
    second = db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == loan.id,
                                                             LoanInstalment.number == 2)).scalar_one()
    assert second.interest_accrued == Decimal("10.36")  # one day of 321.30 / 31, once
    cob.run_to(date(2026, 12, 24))  # a date closed already: nothing happens
    assert db.session.get(Loan, loan.id).penalty_accrued == Decimal("1.49")
