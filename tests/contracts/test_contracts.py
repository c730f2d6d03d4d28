"""Contracts end to end: every template kind rendered with its Chinese sample context, signed, stored and
recorded; its text read back with pdftotext; its signature checked by pyHanko and by poppler's pdfsig; the
routes, the verification page and the commands."""
import io
import subprocess

import pytest
from sqlalchemy import func, select

from finplat.audit import AuditRecord
from finplat.contracts import service, storage
from finplat.contracts.context import sample_context
from finplat.contracts.models import CONTRACT_KINDS, Contract

API = "/api/v1"
TITLES = {"loan": "借款合同", "land_mortgage": "土地经营权抵押合同", "house_mortgage": "抵押合同",
          "construction_land_mortgage": "建设用地使用权抵押合同", "forest_mortgage": "林权抵押合同",
          "share_pledge": "质押合同", "guarantee": "保证合同", "schedule_annex": "还款计划"}


@pytest.fixture
def bank(make_institution):
    return make_institution("bank", name="济南农村商业银行")


@pytest.fixture
def officer(make_user, auth_header, bank):
    return auth_header(make_user("loan_officer", institution=bank))


@pytest.fixture
def issued(db, bank):
    return service.issue("test", "loan", sample_context("loan"), bank)


def text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdfsig(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_every_kind_renders_signs_and_verifies(db, bank, kind, tmp_path):
    contract = service.issue("test", kind, sample_context(kind), bank)
    pdf = storage.load(contract.sha256)
    text = " ".join(text_of(pdf).split())
    assert TITLES[kind] in text
    assert "张建国" in text and "370112" in text
    assert "370112195" not in text.replace(" ", "")  # the borrower's ID number only masked
    if kind != "schedule_annex":
        assert "贰拾伍万陆仟元整" in text.replace(" ", "")
    out = pdfsig(pdf, tmp_path)
    assert "Signature is Valid." in out and "Total document signed" in out and "ETSI.CAdES.detached" in out
    verdict = service.verify("test", pdf)
    assert verdict == {"valid": True, "intact": True, "signer": "济南农村商业银行", "signed_at": verdict["signed_at"],
                       "on_record": True, "contract_id": contract.id}
    row = db.session.get(Contract, contract.id)
    assert (row.kind, row.sha256, row.size, row.sample) == (kind, storage.sha256(pdf), len(pdf), False)
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "contract.signed", AuditRecord.object_id == str(contract.id))) == 1


def test_the_loan_contract_and_its_annex_read_as_contracts(db, bank):
    context = sample_context("loan")
    text = " ".join(text_of(storage.load(service.issue("test", "loan", context, bank).sha256)).split())
    for expected in ("第一条", "争议解决", "3.80%", "36", "济南农村商业银行"):
        assert expected in text, expected


def test_reading_a_contract_and_its_pdf(client, db, issued, officer, make_user, auth_header):
    got = client.get(f"{API}/contracts/{issued.id}", headers=officer).get_json()
    assert got["kind"] == "loan" and got["sha256"] == issued.sha256 and got["signer"] == "济南农村商业银行"
    assert got["loan_id"] is None and got["signed_at"]
    resp = client.get(f"{API}/contracts/{issued.id}/pdf", headers=officer)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert storage.sha256(resp.get_data()) == issued.sha256
    other_bank = auth_header(make_user("loan_officer"))
    assert client.get(f"{API}/contracts/{issued.id}", headers=other_bank).status_code == 404
    assert client.get(f"{API}/contracts/{issued.id}/pdf", headers=other_bank).status_code == 404
    assert client.get(f"{API}/contracts/{issued.id}").status_code == 401


