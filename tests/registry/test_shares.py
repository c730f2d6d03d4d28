"""Collective share registers and transfers (DESIGN.md §3.2, API.md Registry)."""
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.registry import lien_service
from finplat.registry.models import Shareholding, ShareTransfer
from tests.conftest import OPEN_DATE

API = "/api/v1"


@pytest.fixture
def village(make_party, make_user, auth_header):
    """A collective with three member households, another collective with one, and a registrar."""
    collective = make_party("collective", name="宅科村股份经济合作社")
    a, b, c = (make_party("household", name=name, collective_id=collective.id) for name in ("张三", "李四", "王五"))
    other = make_party("collective", name="西营村股份经济合作社")
    stranger = make_party("household", name="赵六", collective_id=other.id)
    registrar = make_user("registrar")
    return SimpleNamespace(collective=collective, a=a, b=b, c=c, other=other, stranger=stranger,
                           registrar=registrar, h=auth_header(registrar))


def audits(db, action) -> list[AuditRecord]:
    return db.session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars().all()


def put_register(client, v, total, allocations, collective=None):
    return client.put(f"{API}/collectives/{(collective or v.collective).id}/share-register", headers=v.h,
                      json={"total_shares": total, "allocations": [{"member_id": m.id, "shares": s}
                                                                   for m, s in allocations]})


def transfer(client, v, sender, receiver, shares, collective=None):
    return client.post(f"{API}/collectives/{(collective or v.collective).id}/share-transfers", headers=v.h,
                       json={"from_member_id": sender.id, "to_member_id": receiver.id, "shares": shares})


def shares_of(db, v):
    rows = db.session.execute(select(Shareholding.member_id, Shareholding.shares)
                              .where(Shareholding.collective_id == v.collective.id)).all()
    return {member_id: shares for member_id, shares in rows}


def holding(db, member):
    return db.session.execute(select(Shareholding).where(Shareholding.member_id == member.id)).scalar_one()


def pledge(db, member, shares):
    return lien_service.create_lien("test", shareholding_id=holding(db, member).id, shares=shares, kind="pledge",
                                    secured_amount="10000.00", max_secured="50000.00", secures_type="loan",
                                    secures_id="1")


def test_register_is_created_with_a_holding_per_member(client, db, village):
    v = village
    resp = put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    ids = {m: holding(db, m).id for m in (v.a, v.b)}
    assert body == {"collective_id": v.collective.id, "total_shares": 1000, "allocated": 700,
                    "updated_at": body["updated_at"],
                    "holdings": [{"shareholding_id": ids[v.a], "member_id": v.a.id, "member_name": "张三",
                                  "shares": 400, "pledged_shares": 0},
                                 {"shareholding_id": ids[v.b], "member_id": v.b.id, "member_name": "李四",
                                  "shares": 300, "pledged_shares": 0}]}
    [record] = audits(db, "share_register.put")
    assert record.before is None and record.actor == f"registrar:{v.registrar.username}"
    again = client.get(f"{API}/collectives/{v.collective.id}/share-register", headers=v.h)
    assert again.status_code == 200 and again.get_json() == body


def test_register_is_replaced_whole(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    a_holding = holding(db, v.a).id
    resp = put_register(client, v, 1200, [(v.a, 500), (v.c, 700)])
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["total_shares"], body["allocated"]) == (1200, 1200)
    assert [(h["member_id"], h["shares"]) for h in body["holdings"]] == [(v.a.id, 500), (v.c.id, 700)]
    assert body["holdings"][0]["shareholding_id"] == a_holding  # a holding keeps its id
    assert shares_of(db, v) == {v.a.id: 500, v.b.id: 0, v.c.id: 700}  # b dropped: an empty holding
    assert len(audits(db, "share_register.put")) == 2


@pytest.mark.parametrize("case", ["other_collective", "enterprise", "over_total", "duplicate"])
def test_invalid_registers_are_422_naming_allocations(client, db, village, make_party, case):
    v = village
    allocations = {
        "other_collective": [(v.a, 10), (v.stranger, 10)],
        "enterprise": [(make_party("enterprise"), 10)],
        "over_total": [(v.a, 60), (v.b, 41)],  # 101 of 100
        "duplicate": [(v.a, 10), (v.a, 20)],
    }[case]
    resp = put_register(client, v, 100, allocations)
    assert resp.status_code == 422, resp.get_json()
    assert list(resp.get_json()["error"]["fields"]) == ["allocations"]
    assert shares_of(db, v) == {} and audits(db, "share_register.put") == []


def test_allocations_may_fill_the_total_exactly(client, village):
    v = village
    resp = put_register(client, v, 100, [(v.a, 60), (v.b, 40)])
    assert resp.status_code == 200 and resp.get_json()["allocated"] == 100


@pytest.mark.parametrize("body, field", [({"total_shares": 0, "allocations": []}, "total_shares"),
                                          ({"total_shares": 10, "allocations": [{"member_id": 1, "shares": -1}]},
                                           "allocations"),
                                          ({"total_shares": "10", "allocations": []}, "total_shares"),
                                          ({"total_shares": 10}, "allocations")])
def test_malformed_register_bodies_are_422(client, village, body, field):
    resp = client.put(f"{API}/collectives/{village.collective.id}/share-register", headers=village.h, json=body)
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]


