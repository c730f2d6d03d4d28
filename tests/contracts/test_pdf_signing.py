"""The PDF pipeline on its own: WeasyPrint with the packaged CJK fonts and no fetching, a PAdES signature by
pyHanko, and verification — by pyHanko and by poppler's pdfsig as an independent validator — that any
changed byte breaks."""
import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from finplat.contracts import pki, signing
from finplat.contracts.render import RenderError, render_pdf
from finplat.contracts.verify import NotAPdf, NoSignature, verify_pdf

PAGE = ("<html><head><style>body { font-family: 'Noto Serif SC'; } h1 { font-family: 'Noto Sans SC'; }</style>"
        "</head><body><h1>借款合同</h1><p>借款金额：人民币贰拾伍万陆仟元整（￥256,000.00）。</p>"
        "<p>借款人：张建国，公民身份号码 370112********0137。</p></body></html>")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    pki.ensure_ca(folder)
    issued = pki.certificate_for(folder, {}, 1, "济南农村商业银行")
    signer = signing.load_signer(folder / issued.pkcs12_path, issued.fingerprint_sha256)
    root = pki.load_ca(folder)[1]
    return {"folder": folder, "signer": signer, "root": root.public_bytes(Encoding.DER),
            "root_pem": root.public_bytes(Encoding.PEM)}


@pytest.fixture(scope="module")
def signed(ca):
    return signing.sign_pdf(render_pdf(PAGE), ca["signer"], reason="借款合同", location="济南")


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def test_chinese_text_comes_out_of_the_pdf_with_embedded_fonts():
    pdf = render_pdf(PAGE)
    text = pdftotext(pdf)
    assert "借款合同" in text and "人民币贰拾伍万陆仟元整" in text and "370112********0137" in text
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "Noto-Serif-SC" in fonts and "Noto-Sans-SC" in fonts  # embedded subsets, not the host's fonts


@pytest.mark.parametrize("html", [
    "<img src='http://example.com/logo.png'>",
    "<link rel='stylesheet' href='file:///etc/passwd'>",
    "<style>@import url('https://example.com/x.css');</style><p>x</p>",
])
def test_nothing_is_fetched(html):
    with pytest.raises(RenderError):
        render_pdf(html)


def test_a_signature_verifies_with_pyhanko_and_pdfsig(ca, signed, tmp_path):
    verdict = verify_pdf(signed, [ca["root"]])
    assert (verdict.intact, verdict.trusted, verdict.valid, verdict.signer) == (True, True, True, "济南农村商业银行")
    assert verdict.signed_at is not None
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = pdfsig(path)
    assert "Signature Type: ETSI.CAdES.detached" in out and "Signing Hash Algorithm: SHA-256" in out
    assert "Signature is Valid." in out and "Total document signed" in out
    assert "借款合同" in pdftotext(signed)


def test_an_untrusted_root_leaves_the_file_intact_but_not_valid(signed):
    verdict = verify_pdf(signed, [])
    assert (verdict.intact, verdict.trusted, verdict.valid) == (True, False, False)


@pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.7, 0.9, 0.999])
def test_any_changed_byte_breaks_it(ca, signed, where, tmp_path):
    damaged = bytearray(signed)
    position = int(len(damaged) * where)
    damaged[position] = (damaged[position] + 1) % 256
    verdict = verify_pdf(bytes(damaged), [ca["root"]])
    assert verdict.intact is False and verdict.valid is False
    path = tmp_path / "damaged.pdf"
    path.write_bytes(damaged)
    assert "Signature is Valid." not in pdfsig(path) or "Total document signed" not in pdfsig(path)


def test_bytes_added_after_the_signature_are_caught(ca, signed):
    assert verify_pdf(signed + b"\n% added later\n", [ca["root"]]).intact is False


def test_not_a_pdf_and_no_signature():
    with pytest.raises(NotAPdf):
        verify_pdf(b"GIF89a....", [])
    with pytest.raises(NoSignature):
        verify_pdf(render_pdf(PAGE), [])


def test_a_signer_is_loaded_once(ca, tmp_path):
    folder = ca["folder"]
    issued = pki.certificate_for(folder, {}, 2, "淄博农村商业银行")
    first = signing.load_signer(folder / issued.pkcs12_path, issued.fingerprint_sha256)
    assert signing.load_signer(folder / issued.pkcs12_path, issued.fingerprint_sha256) is first
    with pytest.raises(signing.SignerUnavailable):
        signing.load_signer(tmp_path / "missing.p12", "00")


def _tsa(folder):
    """A time-stamping authority certified by the test CA, as pyHanko's in-process stamper wants it."""
    from datetime import datetime, timedelta, timezone

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    ca_key, ca_cert = pki.load_ca(folder)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's in-process stamper: RSA
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return (asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption())))


