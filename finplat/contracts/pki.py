"""The instance's certificate authority and the institutions' signing certificates.

`finplat init-db` creates the CA (instance/pki/ca.key.pem, ca.cert.pem) when there is none. An institution
gets a signing certificate when it is created: its own PKCS#12 when one is configured for it
(FINPLAT_PKCS12_DIR/<institution name>.p12, as production does with certificates from a real CA), otherwise
one issued here by the instance CA. Keys are ECDSA P-256; files are written atomically and readable by
their owner only, like the instance's other keys.
"""
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from finplat.errors import field_error
from finplat.security.keys import write_private

CA_KEY, CA_CERT = "ca.key.pem", "ca.cert.pem"
CA_YEARS, SIGNER_YEARS = 20, 5


def pki_dir(instance_path) -> Path:
    return Path(instance_path) / "pki"


def _fit(text: str, limit=64) -> str:
    """The longest prefix that fits X.509's 64-unit bound as `cryptography` counts it (UTF-8 bytes)."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)))
    return x509.Name(attrs)


def ensure_ca(instance_path, name="FinPlat Instance CA") -> bool:
    """Create the instance CA if it is missing; True when it was created. The certificate, written last,
    says whether there is one: a key left without it (a crash in between) is replaced."""
    folder = pki_dir(instance_path)
    if (folder / CA_CERT).exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    subject = _name(name, "FinPlat")
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    write_private(folder / CA_KEY, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    write_private(folder / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return True


def load_ca(instance_path):
    folder = pki_dir(instance_path)
    if not (folder / CA_CERT).exists():
        raise RuntimeError("no instance CA: run `finplat init-db`")
    key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())


@dataclass
class IssuedCertificate:
    source: str
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    pkcs12_path: str  # relative to the instance folder


def _describe(cert: x509.Certificate, source: str, rel_path: str) -> IssuedCertificate:
    return IssuedCertificate(source=source, serial=format(cert.serial_number, "x"), subject=cert.subject.rfc4514_string(),
                             not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                             fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(), pkcs12_path=rel_path)


def configured_pkcs12(config, institution_name: str) -> Path | None:
    """FINPLAT_PKCS12_DIR/<name>.p12 if it is there. Only a file directly in that folder: a name with a path
    separator in it ("../x", "a/b") has none, or it could reach any file the process can read."""
    folder, filename = config.get("PKCS12_DIR"), f"{institution_name}.p12"
    if not folder or os.path.basename(filename) != filename or "\0" in filename or len(filename.encode()) > 255:
        return None  # 255 bytes: the longest file name a file system holds
    path = Path(folder) / filename
    try:
        return path if path.is_file() else None
    except OSError:
        return None


def _load_configured(path: Path, passphrase: str | None) -> x509.Certificate:
    """The certificate of a configured PKCS#12; a file that cannot be opened is the caller's error to see
    (a 422 on the institution's name), not a server error."""
    try:
        _key, cert, _chain = pkcs12.load_key_and_certificates(path.read_bytes(),
                                                              passphrase.encode() if passphrase else None)
    except (ValueError, TypeError, OSError):
        raise field_error("name", f"the configured PKCS#12 file {path.name} cannot be opened: check the file "
                                  "and FINPLAT_PKCS12_PASSPHRASE") from None
    if cert is None:
        raise field_error("name", f"the configured PKCS#12 file {path.name} holds no certificate")
    return cert


def certificate_for(instance_path, config, institution_id: int, institution_name: str) -> IssuedCertificate:
    """The configured PKCS#12 of the institution, or a new one issued by the instance CA."""
    configured = configured_pkcs12(config, institution_name)
    if configured is not None:
        return _describe(_load_configured(configured, config.get("PKCS12_PASSPHRASE")), "configured",
                         str(configured))
    ca_key, ca_cert = load_ca(instance_path)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(institution_name, institution_name))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * SIGNER_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    rel = f"pki/institutions/{institution_id}-{cert.serial_number:x}.p12"
    bundle = pkcs12.serialize_key_and_certificates(institution_name.encode(), key, cert, [ca_cert],
                                                   serialization.NoEncryption())
    write_private(Path(instance_path) / rel, bundle)
    return _describe(cert, "instance_ca", rel)
