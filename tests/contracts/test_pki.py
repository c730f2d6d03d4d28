import stat
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from finplat.auth.models import Institution
from finplat.contracts import pki
from finplat.errors import RuleViolation


def test_ca_is_created_once_and_is_a_ca(tmp_path):
    assert pki.ensure_ca(tmp_path) is True
    first = (tmp_path / "pki" / pki.CA_CERT).read_bytes()
    assert pki.ensure_ca(tmp_path) is False
    assert (tmp_path / "pki" / pki.CA_CERT).read_bytes() == first
    ca = x509.load_pem_x509_certificate(first)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    assert stat.S_IMODE((tmp_path / "pki" / pki.CA_KEY).stat().st_mode) == 0o600


def test_issued_certificate_chains_to_the_ca_and_its_pkcs12_loads(tmp_path):
    pki.ensure_ca(tmp_path)
    issued = pki.certificate_for(tmp_path, {}, 7, "济南农村商业银行")
    assert issued.source == "instance_ca"
    bundle = (tmp_path / issued.pkcs12_path).read_bytes()
    assert stat.S_IMODE((tmp_path / issued.pkcs12_path).stat().st_mode) == 0o600
    key, cert, chain = pkcs12.load_key_and_certificates(bundle, None)
    _ca_key, ca = pki.load_ca(tmp_path)
    cert.verify_directly_issued_by(ca)  # raises if the signature does not verify
    assert chain == [ca]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "济南农村商业银行"
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment is True
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert timedelta(days=5 * 365 - 1) < issued.not_after - issued.not_before < timedelta(days=5 * 365 + 1)
    assert issued.pkcs12_path.startswith("pki/institutions/7-")


def test_a_configured_pkcs12_is_used_instead(tmp_path):
    pki.ensure_ca(tmp_path)
    own = pki.certificate_for(tmp_path, {}, 1, "Own Bank")
    configured_dir = tmp_path / "configured"
    configured_dir.mkdir()
    key, cert, chain = pkcs12.load_key_and_certificates((tmp_path / own.pkcs12_path).read_bytes(), None)
    (configured_dir / "Own Bank.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"own", key, cert, chain, serialization.BestAvailableEncryption(b"s3cret")))
    got = pki.certificate_for(tmp_path, {"PKCS12_DIR": str(configured_dir), "PKCS12_PASSPHRASE": "s3cret"}, 2,
                              "Own Bank")
    assert got.source == "configured"
    assert got.fingerprint_sha256 == own.fingerprint_sha256
    other = pki.certificate_for(tmp_path, {"PKCS12_DIR": str(configured_dir)}, 3, "Other Bank")
    assert other.source == "instance_ca" and other.fingerprint_sha256 != own.fingerprint_sha256


def test_signer_keys_are_p256(tmp_path):
    pki.ensure_ca(tmp_path)
    issued = pki.certificate_for(tmp_path, {}, 9, "x")
    _key, cert, _ = pkcs12.load_key_and_certificates((tmp_path / issued.pkcs12_path).read_bytes(), None)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"


def test_long_chinese_names_fit_the_certificate(tmp_path):
    pki.ensure_ca(tmp_path)
    name = "山东省农业发展信贷担保有限责任公司" * 5  # 85 characters, 255 bytes
    issued = pki.certificate_for(tmp_path, {}, 11, name)
    _key, cert, _ = pkcs12.load_key_and_certificates((tmp_path / issued.pkcs12_path).read_bytes(), None)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name.startswith(cn) and len(cn) == 21  # 63 bytes: the longest prefix within 64


def test_a_key_left_without_its_certificate_is_replaced(tmp_path):
    """A crash between writing the CA's key and its certificate must not block every later init-db."""
    folder = tmp_path / "pki"
    folder.mkdir()
    (folder / pki.CA_KEY).write_text("half-written")
    (folder / pki.CA_KEY).chmod(0o644)
    assert pki.ensure_ca(tmp_path) is True
    key, cert = pki.load_ca(tmp_path)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert stat.S_IMODE((folder / pki.CA_KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / pki.CA_CERT).stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [pki.CA_CERT, pki.CA_KEY]


def configured(tmp_path, name, passphrase=b"s3cret", folder="configured"):
    """A PKCS#12 for `name` in tmp_path/<folder>, made from a certificate of the instance CA."""
    pki.ensure_ca(tmp_path)
    issued = pki.certificate_for(tmp_path, {}, 1, name)
    key, cert, chain = pkcs12.load_key_and_certificates((tmp_path / issued.pkcs12_path).read_bytes(), None)
    path = tmp_path / folder / f"{name}.p12"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"own", key, cert, chain,
                                                           serialization.BestAvailableEncryption(passphrase)))
    return issued


def test_a_configured_pkcs12_is_only_a_file_directly_in_its_folder(tmp_path):
    configured(tmp_path, "Outside", folder=".")  # tmp_path/Outside.p12, beside the configured folder
    configured(tmp_path, "Nested", folder="configured/sub")
    (tmp_path / "configured" / "Folder.p12").mkdir()
    config = {"PKCS12_DIR": str(tmp_path / "configured"), "PKCS12_PASSPHRASE": "s3cret"}
    for name in ("../Outside", "sub/Nested", "sub/../../Outside", "Folder", "Nul\0"):
        assert pki.configured_pkcs12(config, name) is None, name
    assert pki.certificate_for(tmp_path, config, 5, "../Outside").source == "instance_ca"
    configured(tmp_path, "..", folder="configured")  # "...p12": an odd name, but a file of the folder
    assert pki.configured_pkcs12(config, "..") == tmp_path / "configured" / "...p12"


def test_a_configured_pkcs12_that_cannot_be_opened_is_a_rule_violation_on_the_name(tmp_path):
    configured(tmp_path, "Own Bank")
    (tmp_path / "configured" / "Broken.p12").write_bytes(b"not a PKCS#12")
    for name, passphrase in (("Own Bank", "wrong"), ("Own Bank", None), ("Broken", "s3cret")):
        config = {"PKCS12_DIR": str(tmp_path / "configured"), "PKCS12_PASSPHRASE": passphrase}
        with pytest.raises(RuleViolation) as caught:
            pki.certificate_for(tmp_path, config, 2, name)
        assert list(caught.value.fields) == ["name"]
        assert f"{name}.p12" in caught.value.message and "FINPLAT_PKCS12_PASSPHRASE" in caught.value.message


def test_post_institution_with_an_unreadable_configured_pkcs12_is_422(app, db, client, admin, auth_header, tmp_path,
                                                                      monkeypatch):
    configured(tmp_path, "Own Bank")
    monkeypatch.setitem(app.config, "PKCS12_DIR", str(tmp_path / "configured"))
    monkeypatch.setitem(app.config, "PKCS12_PASSPHRASE", "wrong")
    resp = client.post("/api/v1/institutions", headers=auth_header(admin), json={"kind": "bank", "name": "Own Bank"})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == "rule_violation" and list(error["fields"]) == ["name"]
    assert "cannot be opened" in error["fields"]["name"][0]
    assert db.session.execute(select(Institution).where(Institution.name == "Own Bank")).first() is None


def test_a_name_too_long_for_a_file_name_has_no_configured_pkcs12(tmp_path):
    folder = tmp_path / "configured"
    folder.mkdir()
    assert pki.configured_pkcs12({"PKCS12_DIR": str(folder)}, "山" * 85) is None  # 259 bytes with ".p12"