def test_a_configured_tsa_adds_a_timestamp(ca, monkeypatch):
    from datetime import datetime, timezone

    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    tsa_cert, tsa_key = _tsa(ca["folder"])
    moment = datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)
    asked = []

    def stamper(url):
        asked.append(url)
        return DummyTimeStamper(tsa_cert, tsa_key, fixed_dt=moment)
    monkeypatch.setattr(signing, "HTTPTimeStamper", stamper)
    signed = signing.sign_pdf(render_pdf(PAGE), ca["signer"], reason="借款合同", location="济南",
                              tsa_url="http://tsa.example.test/tsr")
    verdict = verify_pdf(signed, [ca["root"]])
    assert asked == ["http://tsa.example.test/tsr"]
    assert (verdict.valid, verdict.timestamped, verdict.signed_at) == (True, True, moment)


def test_without_a_tsa_the_time_is_the_signers_own(signed, ca):
    assert verify_pdf(signed, [ca["root"]]).timestamped is False


# --- crafted files: what the signature does not cover must not change either, and nothing may crash

def _gap(data: bytes):
    """(start, end) of the /Contents hex string, the part of the file the signature leaves out."""
    import re
    byte_range = [int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data).groups()]
    return byte_range[1] + 1, byte_range[2] - 1


def test_a_changed_padding_digit_or_letter_case_in_the_signature_breaks_it(ca, signed):
    start, end = _gap(signed)
    digits = signed[start:end]
    padded = bytearray(signed)
    padded[end - 1] = ord("1")  # the zero padding after the signature's DER
    assert verify_pdf(bytes(padded), [ca["root"]]).intact is False
    letter = next(i for i, c in enumerate(digits) if chr(c) in "abcdefABCDEF")
    recased = bytearray(signed)
    recased[start + letter] = ord(chr(digits[letter]).swapcase())  # the same bytes, written differently
    assert verify_pdf(bytes(recased), [ca["root"]]).intact is False


def test_a_second_signature_over_a_signed_contract_is_not_accepted(ca, signed):
    folder = ca["folder"]
    issued = pki.certificate_for(folder, {}, 3, "另一家机构")
    other = signing.load_signer(folder / issued.pkcs12_path, issued.fingerprint_sha256)
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    twice = signers.PdfSigner(signers.PdfSignatureMetadata(field_name="Second", subfilter=SigSeedSubFilter.PADES),
                              other).sign_pdf(IncrementalPdfFileWriter(BytesIO(signed)), output=BytesIO()).getvalue()
    verdict = verify_pdf(twice, [ca["root"]])
    assert (verdict.intact, verdict.valid, verdict.signer) == (False, False, None)


@pytest.mark.parametrize("replacement", [b"/V 7     ", b"/V 99 0 R", b"/V (x)   "])
def test_a_signature_field_pointing_anywhere_is_not_a_crash(ca, signed, replacement):
    import re
    match = re.search(rb"/V \d+ 0 R", signed)
    crafted = signed[:match.start()] + replacement.ljust(match.end() - match.start()) + signed[match.end():]
    verdict = verify_pdf(crafted, [ca["root"]])
    assert verdict.intact is False


def test_an_untrusted_tsa_does_not_set_the_time(ca, monkeypatch, tmp_path):
    from datetime import datetime, timezone

    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    rogue = tmp_path / "rogue"
    pki.ensure_ca(rogue)
    tsa_cert, tsa_key = _tsa(rogue)  # a TSA no trust root vouches for, claiming an old date
    monkeypatch.setattr(signing, "HTTPTimeStamper", lambda url: DummyTimeStamper(
        tsa_cert, tsa_key, fixed_dt=datetime(2019, 1, 1, tzinfo=timezone.utc)))
    signed = signing.sign_pdf(render_pdf(PAGE), ca["signer"], reason="借款合同", location="济南", tsa_url="http://x")
    verdict = verify_pdf(signed, [ca["root"]])
    assert verdict.valid is True and verdict.timestamped is False and verdict.signed_at.year == 2026


def test_certificates_are_judged_at_the_moment_given(ca, signed):
    from datetime import datetime, timezone
    later = datetime(2040, 1, 1, tzinfo=timezone.utc)  # the signer's certificate (5 years) has expired by then
    assert verify_pdf(signed, [ca["root"]], moment=later).trusted is False
    signed_at = verify_pdf(signed, [ca["root"]]).signed_at
    assert verify_pdf(signed, [ca["root"]], moment=signed_at).valid is True


def test_a_signer_whose_file_holds_another_certificate_is_refused(ca):
    folder = ca["folder"]
    issued = pki.certificate_for(folder, {}, 4, "换证机构")
    with pytest.raises(signing.SignerUnavailable):
        signing.load_signer(folder / issued.pkcs12_path, "0" * 64)
