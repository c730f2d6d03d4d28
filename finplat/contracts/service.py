from flask import current_app

from finplat.contracts import pki
from finplat.contracts.models import SigningCertificate
from finplat.extensions import db


def provision_signer(institution) -> SigningCertificate:
    """Record the institution's signing certificate (configured or issued by the instance CA) in the
    caller's transaction. A file written for a transaction that then rolls back is never referenced."""
    issued = pki.certificate_for(current_app.instance_path, current_app.config, institution.id, institution.name)
    cert = SigningCertificate(institution_id=institution.id, **vars(issued))
    db.session.add(cert)
    db.session.flush()
    return cert
