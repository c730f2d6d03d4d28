"""Rights per second of the batch revaluation (issue 4: 1,000,000 rights in under 60 seconds on PostgreSQL).

    python bench/revaluation_bench.py [N]     # N rights under a live lien, default 1,000,000

In a PostgreSQL database it creates on FINPLAT_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432)
and drops afterwards. The shipped sample reference data (Jinan, Zibo) is loaded; the rights are generated in
SQL: 60 % land management, 10 % forest, 10 % construction land, 15 % houses, 5 % water facilities, across four
districts, each under a live mortgage securing a loan that an exposure source reports (outstanding = the
secured amount, cap 0.70), so that the LTV pass runs over a million exposures too.
"""
import sys
import time
from decimal import Decimal

from sqlalchemy import Numeric, literal, select, text

from scratch_db import scratch_database

RIGHTS = """
INSERT INTO rights (kind, certificate_no, holder_id, region_code, area, area_unit, term_start, term_end,
                    attributes, status, created_at)
SELECT k.kind, 'BENCH-' || g, CASE WHEN k.kind IN ('construction_land') THEN :enterprise ELSE :household END,
       (ARRAY['370103', '370112', '370303', '370305'])[1 + g % 4],
       CASE WHEN k.kind IN ('land_management', 'forest') THEN 5 + (g % 300) / 10.0 ELSE 100 + g % 4000 END,
       CASE WHEN k.kind IN ('land_management', 'forest') THEN 'mu' ELSE 'm2' END,
       CASE WHEN k.kind IN ('house', 'water_facility') THEN NULL ELSE DATE '2018-01-01' END,
       CASE WHEN k.kind IN ('house', 'water_facility') THEN NULL
            WHEN k.kind = 'construction_land' THEN DATE '2060-12-31' ELSE DATE '2047-12-31' END,
       CASE k.kind
         WHEN 'land_management' THEN json_build_object('land_class', 'cropland',
                                                       'crop', (ARRAY['wheat', 'corn', 'vegetables'])[1 + g % 3])
         WHEN 'forest' THEN json_build_object('species', '杨树', 'stand_age', 8,
                                              'fire_insurance_policy', 'P-' || g, 'fire_insurance_until', '2031-12-31')
         WHEN 'construction_land' THEN json_build_object('use', (ARRAY['industrial', 'commercial'])[1 + g % 2],
                                                         'grade', (1 + g % 3)::text)
         WHEN 'house' THEN json_build_object('structure', (ARRAY['brick_concrete', 'reinforced_concrete',
                                                                 'brick_wood'])[1 + g % 3],
                                             'floor_area', (80 + g % 200)::text || '.00', 'year_built', 1990 + g % 35,
                                             'homestead_area', '200.00')
         ELSE json_build_object('capacity', '5000.00', 'build_cost', '300000.00', 'year_built', 2000 + g % 25)
       END,
       'encumbered', now()
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT CASE WHEN g % 20 < 12 THEN 'land_management' WHEN g % 20 < 14 THEN 'forest'
                          WHEN g % 20 < 16 THEN 'construction_land' WHEN g % 20 < 19 THEN 'house'
                          ELSE 'water_facility' END AS kind) AS k
"""
LIENS = """
INSERT INTO liens (kind, right_id, rank, secured_amount, secures_type, secures_id, status, created_at)
SELECT 'mortgage', id, 1, 50000 + id % 200000, 'loan', 'B' || id, 'live', now() FROM rights
WHERE certificate_no LIKE 'BENCH-%'
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with scratch_database("revalue"):
        from finplat import create_app
        from finplat.cli import init_db
        app = create_app()
        with app.app_context():
            run(n, init_db)
            from finplat.extensions import db
            db.engine.dispose()


def run(n, init_db):
    from finplat.extensions import db
    from finplat.registry import party_service
    from finplat.registry.identity import id_check_char, uscc_check_char
    from finplat.registry.models import Lien
    from finplat.registry.party_schemas import PartyIn
    from finplat.valuation import reference, reference_loader, revaluation
    from finplat.valuation.models import IndicativeValue

    init_db()
    reference_loader.load_dir("bench", reference.SAMPLE_DIR)
    body = "93370103MA3BENCH1"
    collective = party_service.create_party("bench", PartyIn().load({
        "kind": "collective", "name": "试验村股份经济合作社", "region_code": "370103", "village": "试验村",
        "uscc": body + uscc_check_char(body)}))
    body = "91370103MA3BENCH2"
    enterprise = party_service.create_party("bench", PartyIn().load({
        "kind": "enterprise", "name": "试验农业开发有限公司", "region_code": "370103", "uscc": body + uscc_check_char(body)}))
    body = "37010319800101001"
    household = party_service.create_party("bench", PartyIn().load({
        "kind": "household", "name": "试验户", "region_code": "370103", "village": "试验村",
        "id_number": body + id_check_char(body), "collective_id": collective.id}))
    t = time.perf_counter()
    db.session.execute(text(RIGHTS), {"n": n, "household": household.id, "enterprise": enterprise.id})
    db.session.execute(text(LIENS))
    db.session.commit()
    db.session.execute(text("ANALYZE rights; ANALYZE liens"))
    print(f"generated {n:,} rights under live liens in {time.perf_counter() - t:.1f} s")

    revaluation.exposure_source(lambda day: select(
        Lien.secures_type, Lien.secures_id, Lien.secured_amount.label("exposure"),
        literal(Decimal("0.70"), Numeric(12, 8)).label("cap")).where(Lien.status == "live"))
    for run_name in ("first run", "again, replacing every value"):
        t = time.perf_counter()
        summary = revaluation.revalue("bench")
        took = time.perf_counter() - t
        print(f"summary: {summary}")
        print(f"revaluation ({run_name}): {n:,} rights in {took:.1f} s = {n / took:,.0f} rights/s "
              "(indicative values and LTV over every exposure, one transaction, PostgreSQL)")
    values = db.session.execute(select(IndicativeValue).limit(3)).scalars().all()
    print("e.g. " + "; ".join(f"right {v.right_id}: {v.value} by {v.method}" for v in values))


if __name__ == "__main__":
    main()
