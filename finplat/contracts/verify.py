"""Checking a signed contract: is every byte the signer signed still there (intact), does the signer's
certificate chain to a trust root (trusted; both together: valid), who signed and when. Pure pyHanko: no
Flask, no database; the service adds whether the file is the one on record.

A platform contract carries exactly one PAdES signature over the whole file. "Intact" asks more than the
signature's digest: the parts of the file a signature cannot cover must be exactly as pyHanko wrote them —
the hexadecimal /Contents holds the signature and zero padding and nothing else, in one letter case, and
the signature carries no unsigned attribute but a time-stamp token that itself verifies. So any changed
byte anywhere in the file makes it not intact. Whatever a crafted file makes the reader or the validator
raise, the answer is "not intact", never an error.
"""
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

PADES = "/ETSI.CAdES.detached"


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
    timestamped: bool = False  # a trusted time-stamping authority vouches for signed_at (PAdES B-T)

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted


BROKEN = Verdict(intact=False, trusted=False, signer=None, signed_at=None)


def verify_pdf(data: bytes, trust_roots: list[bytes], moment: datetime | None = None) -> Verdict:
    """The verdict on the signature of `data` against `trust_roots` (DER certificates), the certificates
    judged as of `moment` (default now; the service passes a recorded signing time, so that a contract stays
    valid after its signer's certificate has expired). NotAPdf for a file that is not a PDF, NoSignature for
    a PDF without one."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("not a PDF file")
    try:
        signatures = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001  (a file damaged past reading is simply not intact)
        return BROKEN
    if not signatures:
        raise NoSignature("the PDF carries no signature")
    if len(signatures) != 1:  # a later signature may sign over changes to the first's revision
        return BROKEN
    signature = signatures[0]
    try:
        return _judge(data, signature, trust_roots, moment)
    except Exception:  # noqa: BLE001  (crafted structures make pyHanko raise many kinds of error)
        return BROKEN


def _judge(data: bytes, signature, trust_roots, moment) -> Verdict:
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der) for der in trust_roots],
                                allow_fetching=False, moment=moment)
    status = validate_pdf_signature(signature, context, skip_diff=True)
    stamp = status.timestamp_validity
    unsigned = signature.signer_info["unsigned_attrs"]
    extras = [a["type"].native for a in unsigned] if unsigned.native else []
    intact = (status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
              and _contents_untouched(data, signature)
              and all(kind == "signature_time_stamp_token" for kind in extras)
              and (stamp is None or (stamp.intact and stamp.valid)))
    if not intact:
        return BROKEN
    pades = signature.sig_object.get("/SubFilter") == PADES
    timestamped = stamp is not None and stamp.trusted
    cert = status.signing_cert
    return Verdict(intact=True, trusted=bool(status.trusted and pades),
                   signer=cert.subject.native.get("common_name") if cert else None,
                   signed_at=stamp.timestamp if timestamped else status.signer_reported_dt, timestamped=timestamped)


def _contents_untouched(data: bytes, signature) -> bool:
    """The gap the byte range leaves is "<hex>": the signature's DER and zeros after it, in one case."""
    byte_range = list(signature.byte_range)
    if len(byte_range) != 4 or byte_range[0] != 0:
        return False
    gap = data[byte_range[1]:byte_range[2]]
    if not (gap.startswith(b"<") and gap.endswith(b">")):
        return False
    digits = gap[1:-1]
    if digits not in (digits.lower(), digits.upper()):
        return False
    raw = bytes.fromhex(digits.decode("ascii"))
    length = _der_length(raw)
    return length is not None and not any(raw[length:])


def _der_length(raw: bytes) -> int | None:
    """The length of the DER SEQUENCE at the start of `raw`, header included."""
    if len(raw) < 2 or raw[0] != 0x30:
        return None
    if raw[1] < 0x80:
        return 2 + raw[1]
    count = raw[1] & 0x7F
    if count == 0 or count > 4 or len(raw) < 2 + count:
        return None
    return 2 + count + int.from_bytes(raw[2:2 + count], "big")
