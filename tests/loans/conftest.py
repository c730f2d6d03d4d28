"""Loan fixtures: the demo products, a bank with its people, a village, an appraiser and a valued land right,
and helpers to file applications over the API."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from finplat.loans import schedule
from finplat.loans.models import Loan, LoanInstalment, Product
from finplat.registry import right_service
from finplat.registry.models import Consent
from finplat.valuation import service as valuations

API = "/api/v1"


@pytest.fixture
def products(db):
    from finplat.demo import _products
    _products()
    return {p.code: p for p in db.session.execute(select(Product)).scalars()}


@pytest.fixture
def bank(make_institution):
    return make_institution("bank", name="济南农村商业银行")


@pytest.fixture
def people(make_user, auth_header, bank):
    made = {"officer": make_user("loan_officer", institution=bank),
            "manager": make_user("bank_manager", institution=bank),
            "manager2": make_user("bank_manager", institution=bank),
            "stranger": make_user("loan_officer")}
    return {name: (user, auth_header(user)) for name, user in made.items()}


@pytest.fixture
def village(make_party):
    collective = make_party("collective", name="宅科村股份经济合作社")
    return {"collective": collective,
            "household": make_party("household", name="张建国", collective_id=collective.id),
            "neighbour": make_party("household", name="周八", collective_id=collective.id)}


@pytest.fixture
def appraiser(make_user, make_institution):
    agency = make_institution("appraisal_agency", certification_no="鲁评协-1", certified_until=date(2030, 1, 1))
    return make_user("appraiser", institution=agency)


def land_right(db, holder, collective, cert="370112-LM-1", consent=True):
    right = right_service.register_right("test", {
        "kind": "land_management", "certificate_no": cert, "holder_id": holder.id, "region_code": "370112",
        "area": Decimal("30.00"), "area_unit": "mu", "term_start": date(2018, 1, 1), "term_end": date(2047, 12, 31),
        "attributes": {"land_class": "cropland", "crop": "wheat"}})
    if consent:
        db.session.add(Consent(right_id=right.id, kind="collective_filing", party_id=collective.id,
                               document_ref="备案-1", signed_on=date(2026, 11, 1)))
        db.session.commit()
    return right


def certify(appraiser, right, income="60000.00"):
    draft = valuations.request_valuation(appraiser, {"right_id": right.id, "method": "income_capitalisation",
                                                     "inputs": {"annual_net_income": Decimal(income),
                                                                "rate": Decimal("0.06"), "years": Decimal(20)}})
    return valuations.certify(appraiser, draft.id)


@pytest.fixture
def valued(db, village, appraiser):
    right = land_right(db, village["household"], village["collective"])
    certify(appraiser, right)  # 60,000 x 11.46992122 = 688,195.27; room at 0.70: 481,736.689
    return right


def application(products, borrower, right, **changes):
    return {"product_id": products["LAND-MORTGAGE"].id, "borrower_id": borrower.id, "amount": "300000.00",
            "term_months": 36, "repayment_method": "equal_instalment", "purpose": "购买农机",
            "collateral": [{"right_id": right.id}], **changes}


def file(client, people, data, who="officer"):
    resp = client.post(f"{API}/loans", headers=people[who][1], json=data)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def approved_loans(db, collateral: list[tuple[int, ...]], rights: int = 1, amount="300000.00") -> dict:
    """Approved loans made through the services alone, with real commits (for tests on `committed_db`): one
    household with `rights` valued land rights (688,195.27 each, 481,736.68 of room), and a loan for each
    tuple of `collateral` (positions in the rights). Their ids, the rights' ids and the bearer tokens of the
    bank's officer and manager."""
    from finplat.auth import service as auth
    from finplat.demo import _products
    from finplat.loans import application_service
    from finplat.registry.identity import id_check_char, uscc_check_char
    from finplat.registry.models import Party
    from finplat.security.pii import blind_index
    from tests.conftest import PASSWORD

    _products()
    bank = auth.create_institution("test", {"kind": "bank", "name": "并发测试银行"})
    agency = auth.create_institution("test", {"kind": "appraisal_agency", "name": "并发测试评估",
                                              "certification_no": "鲁评-1", "certified_until": date(2030, 1, 1)})
    users = {role: auth.create_user("test", {"username": f"race-{role}", "password": PASSWORD, "role": role,
                                             "institution_id": inst.id})
             for role, inst in (("loan_officer", bank), ("bank_manager", bank), ("appraiser", agency))}
    code = "9337011200000009"
    collective = Party(kind="collective", name="宅科村股份经济合作社", region_code="370112",
                       uscc=code + uscc_check_char(code))
    db.session.add(collective)
    db.session.flush()
    body = "37011219800101001"
    household = Party(kind="household", name="张建国", region_code="370112", village="宅科村",
                      id_number=body + id_check_char(body), id_number_index=blind_index(body + id_check_char(body)),
                      collective_id=collective.id)
    db.session.add(household)
    db.session.commit()
    right_ids = []
    for n in range(rights):
        right = land_right(db, household, collective, cert=f"370112-LM-{n + 1}")
        certify(users["appraiser"], right)
        right_ids.append(right.id)
    product = db.session.execute(select(Product).where(Product.code == "LAND-MORTGAGE")).scalar_one()
    loans = []
    for positions in collateral:
        loan = application_service.create_application(users["loan_officer"], {
            "product_id": product.id, "borrower_id": household.id, "amount": Decimal(amount), "term_months": 36,
            "repayment_method": "equal_instalment", "purpose": "购买农机",
            "collateral": [{"right_id": right_ids[p]} for p in positions]})
        application_service.submit(users["loan_officer"], loan.id)
        application_service.approve(users["bank_manager"], loan.id)
        loans.append(loan.id)
    tokens = {role: auth.issue_token(f"race-{role}", PASSWORD, "127.0.0.1")[0] for role in ("loan_officer", "bank_manager")}
    return {"loan_ids": loans, "right_ids": right_ids, **tokens}


