"""Checking a signed contract: is every byte the signer signed still there (intact), does the signer's
certificate chain to a trust root (valid), who signed and when. Pure pyHanko: no Flask, no database; the
service adds whether the file is the one on record."""
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import CMSExtractionError, CMSStructuralError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


class NotAPdf(ValueError):
    pass


class NoSignature(ValueError):
    pass


@dataclass
class Verdict:
    intact: bool
    trusted: bool
    signer: str | None
    signed_at: datetime | None
    timestamped: bool = False  # a time-stamping authority's token vouches for signed_at (PAdES B-T)

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted


def verify_pdf(data: bytes, trust_roots: list[bytes]) -> Verdict:
    """The verdict on the last signature of `data` against `trust_roots` (DER certificates). A file that is
    not a PDF raises NotAPdf, a PDF with no signature NoSignature; a PDF damaged past reading, or signed over
    less than the whole file (bytes added after the signature), is not intact."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("not a PDF file")
    try:
        signatures = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError):
        return Verdict(intact=False, trusted=False, signer=None, signed_at=None)
    if not signatures:
        raise NoSignature("the PDF carries no signature")
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der) for der in trust_roots],
                                allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[-1], context, skip_diff=True)
    except (SignatureValidationError, CMSExtractionError, CMSStructuralError, ValueError, KeyError, TypeError):
        return Verdict(intact=False, trusted=False, signer=None, signed_at=None)
    intact = bool(status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    cert = status.signing_cert
    stamp = status.timestamp_validity  # the TSA's time, when there is one, rather than the signer's clock
    return Verdict(intact=intact, trusted=bool(intact and status.trusted),
                   signer=cert.subject.native.get("common_name") if cert else None,
                   signed_at=stamp.timestamp if stamp else status.signer_reported_dt, timestamped=stamp is not None)
