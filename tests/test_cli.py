from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.auth.models import Institution, User
from finplat.demo import DEMO_PASSWORD


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_demo_twice_creates_every_role_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    institutions, users = count(db, Institution), count(db, User)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert (count(db, Institution), count(db, User)) == (institutions, users)
    roles = set(db.session.execute(select(User.role)).scalars())
    assert roles == {"admin", "registrar", "appraiser", "loan_officer", "bank_manager", "guarantor", "fund_manager",
                     "farmer"}
    kinds = set(db.session.execute(select(Institution.kind)).scalars())
    assert kinds == {"bank", "guarantee_agency", "appraisal_agency", "fund_administrator", "rights_centre",
                     "platform"}
    client = app.test_client()
    resp = client.post("/api/v1/auth/token", json={"username": "officer", "password": DEMO_PASSWORD})
    assert resp.status_code == 200


def test_first_admin_through_the_cli(app, db):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["institutions", "create", "--kind", "platform", "--name", "Ops"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "root", "--role", "admin", "--institution", "Ops",
                            "--password", "long-enough-pw"])
    assert r.exit_code == 0, r.output
    user = db.session.execute(select(User).where(User.username == "root")).scalar_one()
    assert user.role == "admin" and user.institution.name == "Ops"
    actions = db.session.execute(select(AuditRecord.action, AuditRecord.actor)).all()
    assert ("user.create", "cli") in actions and ("institution.create", "cli") in actions


def test_cli_refuses_bad_input_with_a_message(app, db):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "x", "--role", "admin", "--institution", "Nowhere",
                            "--password", "long-enough-pw"])
    assert r.exit_code != 0 and "no institution named 'Nowhere'" in r.output
    runner.invoke(args=["institutions", "create", "--kind", "bank", "--name", "B1"])
    r = runner.invoke(args=["users", "create", "y", "--role", "admin", "--institution", "B1",
                            "--password", "long-enough-pw"])
    assert r.exit_code == 1 and "institution_id" in r.output
    r = runner.invoke(args=["users", "create", "z", "--role", "loan_officer", "--institution", "B1",
                            "--password", "short"])
    assert r.exit_code == 1 and "password" in r.output
    r = runner.invoke(args=["institutions", "create", "--kind", "bank", "--name", "B1"])
    assert r.exit_code == 1 and "name" in r.output
    assert count(db, User) == 0


def test_seed_demo_registry_villages_rights_and_farmers(app, db):
    from finplat.registry.models import Party, Right, ShareRegister
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    regions = set(db.session.execute(select(Party.region_code).where(Party.kind == "collective")).scalars())
    assert {r[:4] for r in regions} == {"3701", "3703"}  # a Jinan and a Zibo village
    assert set(db.session.execute(select(Right.kind)).scalars()) == {
        "land_management", "house", "construction_land", "forest", "water_facility"}
    assert db.session.execute(select(func.count()).select_from(ShareRegister)).scalar_one() == 2

    farmer = db.session.execute(select(User).where(User.username == "13700000001")).scalar_one()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": farmer.username, "password": DEMO_PASSWORD})
    header = {"Authorization": "Bearer " + token.get_json()["token"]}
    mine = client.get("/api/v1/rights", headers=header).get_json()
    own = db.session.execute(select(Right.id).where(Right.holder_id == farmer.party_id)).scalars().all()
    assert own and sorted(r["id"] for r in mine["items"]) == sorted(own)
    other = db.session.execute(select(Right.id).where(Right.holder_id != farmer.party_id)).scalars().first()
    assert client.get(f"/api/v1/rights/{other}", headers=header).status_code == 404
    # the demo's loan on the farmer's land right: half its certified value in whole ten thousands, disbursed
    loans = client.get("/api/v1/me/loans", headers=header).get_json()["items"]
    assert [(loan["status"], loan["principal_outstanding"], loan["classification"]) for loan in loans] == \
        [("active", "100000.00", "normal")]


def test_seed_demo_leaves_no_transaction_open(app, db):
    """On SQLite every transaction holds the write lock from its BEGIN: `finplat demo` serves right after
    seeding, so a read left open by the seed would lock every request out."""
    from finplat.demo import seed
    seed()
    assert not db.session().in_transaction()
