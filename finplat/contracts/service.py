"""Contracts (DESIGN.md §3.6, API.md "Contracts"): render a template with its context, sign the PDF with
the institution's certificate, store it once by content and record it; verify an uploaded PDF against the
trust roots and the records.

Origination signs with `sign_document()` first, outside any lock, and records with `record()` (commit=False
joins its transaction, so that a loan's contracts and its liens are written together); `issue()` does both.
The file is written before the record, and a file whose record rolls back is only an unreferenced copy,
never a record without its file.
"""
import functools
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from finplat import audit
from finplat.auth.permissions import get_visible, visible
from finplat.contracts import pki, signing, storage, templates
from finplat.contracts.context import TITLES
from finplat.contracts.models import Contract, SigningCertificate
from finplat.contracts.render import render_pdf
from finplat.contracts.verify import NotAPdf, NoSignature, verify_pdf
from finplat.errors import Conflict, RuleViolation, Unavailable, field_error
from finplat.extensions import db

KIND_LABELS = TITLES
PDF_MIME = "application/pdf"


# --- signing

def provision_signer(institution) -> SigningCertificate:
    """Record the institution's signing certificate (configured or issued by the instance CA) in the
    caller's transaction. A file written for a transaction that then rolls back is never referenced."""
    issued = pki.certificate_for(current_app.instance_path, current_app.config, institution.id, institution.name)
    cert = SigningCertificate(institution_id=institution.id, **vars(issued))
    db.session.add(cert)
    db.session.flush()
    return cert


def _signer(institution) -> tuple[SigningCertificate, object]:
    """The institution's newest signing certificate and its loaded signer (kept per process)."""
    cert = institution.signing_certificate
    if cert is None:
        raise Conflict(f"institution {institution.name} has no signing certificate", code="no_signer")
    configured = cert.source == "configured"
    path = Path(cert.pkcs12_path) if configured else Path(current_app.instance_path) / cert.pkcs12_path
    try:
        return cert, signing.load_signer(path, cert.fingerprint_sha256,
                                         current_app.config.get("PKCS12_PASSPHRASE") if configured else None)
    except signing.SignerUnavailable as exc:
        raise Conflict(f"the signing certificate of {institution.name} cannot be loaded: {exc}",
                       code="no_signer") from None


@dataclass(frozen=True)
class SignedDocument:
    """A contract rendered, signed and stored, not yet recorded."""
    kind: str
    number: str
    certificate: SigningCertificate
    signer: str
    signed_at: datetime
    sha256: str
    size: int


def sign_document(kind: str, context: dict, institution) -> SignedDocument:
    """Render and sign one contract of `kind` with `context` (a plain dict built by finplat.contracts.context)
    for `institution`, and store the PDF. It writes nothing to the database and takes no lock, so that a
    caller can sign before it locks the rows its records change."""
    cert, signer = _signer(institution)
    pdf = render_pdf(templates.render_html(kind, context))
    try:
        signed = signing.sign_pdf(pdf, signer, reason=KIND_LABELS[kind],
                                  location=context.get("signing_place") or "", tsa_url=current_app.config.get("TSA_URL"))
    except signing.TimestampUnavailable as exc:
        raise Unavailable(f"the time-stamping authority did not answer: {exc}", code="tsa_unavailable") from None
    signer_name, signed_at = signing.signature_facts(signed)  # as verification will report them
    return SignedDocument(kind=kind, number=str(context.get("contract_no") or ""), certificate=cert,
                          signer=signer_name or institution.name, signed_at=signed_at,
                          sha256=storage.store(signed), size=len(signed))


def record(actor, doc: SignedDocument, *, loan_id: int | None = None, sample: bool = False,
           commit: bool = True) -> Contract:
    """The record of a signed document, with its audit record."""
    contract = Contract(kind=doc.kind, number=doc.number, loan_id=loan_id, institution_id=doc.certificate.institution_id,
                        signing_certificate_id=doc.certificate.id, signer=doc.signer, signed_at=doc.signed_at,
                        sha256=doc.sha256, size=doc.size, sample=sample)
    db.session.add(contract)
    db.session.flush()
    audit.record(actor, "contract.signed", "contract", contract.id,
                 after={"kind": doc.kind, "number": doc.number, "loan_id": loan_id, "sha256": doc.sha256,
                        "certificate": doc.certificate.fingerprint_sha256, "sample": sample})
    if commit:
        db.session.commit()
    return contract


def issue(actor, kind: str, context: dict, institution, *, loan_id: int | None = None, sample: bool = False,
          commit: bool = True) -> Contract:
    """Render, sign, store and record one contract of `kind` with `context`, signed for `institution`."""
    return record(actor, sign_document(kind, context, institution), loan_id=loan_id, sample=sample, commit=commit)


# --- reading

def get_contract(actor, contract_id: int) -> Contract:
    return get_visible(Contract, contract_id, actor)


def pdf_of(actor, contract_id: int) -> bytes:
    contract = get_contract(actor, contract_id)
    try:
        return storage.load(contract.sha256)
    except FileNotFoundError:
        raise Conflict(f"the PDF of contract {contract.id} is missing from the store", code="file_missing") from None
    except ValueError as exc:  # changed on disk: never hand out a file that is not the one signed
        raise Conflict(str(exc), code="file_changed") from None


# --- verification

def trust_roots() -> list[bytes]:
    """DER certificates verification trusts: the instance CA's certificate (never its key), and
    FINPLAT_TRUST_ROOTS' PEM files; read once per process and configuration."""
    return list(_roots(current_app.instance_path, current_app.config.get("TRUST_ROOTS") or ""))


@functools.lru_cache(maxsize=8)
def _roots(instance_path: str, configured: str) -> tuple[bytes, ...]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    ca = x509.load_pem_x509_certificate((pki.pki_dir(instance_path) / pki.CA_CERT).read_bytes())
    roots = [ca.public_bytes(Encoding.DER)]
    for path in filter(None, configured.split(os.pathsep)):
        roots += [cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(Path(path).read_bytes())]
    return tuple(roots)


def verify(actor, data: bytes) -> dict:
    """API.md's verdict on an uploaded PDF: {valid, intact, signer, signed_at, on_record, contract_id}. A file
    on record is judged as of its recorded signing time, so that it stays valid after its signer's
    certificate expires; contract_id is given only to whoever may see that contract."""
    if not data:
        raise field_error("file", "the file is empty")
    if len(data) > current_app.config["MAX_VERIFY_BYTES"]:
        raise RuleViolation(f"the file is larger than {current_app.config['MAX_VERIFY_BYTES']} bytes",
                            fields={"file": ["too large"]}, code="too_large")
    record = db.session.execute(select(Contract).where(Contract.sha256 == storage.sha256(data))
                                .order_by(Contract.id).limit(1)).scalar_one_or_none()
    try:
        verdict = verify_pdf(data, trust_roots(), moment=record.signed_at if record else None)
    except NotAPdf:
        raise field_error("file", "not a PDF file", code="not_a_pdf") from None
    except NoSignature:
        raise field_error("file", "the PDF carries no signature", code="unsigned") from None
    shown = record is not None and db.session.execute(
        visible(Contract, actor).where(Contract.id == record.id)).first() is not None
    return {"valid": verdict.valid, "intact": verdict.intact, "signer": verdict.signer,
            "signed_at": verdict.signed_at, "on_record": record is not None,
            "contract_id": record.id if shown else None}
