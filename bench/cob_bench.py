"""Close of business over many active loans on PostgreSQL (issue 7: COB at most 3 x a single UPDATE of the
same rows).

    python bench/cob_bench.py [N]     # N active loans, default 1,000,000

In a PostgreSQL database it creates on FINPLAT_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432)
and drops afterwards. The loans are generated in SQL: 100,000.00 to 1,000,000.00 over 12 monthly equal-
principal instalments at 3.50 %, disbursed on the 365 days before the open date, across 10,000 households and
1,000 enterprises at two banks; 5 % of them have missed their last two instalments. Then one business date is
closed (every COB step, the loans' accrual, classification and penalty among them), and, in the same run,
one UPDATE touching every active loan's row is timed; both are printed with their ratio.
"""
import sys
import time
from datetime import date

from sqlalchemy import text

from scratch_db import scratch_database

OPEN = date(2026, 11, 23)

PARTIES = """
INSERT INTO parties (kind, name, region_code, village, id_number, id_number_index, uscc, created_at)
SELECT CASE WHEN g <= 10000 THEN 'household' ELSE 'enterprise' END, '试验户' || g, '370112', '宅科村',
       CASE WHEN g <= 10000 THEN 'bench' END, CASE WHEN g <= 10000 THEN md5('bench' || g) END,
       CASE WHEN g > 10000 THEN 'B' || lpad(g::text, 17, '0') END, now()
FROM generate_series(1, 11000) AS g
"""
LOANS = """
INSERT INTO loans (bank_id, product_id, borrower_id, amount, term_months, repayment_method, purpose, status,
                   lpr_tenor, lpr_rate, lpr_date, spread_bps, annual_rate, penalty_factor, maker_id, created_at,
                   disbursed_on, maturity_date, principal_outstanding, schedule_version, classification, dpd,
                   penalty_accrued, penalty_paid)
SELECT (ARRAY[:bank1, :bank2])[1 + g % 2], :product, :first_party + g % 11000, 100000 + (g % 10) * 100000, 12,
       'equal_principal', '试验', 'active', '1y', 0.03, DATE '2025-05-20', 50, 0.035, 1.5, :maker, now(),
       :open - (1 + g % 365), (:open - (1 + g % 365)) + INTERVAL '12 months', 100000 + (g % 10) * 100000, 1,
       'normal', 0, 0, 0
FROM generate_series(1, :n) AS g
"""
INSTALMENTS = """
INSERT INTO loan_instalments (loan_id, version, number, period_start, due_date, principal, interest, payment,
                              balance, interest_accrued, principal_paid, interest_paid)
SELECT l.id, 1, k, (l.disbursed_on + (k - 1) * INTERVAL '1 month')::date, (l.disbursed_on + k * INTERVAL '1 month')::date,
       p.principal, p.interest, p.principal + p.interest, l.amount - (k - 1) * s.share - p.principal, 0, 0, 0
FROM loans l, generate_series(1, 12) AS k,
     LATERAL (SELECT round(l.amount / 12, 2) AS share) AS s,
     LATERAL (SELECT CASE WHEN k = 12 THEN l.amount - 11 * s.share ELSE s.share END AS principal,
                     round((l.amount - (k - 1) * s.share) * 0.035 / 12, 2) AS interest) AS p
"""
# paid and accrued as of the open date: instalments fallen due are paid, but the last two of every 20th loan
PAID = """
UPDATE loan_instalments i SET principal_paid = i.principal, interest_paid = i.interest, interest_accrued = i.interest
FROM loans l WHERE l.id = i.loan_id AND i.due_date < :open
  AND NOT (l.id % 20 = 0 AND i.due_date >= :open - INTERVAL '2 months')
"""
UNPAID_ACCRUED = """
UPDATE loan_instalments i SET interest_accrued = CASE WHEN i.due_date < :open THEN i.interest
    ELSE round(i.interest * ((:open - 1) - i.period_start) / (i.due_date - i.period_start), 2) END
WHERE i.interest_paid = 0 AND i.period_start < :open - 1
"""
OUTSTANDING = """
UPDATE loans l SET principal_outstanding = l.amount - s.paid, oldest_unpaid_due = s.oldest
FROM (SELECT loan_id, sum(principal_paid) AS paid,
             min(due_date) FILTER (WHERE principal_paid < principal OR interest_paid < interest) AS oldest
      FROM loan_instalments GROUP BY loan_id) s WHERE s.loan_id = l.id
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with scratch_database("cob"):
        from finplat import create_app
        from finplat.cli import init_db
        app = create_app()
        with app.app_context():
            run(n, init_db)
            from finplat.extensions import db
            db.engine.dispose()


def seed(n, init_db) -> dict:
    """The portfolio of the module's docstring, committed; returns the ids the set-up made."""
    from finplat.auth import service as auth
    from finplat.demo import _products
    from finplat.extensions import db
    from finplat.loans.models import Product

    init_db()
    db.session.execute(text("UPDATE business_calendar SET open_date = :d"), {"d": OPEN})
    _products()
    banks = [auth.create_institution("bench", {"kind": "bank", "name": f"试验银行{i}"}) for i in (1, 2)]
    maker = auth.create_user("bench", {"username": "bench-officer", "password": "bench-password-1",
                                       "role": "loan_officer", "institution_id": banks[0].id})
    product = db.session.query(Product).filter_by(code="LAND-MORTGAGE").one()
    maker_id, bank_ids, product_id = maker.id, [b.id for b in banks], product.id
    db.session.commit()

    t = time.perf_counter()
    first = db.session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM parties")).scalar()
    db.session.execute(text(PARTIES))
    db.session.execute(text(LOANS), {"n": n, "bank1": bank_ids[0], "bank2": bank_ids[1], "product": product_id,
                                     "first_party": first, "maker": maker_id, "open": OPEN})
    for statement in (INSTALMENTS, PAID, UNPAID_ACCRUED, OUTSTANDING):
        db.session.execute(text(statement), {"open": OPEN})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    instalments = db.session.execute(text("SELECT count(*) FROM loan_instalments")).scalar()
    print(f"{n:,} active loans with {instalments:,} instalments made in {time.perf_counter() - t:.0f} s")
    return {"banks": bank_ids, "product": product_id, "first_party": first}


def run(n, init_db):
    from finplat import cob
    from finplat.extensions import db

    seed(n, init_db)

    timings = {}
    for step in cob.steps():  # each step timed
        def timed(day, run=step.run, name=step.name):
            started = time.perf_counter()
            try:
                return run(day)
            finally:
                timings[name] = time.perf_counter() - started
        cob.cob_step(step.name, step.order)(timed)

    t = time.perf_counter()
    summary = cob.close_date(OPEN, "bench")
    close = time.perf_counter() - t
    counts = summary["loans.classification"]
    print(f"COB of {OPEN}: {close:.1f} s ({n / close:,.0f} loans/s); accrual {summary['loans.accrual']}, "
          f"penalty {summary['loans.penalty']}, classes {counts}")
    print("steps: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))

    t = time.perf_counter()
    touched = db.session.execute(text("UPDATE loans SET penalty_through = penalty_through WHERE status = 'active'"))
    db.session.commit()
    single = time.perf_counter() - t
    print(f"one UPDATE of the same {touched.rowcount:,} loans: {single:.1f} s; COB / UPDATE = {close / single:.1f} "
          f"(target: at most 3)")


if __name__ == "__main__":
    main()
