"""Thirteen months of business dates closed by the real runner, every COB step each night, over loans nobody
repays: interest accrued day by day, penalty day after day, days past due and the five categories at each
boundary, the 10 % rule raising a collective's other loan and not a household's, and the history.

The defaulting loans: 36,000.00 for one month, principal and interest at maturity (到期一次还本付息), at
3.50 %, disbursed 2026-11-23 and due 2026-12-23: interest 36,000.00 x 3.5 % x 30 / 360 = 105.00. From the
day after, 36,105.00 is overdue and accrues 36,105.00 x 3.5 % x 1.5 / 360 = 5.2653... -> 5.27 a day, so
penalty after k days past due is 5.27 k. Each borrower also has a healthy 100,000.00 loan due in two years:
36,000.00 is 26.5 % of the collective's 136,000.00 exposure, above 10 %."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from finplat import cob
from finplat.loans.models import Loan, LoanClassification, LoanInstalment

D = Decimal
DUE = date(2026, 12, 23)
PER_DAY = D("5.27")


def test_thirteen_months_unpaid(db, make_loan, village):
    household, collective = village["household"], village["collective"]
    late = {who: make_loan(who, amount="36000.00", term=1, method="lump_sum") for who in (household, collective)}
    healthy = {who: make_loan(who, amount="100000.00", term=24, method="lump_sum") for who in (household, collective)}

    def loan(row):
        return db.session.get(Loan, row.id)

    cob.run_to(date(2026, 12, 8))  # 15 of the 30 days closed: 105.00 x 15 / 30
    instalment = db.session.execute(select(LoanInstalment).where(LoanInstalment.loan_id == late[household].id)
                                    ).scalar_one()
    assert instalment.interest_accrued == D("52.50")
    cob.run_to(DUE)
    db.session.refresh(instalment)
    assert instalment.interest_accrued == D("105.00") and loan(late[household]).dpd == 0

    expected = {1: "special_mention", 90: "special_mention", 91: "substandard", 270: "substandard",
                271: "doubtful", 360: "doubtful", 361: "loss"}
    for days, category in expected.items():
        cob.run_to(DUE + timedelta(days=days))
        for who in (household, collective):
            row = loan(late[who])
            assert (row.dpd, row.classification, row.penalty_accrued) == (days, category, PER_DAY * days), \
                (who.kind, days)
        # more than 10 % of the collective's exposure is non-performing from day 91: its other loan is
        # substandard with it; the household's is not raised (the rule is for non-retail borrowers)
        raised = "substandard" if days >= 91 else "normal"
        assert (loan(healthy[collective]).classification, loan(healthy[household]).classification) == \
            (raised, "normal"), days
    assert loan(late[household]).penalty_accrued == D("1902.47")  # 5.27 x 361

    def history(row):
        return db.session.execute(select(LoanClassification.business_date, LoanClassification.classification,
                                         LoanClassification.reason)
                                  .where(LoanClassification.loan_id == row.id).order_by(LoanClassification.id)).all()

    assert history(late[household]) == [(DUE + timedelta(days=1), "special_mention", "dpd"),
                                        (DUE + timedelta(days=91), "substandard", "dpd"),
                                        (DUE + timedelta(days=271), "doubtful", "dpd"),
                                        (DUE + timedelta(days=361), "loss", "dpd")]
    # doubtful and loss on the defaulting loan do not raise the other loan further than substandard
    assert history(healthy[collective]) == [(DUE + timedelta(days=91), "substandard", "borrower_npl_share")]
    assert history(healthy[household]) == []
