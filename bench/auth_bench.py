"""Figures for the foundation's hot paths: token check per API request, audit append, chain verification.

    python bench/auth_bench.py            # SQLite in a temporary folder
    FINPLAT_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/auth_bench.py
"""
import os
import tempfile
import time


def main():
    os.environ.setdefault("FINPLAT_INSTANCE_PATH", tempfile.mkdtemp(prefix="finplat-bench-"))
    from finplat import audit, create_app
    from finplat.auth import service
    from finplat.auth.models import User
    from finplat.cli import init_db
    from finplat.extensions import db

    app = create_app()
    with app.app_context():
        init_db()
        if db.session.execute(db.select(User).where(User.username == "bench")).first() is None:
            inst = service.create_institution("bench", {"kind": "platform", "name": f"bench-{time.time()}"})
            service.create_user("bench", {"username": "bench", "password": "bench-password-1",
                                          "role": "admin", "institution_id": inst.id})
        client = app.test_client()
        t = time.perf_counter()
        token = client.post("/api/v1/auth/token", json={"username": "bench", "password": "bench-password-1"})
        print(f"token issue (argon2id verify): {(time.perf_counter() - t) * 1000:.1f} ms")
        header = {"Authorization": "Bearer " + token.get_json()["token"]}
        n = 500
        t = time.perf_counter()
        for _ in range(n):
            assert client.get("/api/v1/me", headers=header).status_code == 200
        print(f"GET /me with bearer token: {(time.perf_counter() - t) / n * 1000:.2f} ms per request ({n} requests)")
        n = 2000
        t = time.perf_counter()
        for i in range(n):
            audit.record("bench", "bench.append", "bench", i, after={"i": i})
            if i % 100 == 99:
                db.session.commit()
        db.session.commit()
        print(f"audit append: {(time.perf_counter() - t) / n * 1000:.3f} ms per record ({n} records)")
        t = time.perf_counter()
        verdict = audit.verify()
        took = time.perf_counter() - t
        print(f"audit verify: {verdict.checked} records in {took:.2f} s ({verdict.checked / took:,.0f} records/s), "
              f"intact={verdict.ok}")


if __name__ == "__main__":
    main()