def test_only_a_collective_has_a_register(client, village):
    v = village
    for party_id in (v.a.id, 999_999, 2**40):
        resp = client.put(f"{API}/collectives/{party_id}/share-register", headers=v.h,
                          json={"total_shares": 10, "allocations": []})
        assert resp.status_code == 404, party_id
        assert client.get(f"{API}/collectives/{party_id}/share-register", headers=v.h).status_code == 404


def test_only_registrars_write_and_the_role_is_checked_first(client, village, make_user, auth_header):
    v = village
    officer = auth_header(make_user("loan_officer"))
    path = f"{API}/collectives/{v.collective.id}"
    assert client.put(f"{path}/share-register", headers=officer, json={"total_shares": "x"}).status_code == 403
    assert client.post(f"{path}/share-transfers", headers=officer, json={"shares": 0}).status_code == 403
    assert client.get(f"{path}/share-register", headers=officer).status_code == 404  # none yet, but readable


def test_farmers_see_their_own_collectives_register(client, village, make_user, auth_header):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    put_register(client, v, 50, [(v.stranger, 50)], collective=v.other)
    farmer = auth_header(make_user("farmer", username="13700000001", party_id=v.a.id))
    resp = client.get(f"{API}/collectives/{v.collective.id}/share-register", headers=farmer)
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["total_shares"], body["allocated"]) == (1000, 700)
    assert [h["member_id"] for h in body["holdings"]] == [v.a.id]  # their own holding only
    assert client.get(f"{API}/collectives/{v.other.id}/share-register", headers=farmer).status_code == 404


def test_transfer_within_the_collective_moves_the_shares(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    resp = transfer(client, v, v.a, v.b, 150)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["from_member_id"], body["to_member_id"], body["shares"]) == (v.a.id, v.b.id, 150)
    assert body["business_date"] == OPEN_DATE.isoformat()
    assert shares_of(db, v) == {v.a.id: 250, v.b.id: 450}
    row = db.session.get(ShareTransfer, body["id"])
    assert (row.business_date, row.actor) == (OPEN_DATE, f"registrar:{v.registrar.username}")
    [record] = audits(db, "share_transfer.create")
    assert record.before == '{"from_shares":400,"to_shares":300}'


def test_transfer_to_a_member_without_a_holding_creates_it(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400)])
    assert transfer(client, v, v.a, v.c, 400).status_code == 201
    assert shares_of(db, v) == {v.a.id: 0, v.c.id: 400}
    register = client.get(f"{API}/collectives/{v.collective.id}/share-register", headers=v.h).get_json()
    assert [(h["member_id"], h["shares"]) for h in register["holdings"]] == [(v.c.id, 400)]


def test_transfer_across_collectives_is_refused(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400)])
    put_register(client, v, 50, [(v.stranger, 50)], collective=v.other)
    resp = transfer(client, v, v.a, v.stranger, 100)
    assert resp.status_code == 422
    assert list(resp.get_json()["error"]["fields"]) == ["to_member_id"]
    resp = transfer(client, v, v.stranger, v.a, 10)
    assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == ["from_member_id"]
    resp = transfer(client, v, v.stranger, v.a, 10, collective=v.other)  # under the stranger's collective
    assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == ["to_member_id"]
    assert shares_of(db, v) == {v.a.id: 400}
    assert db.session.execute(select(func.count()).select_from(ShareTransfer)).scalar_one() == 0


def test_transfer_beyond_the_holding_is_422(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    for sender, receiver, shares in ((v.a, v.b, 401), (v.c, v.a, 1)):
        resp = transfer(client, v, sender, receiver, shares)
        assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == ["shares"]
    resp = transfer(client, v, v.a, v.a, 1)
    assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == ["to_member_id"]
    assert transfer(client, v, v.a, v.b, 0).status_code == 422
    assert shares_of(db, v) == {v.a.id: 400, v.b.id: 300}


def test_pledged_shares_cannot_be_transferred(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    pledge(db, v.a, 300)
    resp = transfer(client, v, v.a, v.b, 101)  # 400 held, 300 pledged: 100 free
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "shares_pledged"
    assert transfer(client, v, v.a, v.b, 100).status_code == 201
    assert shares_of(db, v) == {v.a.id: 300, v.b.id: 400}
    register = client.get(f"{API}/collectives/{v.collective.id}/share-register", headers=v.h).get_json()
    assert [(h["member_id"], h["pledged_shares"]) for h in register["holdings"]] == [(v.a.id, 300), (v.b.id, 0)]


def test_pledged_shares_block_a_register_change_below_them(client, db, village):
    v = village
    put_register(client, v, 1000, [(v.a, 400), (v.b, 300)])
    pledge(db, v.a, 250)
    for allocations in ([(v.a, 249), (v.b, 300)], [(v.b, 300)]):  # lowered below the pledge, or dropped
        resp = put_register(client, v, 1000, allocations)
        assert resp.status_code == 409, resp.get_json()
        assert resp.get_json()["error"]["code"] == "shares_pledged"
        assert list(resp.get_json()["error"]["fields"]) == ["allocations"]
    assert shares_of(db, v) == {v.a.id: 400, v.b.id: 300}
    resp = put_register(client, v, 1000, [(v.a, 250)])  # down to the pledge and b dropped: allowed
    assert resp.status_code == 200
    assert [(h["shares"], h["pledged_shares"]) for h in resp.get_json()["holdings"]] == [(250, 250)]
