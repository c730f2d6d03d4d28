"""Originations per second, end to end through the JSON API (issue 6): application, submit (underwriting),
approval by another manager, contracts with their liens, disbursement under an Idempotency-Key.

    python bench/origination_bench.py [N]     # N loans in each mode, default 40

In a PostgreSQL database it creates on FINPLAT_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432)
and drops afterwards, after `finplat seed-demo`'s data. Each loan is for a household of its own on a land
management right of its own with a certified valuation (made beforehand, not timed). Two modes, one process:
- with contracts: the loan contract, the land mortgage contract and the schedule annex rendered by WeasyPrint
  and signed by pyHanko, as the platform does;
- without contracts: the same requests with contract rendering and signing replaced by a bare record of the
  contract (no PDF), so that the difference is the cost of the documents; liens, ledger, schedule and audit
  are written as usual.
Prints loans per second, the median time of each step and the share of contracts in the whole.
"""
import statistics
import sys
import time
from datetime import date
from decimal import Decimal

from scratch_db import scratch_database

STEPS = ("apply", "submit", "approve", "contracts", "disburse")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with scratch_database("origination"):
        from finplat import create_app
        from finplat.cli import init_db
        app = create_app()
        with app.app_context():
            init_db()
            from finplat.demo import seed
            seed()
            rights = make_collateral(2 * n)
            client = app.test_client()
            officer, manager = token(client, "officer"), token(client, "manager")
            with_docs = originate(client, officer, manager, rights[:n])
            with bare_contracts():
                without = originate(client, officer, manager, rights[n:])
            report(n, with_docs, without)
            from finplat.extensions import db
            db.engine.dispose()


def token(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "finplat-demo-2026"})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def make_collateral(count) -> list[tuple[int, int]]:
    """(household id, right id) pairs: a land right of 30 mu with the collective's filing and a certified
    valuation of 688,195.27 yuan each."""
    from sqlalchemy import select

    from finplat.auth.models import User
    from finplat.extensions import db
    from finplat.registry import right_service
    from finplat.registry.identity import id_check_char
    from finplat.registry.models import Consent, Party
    from finplat.security.pii import blind_index
    from finplat.valuation import service as valuations
    appraiser = db.session.execute(select(User).where(User.username == "appraiser")).scalar_one()
    collective = db.session.execute(select(Party).where(Party.kind == "collective")).scalars().first()
    made = []
    for i in range(count):
        body = f"370112198{i // 10000 % 10}{1 + i // 28 % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        number = body + id_check_char(body)
        household = Party(kind="household", name=f"试验户{i}", region_code="370112", village="宅科村",
                          id_number=number, id_number_index=blind_index(number), collective_id=collective.id)
        db.session.add(household)
        db.session.commit()
        right = right_service.register_right("bench", {
            "kind": "land_management", "certificate_no": f"BENCH-ORIG-{i}", "holder_id": household.id,
            "region_code": "370112", "area": Decimal("30.00"), "area_unit": "mu", "term_start": date(2018, 1, 1),
            "term_end": date(2047, 12, 31), "attributes": {"land_class": "cropland", "crop": "wheat"}})
        db.session.add(Consent(right_id=right.id, kind="collective_filing", party_id=collective.id,
                               document_ref=f"备案-{i}", signed_on=date(2026, 11, 1)))
        db.session.commit()
        draft = valuations.request_valuation(appraiser, {"right_id": right.id, "method": "income_capitalisation",
                                                         "inputs": {"annual_net_income": Decimal("60000.00"),
                                                                    "rate": Decimal("0.06"), "years": Decimal(20)}})
        valuations.certify(appraiser, draft.id)
        made.append((household.id, right.id))
    return made


class bare_contracts:
    """Contract rendering and signing replaced by a document without a PDF (the 'without contracts' mode):
    the records, liens and audit are written as usual."""

    def __enter__(self):
        from finplat.columns import utcnow
        from finplat.contracts import service
        self.service, self.real = service, service.sign_document

        def sign_document(kind, context, institution):
            return service.SignedDocument(kind=kind, number=str(context.get("contract_no") or ""),
                                          certificate=institution.signing_certificate, signer=institution.name,
                                          signed_at=utcnow(), sha256="0" * 64, size=0)
        service.sign_document = sign_document

    def __exit__(self, *exc):
        self.service.sign_document = self.real


def originate(client, officer, manager, collateral) -> dict:
    """Each loan through every step; {step: [seconds]} and the total wall time."""
    product = next(p for p in client.get("/api/v1/products?per_page=100", headers=officer).get_json()["items"]
                   if p["code"] == "LAND-MORTGAGE")
    times = {step: [] for step in STEPS}
    started = time.perf_counter()
    for household, right in collateral:
        def step(name, method, path, headers, body=None, expect=(200, 201)):
            t = time.perf_counter()
            resp = client.open(path, method=method, headers=headers, json=body if body is not None else {})
            times[name].append(time.perf_counter() - t)
            assert resp.status_code in expect, (name, resp.status_code, resp.get_json())
            return resp.get_json()
        loan = step("apply", "POST", "/api/v1/loans", officer, {
            "product_id": product["id"], "borrower_id": household, "amount": "300000.00", "term_months": 36,
            "repayment_method": "equal_instalment", "purpose": "购买农机", "collateral": [{"right_id": right}]})
        url = f"/api/v1/loans/{loan['id']}"
        step("submit", "POST", f"{url}/submit", officer)
        step("approve", "POST", f"{url}/approve", manager)
        step("contracts", "POST", f"{url}/contracts", officer)
        step("disburse", "POST", f"{url}/disburse", {**manager, "Idempotency-Key": f"bench-{loan['id']}"})
    return {"times": times, "wall": time.perf_counter() - started}


def report(n, with_docs, without):
    for label, run in (("with contracts", with_docs), ("without contracts", without)):
        medians = ", ".join(f"{s} {statistics.median(run['times'][s]) * 1000:.0f} ms" for s in STEPS)
        print(f"{label}: {n} loans in {run['wall']:.1f} s = {n / run['wall']:.2f} originations/s ({medians})")
    print(f"contracts take {1 - without['wall'] / with_docs['wall']:.0%} of an origination end to end")


if __name__ == "__main__":
    main()
