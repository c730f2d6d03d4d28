"""The farmer's loan status endpoint under load (issue 7: at least 0.7 x a bare Flask + SQLAlchemy primary-key
select).

    python bench/farmer_bench.py [SECONDS] [WORKERS]     # default 10 s a run, 2 gunicorn workers

In a scratch PostgreSQL database (bench/scratch_db.py) it makes cob_bench's portfolio of 20,000 active loans
of 12 instalments over 10,000 households, and farmer logins with bearer tokens for 1,000 of them. Then, in the
same run, it serves each app with gunicorn on loopback and loads it with wrk (Debian's package `wrk`), every
request as a farmer picked at random: first GET /api/v1/me/loans (token check, the farmer's loans with their
figures, JSON through the API schema), GET /api/v1/me (the token check alone, to show what it costs), then
bare_app.py's GET /loans/<id> (one select by primary key). Prints the throughputs and the ratio.
"""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from scratch_db import scratch_database

HERE = Path(__file__).resolve().parent
LOANS, FARMERS, CONNECTIONS = 20_000, 1_000, 16


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    with scratch_database("farmer") as url:
        tokens, loan_ids = seed()
        farmer = load(["wsgi:app"], HERE.parent, "/api/v1/me/loans", tokens, seconds, workers, url)
        token_only = load(["wsgi:app"], HERE.parent, "/api/v1/me", tokens, seconds, workers, url)
        bare = load(["bare_app:app"], HERE, "/loans/{id}", loan_ids, seconds, workers, url)
    print(f"GET /api/v1/me/loans: {farmer:,.0f} requests/s; bare Flask + SQLAlchemy select by primary key: "
          f"{bare:,.0f} requests/s; ratio {farmer / bare:.2f} (target: at least 0.7). The token check alone "
          f"(GET /api/v1/me): {token_only:,.0f} requests/s, {token_only / bare:.2f} of the bare select")


def seed():
    import cob_bench
    from finplat import create_app
    from finplat.auth.models import ApiToken, User
    from finplat.auth.passwords import hash_password
    from finplat.cli import init_db
    from finplat.extensions import db
    from finplat.auth.service import hash_token
    from finplat.columns import utcnow

    app = create_app()
    with app.app_context():
        made = cob_bench.seed(LOANS, init_db)
        households = db.session.execute(text(
            "SELECT p.id, min(l.id) FROM parties p JOIN loans l ON l.borrower_id = p.id WHERE p.kind = 'household' "
            "GROUP BY p.id ORDER BY p.id LIMIT :n"), {"n": FARMERS}).all()
        password, expires = hash_password("bench-password-1"), utcnow() + timedelta(days=1)
        tokens = []
        for number, (party_id, _) in enumerate(households):
            user = User(username=f"139{number:08d}", password_hash=password, role="farmer", party_id=party_id)
            raw = secrets.token_urlsafe(32)
            db.session.add(user)
            db.session.flush()
            db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), expires_at=expires))
            tokens.append(raw)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.engine.dispose()
        print(f"{len(tokens):,} farmers with tokens; {LOANS:,} loans in {os.environ['FINPLAT_DATABASE_URL']}")
        return tokens, [str(loan_id) for _, loan_id in households]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, path: str, headers: dict):
    import urllib.request
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers), timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}")


def load(app, folder: Path, path: str, keys: list, seconds: int, workers: int, url: str) -> float:
    """Requests per second of gunicorn serving `app` under wrk, each request with a random one of `keys` (a
    bearer token, or the loan id in `path`)."""
    port = _free_port()
    env = {**os.environ, "FINPLAT_DATABASE_URL": url, "PYTHONPATH": str(folder)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", *app], cwd=folder, env=env)
    try:
        bearer = "{id}" not in path
        _wait_for(port, path.replace("{id}", keys[0]), {"Authorization": f"Bearer {keys[0]}"} if bearer else {})
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            quoted = ",".join(f'"{k}"' for k in keys)
            script.write(f"local keys = {{{quoted}}}\n"
                         "request = function()\n  local k = keys[math.random(#keys)]\n")
            if bearer:
                script.write(f'  return wrk.format("GET", "{path}", {{["Authorization"] = "Bearer " .. k}})\nend\n')
            else:
                script.write(f'  return wrk.format("GET", "{path.replace("{id}", "")}" .. k)\nend\n')
        out = subprocess.run(["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "-s", script.name,
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
        os.unlink(script.name)
        if "Non-2xx" in out:
            raise RuntimeError(f"{app[0]} answered errors:\n{out}")
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
        latency = re.search(r"Latency\s+(\S+)", out)[1]
        print(f"{app[0]} {path}: {rate:,.0f} requests/s, mean latency {latency} ({CONNECTIONS} connections, "
              f"{workers} workers, {seconds} s)")
        return rate
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
