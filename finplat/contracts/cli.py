"""`finplat contracts ...`: verify a signed PDF; render, sign and record a sample of a template."""
import json
import sys

import click
from flask.cli import with_appcontext

from finplat.contracts.models import CONTRACT_KINDS


@click.group("contracts")
def contracts_group():
    """Signed contracts."""


@contracts_group.command("verify")
@click.argument("path", metavar="FILE.pdf", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify_command(path):
    """Check FILE.pdf's signature: intact, trusted, signer, time, and whether it is a contract on record.
    Prints the verdict as JSON; exits 1 unless the signature is valid."""
    from finplat.contracts import service
    from finplat.errors import DomainError
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        verdict = service.verify("cli", data)
    except DomainError as exc:
        raise click.ClickException(exc.message)
    click.echo(json.dumps({**verdict, "signed_at": verdict["signed_at"].isoformat() if verdict["signed_at"] else None},
                          ensure_ascii=False, indent=2))
    sys.exit(0 if verdict["valid"] else 1)


@contracts_group.command("sample")
@click.option("--kind", required=True, type=click.Choice(CONTRACT_KINDS))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def sample_command(kind, out):
    """Render and sign a realistic sample of KIND (the demo borrower, 256,000.00 yuan, a mortgaged land
    management right), signed by the sample's lender (run `finplat seed-demo` first), recorded like any
    contract, and write it to OUT."""
    from sqlalchemy import select

    from finplat.auth.models import Institution
    from finplat.contracts import service, storage
    from finplat.contracts.context import sample_context
    from finplat.extensions import db
    context = sample_context(kind)
    lender = context["lender"]["name"]
    institution = db.session.execute(select(Institution).where(Institution.name == lender)).scalar_one_or_none()
    if institution is None:
        raise click.ClickException(f"no institution {lender} signs the sample: run `finplat seed-demo` first")
    contract = service.issue("cli", kind, context, institution, sample=True)
    with open(out, "wb") as handle:
        handle.write(storage.load(contract.sha256))
    click.echo(f"contract {contract.id} ({kind}), signed by {contract.signer}, sha256 {contract.sha256}: {out}")
