"""PAdES signatures with pyHanko: SubFilter ETSI.CAdES.detached, SHA-256, PAdES B-B (B-T with a timestamp
when FINPLAT_TSA_URL names a time-stamping authority), a visible stamp at the foot of the last page.

The stamp is set in pyHanko's built-in font: embedding a CJK font for it would cost several times the whole
signature (fontTools subsetting a 10 MB font on every contract). The Chinese signature block (who signs, for
whom) is part of the contract's own pages, rendered with them; the stamp beside it carries the certificate's
fingerprint and the signing time.

Loading a PKCS#12 costs more than a signature, so each signer is loaded once per process and kept, keyed by
its file and the certificate's fingerprint (a rotated certificate is a new key).
"""
import threading
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import TextStampStyle


FIELD = "FinPlatSignature"
STAMP_BOX = (340, 15, 560, 85)  # points from the last page's lower left: its bottom margin, right-hand side
STAMP = TextStampStyle(stamp_text="PAdES digital signature\ncertificate %(fingerprint)s\n%(ts)s",
                       timestamp_format="%Y-%m-%d %H:%M:%S %Z", border_width=1,
                       text_box_style=TextBoxStyle(font_size=7))

_signers: dict = {}
_lock = threading.Lock()


class SignerUnavailable(Exception):
    """The institution's PKCS#12 cannot be opened (missing file, wrong passphrase, another certificate)."""


class TimestampUnavailable(Exception):
    """The configured time-stamping authority did not answer."""


def load_signer(pkcs12_path: Path, fingerprint: str, passphrase: str | None = None) -> signers.SimpleSigner:
    key = (str(pkcs12_path), fingerprint)
    with _lock:
        signer = _signers.get(key)
        if signer is None:
            try:
                signer = signers.SimpleSigner.load_pkcs12(str(pkcs12_path),
                                                          passphrase=passphrase.encode() if passphrase else None)
            except (OSError, ValueError) as exc:
                raise SignerUnavailable(f"{pkcs12_path.name}: {exc}") from None
            if signer is None:
                raise SignerUnavailable(f"{pkcs12_path.name} cannot be opened: check FINPLAT_PKCS12_PASSPHRASE")
            if signer.signing_cert.sha256.hex() != fingerprint:  # a replaced file is not the recorded certificate
                raise SignerUnavailable(f"{pkcs12_path.name} holds another certificate than the one on record")
            _signers[key] = signer
        return signer


def sign_pdf(pdf: bytes, signer: signers.SimpleSigner, *, reason: str, location: str,
             tsa_url: str | None = None) -> bytes:
    """`pdf` with a PAdES signature by `signer`, added as an incremental update."""
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
                                        reason=reason, location=location)
    pdf_signer = signers.PdfSigner(meta, signer, stamp_style=STAMP,
                                   timestamper=HTTPTimeStamper(tsa_url) if tsa_url else None,
                                   new_field_spec=SigFieldSpec(FIELD, on_page=-1, box=STAMP_BOX))
    fingerprint = signer.signing_cert.sha256.hex()[:16]
    try:
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), output=BytesIO(),
                                  appearance_text_params={"fingerprint": fingerprint})
    except TimestampRequestError as exc:
        raise TimestampUnavailable(str(exc)) from None
    return out.getvalue()


def signature_facts(signed: bytes) -> tuple[str | None, object]:
    """(the signer certificate's common name, the signing time it reports) of a PDF just signed."""
    signature = PdfFileReader(BytesIO(signed), strict=False).embedded_signatures[-1]
    return signature.signer_cert.subject.native.get("common_name"), signature.self_reported_timestamp