def contracted_loan(db, amount="300000.00") -> dict:
    """One approved loan on one right (approved_loans), contracted: its id, its right's and the tokens."""
    from finplat.auth.models import User
    from finplat.loans import origination_service
    made = approved_loans(db, [(0,)], amount=amount)
    officer = db.session.execute(select(User).where(User.username == "race-loan_officer")).scalar_one()
    origination_service.sign_contracts(officer, made["loan_ids"][0])
    return {**made, "loan_id": made["loan_ids"][0], "right_id": made["right_ids"][0]}


@pytest.fixture
def active(client, db, products, people, village, valued):
    """120,000.00 over 12 months, equal instalments at 3.50 %, disbursed on 2026-11-23 (first due 12-23)."""
    loan = file(client, people, application(products, village["household"], valued, amount="120000.00",
                                            term_months=12))
    url = f"{API}/loans/{loan['id']}"
    for path, who in (("submit", "officer"), ("approve", "manager"), ("contracts", "officer")):
        assert client.post(f"{url}/{path}", headers=people[who][1]).status_code in (200, 201)
    resp = client.post(f"{url}/disburse", headers={**people["manager"][1], "Idempotency-Key": "d"}, json={})
    assert resp.status_code == 200
    return loan


def repay(client, people, loan, amount, key, **extra):
    return client.post(f"{API}/loans/{loan['id']}/repayments", json={"amount": amount, **extra},
                       headers={**people["officer"][1], "Idempotency-Key": key})


# loans written straight to the tables, for the close-of-business tests (the steps read nothing else)
COB_RATE, COB_FACTOR = Decimal("0.035"), Decimal("1.5")


def write_loan(db, borrower_id, bank_id, product_id, maker_id, amount="120000.00", term=12,
               method="equal_instalment", start=date(2026, 11, 23)) -> Loan:
    """An active loan at 3.50 % with its schedule, written straight to the tables and committed."""
    amount = Decimal(amount)
    plan = schedule.schedule(amount, COB_RATE, term, method, start)
    loan = Loan(bank_id=bank_id, product_id=product_id, borrower_id=borrower_id,
                amount=amount, term_months=term, repayment_method=method, purpose="测试", status="active",
                lpr_tenor="1y", lpr_rate=Decimal("0.03"), lpr_date=date(2025, 5, 20), spread_bps=50,
                annual_rate=COB_RATE, penalty_factor=COB_FACTOR, maker_id=maker_id, disbursed_on=start,
                maturity_date=plan.instalments[-1].due_date, principal_outstanding=amount, schedule_version=1,
                oldest_unpaid_due=plan.instalments[0].due_date, classification="normal")
    db.session.add(loan)
    db.session.flush()
    starts = [start] + [row.due_date for row in plan.instalments[:-1]]
    db.session.add_all([LoanInstalment(loan_id=loan.id, version=1, number=row.number, period_start=s,
                                       due_date=row.due_date, principal=row.principal, interest=row.interest,
                                       payment=row.payment, balance=row.balance)
                        for s, row in zip(starts, plan.instalments)])
    db.session.commit()
    return loan


@pytest.fixture
def make_loan(db, products, make_user, bank):
    maker = make_user("loan_officer", institution=bank)

    def make(borrower, amount="120000.00", term=12, method="equal_instalment", start=date(2026, 11, 23),
             bank_id=None):
        return write_loan(db, borrower.id, bank_id or bank.id, products["LAND-MORTGAGE"].id, maker.id, amount,
                          term, method, start)
    return make
