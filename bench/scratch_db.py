"""A PostgreSQL database of its own for a benchmark run, dropped afterwards."""
import contextlib
import os
import tempfile

from sqlalchemy import create_engine, text


@contextlib.contextmanager
def scratch_database(name: str, reuse: bool = False):
    """Point FINPLAT_DATABASE_URL at a new database `finplat_bench_<name>_<pid>` on FINPLAT_BENCH_PG (default
    postgresql+psycopg://postgres@127.0.0.1:5432), and FINPLAT_INSTANCE_PATH at a new folder; drop the
    database on the way out. With `reuse`, a FINPLAT_DATABASE_URL already set is used as it is and kept."""
    os.environ.setdefault("FINPLAT_INSTANCE_PATH", tempfile.mkdtemp(prefix="finplat-bench-"))
    if reuse and os.environ.get("FINPLAT_DATABASE_URL"):
        yield os.environ["FINPLAT_DATABASE_URL"]
        return
    server = os.environ.get("FINPLAT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    made = f"finplat_bench_{name}_{os.getpid()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{made}"'))
    os.environ["FINPLAT_DATABASE_URL"] = f"{server}/{made}"
    try:
        yield os.environ["FINPLAT_DATABASE_URL"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)'))
