"""Rows per second of `finplat registry import` (issue 3: 100,000 rows in under a minute on PostgreSQL).

    python bench/registry_import_bench.py [N]     # N rows, default 100,000

Against FINPLAT_DATABASE_URL when it is set (migrated to head first; the rows stay there), otherwise in a
PostgreSQL database it creates on FINPLAT_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432)
and drops afterwards. The rows: households of one to five land management rights each, 200 villages with
their collectives, valid ID numbers (identity.id_check_char) and credit codes.
"""
import csv
import os
import random
import sys
import tempfile
import time

from scratch_db import scratch_database

HEADER = ["contractor_code", "holder_name", "id_number", "phone", "region_code", "township", "village",
          "collective_uscc", "collective_name", "certificate_no", "kind", "area", "area_unit", "land_class", "crop",
          "term_start", "term_end"]


def generate(path: str, n: int, seed: int = 3) -> int:
    from finplat.registry.identity import id_check_char, uscc_check_char
    rng = random.Random(seed)
    run = f"{int(time.time()) % 100000:05d}"
    villages = []
    for v in range(200):
        region = ("370103", "370112", "370303", "370305")[v % 4]
        body = f"93{region}MA{run[1:]}{v:03d}"
        villages.append((region, f"第{v // 20 + 1}街道", f"试验{v}村", body + uscc_check_char(body), f"试验{v}村股份经济合作社"))
    households, rows = 0, 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        while rows < n:
            region, township, village, uscc, collective = villages[households % len(villages)]
            # Unique per household: the birth date and sequence carry the household's number.
            born = 19400101 + (households // 999) % 60 * 10000 + rng.randint(1, 12) * 100 + rng.randint(1, 28) - 101
            body = f"{region}{born}{households % 999 + 1:03d}"
            id_number = body + id_check_char(body)
            name = f"户主{households}"
            for k in range(min(rng.randint(1, 5), n - rows)):
                land_class = rng.choice(("cropland", "cropland", "cropland", "grassland"))
                end = "2047-12-31" if land_class == "cropland" else "2067-12-31"
                out.writerow([f"{region}{households:015d}", name, id_number, "", region, township, village, uscc,
                              collective, f"B{run}-{rows:08d}", "land_management",
                              f"{rng.randint(10, 2000) / 100:.2f}", "mu", land_class, "小麦", "2018-01-01", end])
                rows += 1
            households += 1
    return households


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with scratch_database("import", reuse=True):
        from finplat import create_app
        from finplat.cli import init_db
        app = create_app()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "land_confirmation.csv")
            t = time.perf_counter()
            households = generate(path, n)
            print(f"generated {n:,} rows ({households:,} households) in {time.perf_counter() - t:.1f} s")
            with app.app_context():
                init_db()
                runner = app.test_cli_runner()
                t = time.perf_counter()
                result = runner.invoke(args=["registry", "import", path])
                took = time.perf_counter() - t
                if result.exit_code != 0:
                    print(result.output[-3000:], result.exception)
                    raise SystemExit(1)
                print(result.output.strip().splitlines()[-1])
                print(f"registry import: {n:,} rows in {took:.1f} s = {n / took:,.0f} rows/s "
                      f"({app.extensions['sqlalchemy'].engines[None].url.get_backend_name()})")
                from finplat.extensions import db
                db.engine.dispose()

if __name__ == "__main__":
    main()