def verify(client, headers, data, name="c.pdf"):
    return client.post(f"{API}/contracts/verify", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


def test_verify_route(client, db, issued, officer):
    pdf = storage.load(issued.sha256)
    got = verify(client, officer, pdf).get_json()
    assert (got["valid"], got["intact"], got["on_record"], got["contract_id"]) == (True, True, True, issued.id)
    damaged = bytearray(pdf)
    damaged[len(damaged) // 2] ^= 0x20
    got = verify(client, officer, bytes(damaged)).get_json()
    assert (got["valid"], got["intact"], got["on_record"], got["contract_id"]) == (False, False, False, None)


@pytest.mark.parametrize("data, code", [(b"", "rule_violation"), (b"PK\x03\x04 a zip", "not_a_pdf")])
def test_verify_refuses_what_is_not_a_signed_pdf(client, db, officer, data, code):
    resp = verify(client, officer, data)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == code
    assert "file" in resp.get_json()["error"]["fields"]


def test_verify_an_unsigned_pdf_and_an_oversized_one(client, app, db, officer, monkeypatch):
    from finplat.contracts.render import render_pdf
    resp = verify(client, officer, render_pdf("<p>未签名</p>"))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "unsigned"
    monkeypatch.setitem(app.config, "MAX_VERIFY_BYTES", 100)
    resp = verify(client, officer, b"%PDF-1.7" + b" " * 200)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "too_large"
    resp = client.post(f"{API}/contracts/verify", headers=officer, content_type="multipart/form-data", data={})
    assert resp.status_code == 422 and "file" in str(resp.get_json()["error"]["fields"])


def test_a_stored_file_changed_on_disk_is_not_handed_out(client, db, issued, officer):
    path = storage.folder() / f"{issued.sha256}.pdf"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n")
        resp = client.get(f"{API}/contracts/{issued.id}/pdf", headers=officer)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "file_changed"
    finally:
        path.write_bytes(original)


def test_the_verification_page(client, db, issued, make_user, login, bank):
    from tests.conftest import csrf_token
    login(make_user("loan_officer", institution=bank))
    page = client.get("/contracts/verify").get_data(as_text=True)
    resp = client.post("/contracts/verify", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(storage.load(issued.sha256)), "c.pdf")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "签名有效" in html and f"第 {issued.id} 号" in html
    resp = client.post("/contracts/verify", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(b"not a pdf"), "x.pdf")})
    assert resp.status_code == 422 and "不是 PDF 文件" in resp.get_data(as_text=True)
    assert "济南农村商业银行" in client.get(f"/contracts/{issued.id}").get_data(as_text=True)


def test_sample_and_verify_commands(app, db, bank, tmp_path):
    out = tmp_path / "sample.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["contracts", "sample", "--kind", "land_mortgage", "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = db.session.execute(select(Contract).where(Contract.sha256 == storage.sha256(out.read_bytes()))).scalar_one()
    assert record.sample is True and record.kind == "land_mortgage"
    result = runner.invoke(args=["contracts", "verify", str(out)])
    assert result.exit_code == 0 and '"valid": true' in result.output and '"on_record": true' in result.output
    damaged = bytearray(out.read_bytes())
    damaged[len(damaged) // 3] ^= 0x01
    out.write_bytes(bytes(damaged))
    result = runner.invoke(args=["contracts", "verify", str(out)])
    assert result.exit_code == 1 and '"intact": false' in result.output


def test_configured_trust_roots_are_trusted(app, db, tmp_path, monkeypatch):
    """A PDF signed under another CA is intact but not valid, until FINPLAT_TRUST_ROOTS names that CA."""
    from finplat.contracts import pki, signing
    from finplat.contracts.render import render_pdf
    other = tmp_path / "other"
    pki.ensure_ca(other)
    issued = pki.certificate_for(other, {}, 9, "青岛农商银行")
    signer = signing.load_signer(other / issued.pkcs12_path, issued.fingerprint_sha256)
    pdf = signing.sign_pdf(render_pdf("<p>合同</p>"), signer, reason="测试", location="青岛")
    got = service.verify("test", pdf)
    assert (got["intact"], got["valid"], got["signer"], got["on_record"]) == (True, False, "青岛农商银行", False)
    monkeypatch.setitem(app.config, "TRUST_ROOTS", str(other / "pki" / pki.CA_CERT))
    assert service.verify("test", pdf)["valid"] is True


def test_the_record_says_what_verification_says(client, db, issued, officer, make_user, auth_header):
    got = verify(client, officer, storage.load(issued.sha256)).get_json()
    record = client.get(f"{API}/contracts/{issued.id}", headers=officer).get_json()
    assert (record["signer"], record["signed_at"]) == (got["signer"], got["signed_at"])
    other_bank = auth_header(make_user("loan_officer"))  # on record, but not theirs to open
    got = verify(client, other_bank, storage.load(issued.sha256)).get_json()
    assert (got["valid"], got["on_record"], got["contract_id"]) == (True, True, None)


def test_an_unreachable_tsa_is_a_503_and_writes_nothing(app, db, bank, monkeypatch):
    from finplat.errors import Unavailable
    monkeypatch.setitem(app.config, "TSA_URL", "http://127.0.0.1:9/tsr")  # nothing listens on port 9
    before = db.session.scalar(select(func.count()).select_from(Contract))
    with pytest.raises(Unavailable) as raised:
        service.issue("test", "loan", sample_context("loan"), bank)
    assert raised.value.status == 503 and raised.value.code == "tsa_unavailable"
    assert db.session.scalar(select(func.count()).select_from(Contract)) == before
