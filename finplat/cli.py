"""The `finplat` command. Every command reads the database from FINPLAT_DATABASE_URL and runs without
prompts when given its options."""
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from finplat.auth.roles import INSTITUTION_KINDS, ROLES
from finplat.errors import DomainError
from finplat.extensions import db


def _create_app():
    from finplat import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, load_dotenv=False,
             set_debug_flag=False, help="FinPlat, the rural property-rights finance platform.")
def main():
    pass


def _fail(exc: DomainError):
    raise click.ClickException(f"{exc.message}" + (f" {exc.fields}" if exc.fields else ""))


def init_db():
    """Create missing instance keys, migrate the database to head and open the business date. A SQLite
    database is made readable by its owner only: it holds password hashes and encrypted personal data."""
    import os

    from flask_migrate import upgrade

    from finplat import MIGRATIONS_DIR, cob
    from finplat.security.keys import ensure_instance_keys, load_into
    from finplat.contracts.pki import CA_CERT, ensure_ca
    made = ensure_instance_keys(current_app.instance_path)
    if ensure_ca(current_app.instance_path):
        made.append(f"pki/{CA_CERT}")
    load_into(current_app.config)
    upgrade(directory=MIGRATIONS_DIR)
    url = db.engine.url  # relative SQLite paths resolved (against the instance folder)
    if url.get_backend_name() == "sqlite" and url.database and os.path.isfile(url.database):
        os.chmod(url.database, 0o600)
    opened = cob.ensure_calendar(cob.local_today())
    return made, opened


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create missing keys, upgrade the schema to head and set the business date."""
    made, opened = init_db()
    for name in made:
        click.echo(f"created {current_app.instance_path}/{name}")
    from finplat import cob
    click.echo(f"database at head; business date {cob.open_date()}" + (" (opened today)" if opened else ""))


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Demo institutions and a user of every role (safe to run twice)."""
    from finplat.demo import seed
    for line in seed():
        click.echo(line)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host, port):
    """Run the development server (production: gunicorn wsgi:app)."""
    if not current_app.config.get("SECRET_KEY"):
        raise click.ClickException("no secret key: run `finplat init-db` or set FINPLAT_SECRET_KEY")
    from werkzeug.serving import run_simple
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def demo_command(ctx, host, port):
    """init-db, seed-demo, then serve on 127.0.0.1:5000."""
    ctx.invoke(init_db_command)
    ctx.invoke(seed_demo_command)
    from finplat.extensions import db
    db.session.remove()  # no transaction may stay open: on SQLite it would hold the write lock while serving
    click.echo(f"FinPlat demo on http://{host}:{port}/login (users and passwords: README.md)")
    ctx.invoke(serve_command, host=host, port=port)


@click.group("institutions")
def institutions_group():
    """Institutions."""


@institutions_group.command("create")
@click.option("--kind", required=True, type=click.Choice(INSTITUTION_KINDS))
@click.option("--name", required=True)
@click.option("--region-code")
@click.option("--certification-no")
@click.option("--certified-until", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
def institutions_create(kind, name, region_code, certification_no, certified_until):
    from finplat.auth import service
    data = {"kind": kind, "name": name, "region_code": region_code, "certification_no": certification_no,
            "certified_until": certified_until.date() if certified_until else None}
    try:
        inst = service.create_institution("cli", data)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"institution {inst.id}: {inst.name} ({inst.kind})")


@click.group("users")
def users_group():
    """Users."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--institution", "institution_name", help="the institution's name (not for farmers)")
@click.option("--party-id", type=int, help="a farmer's household")
@click.option("--phone")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create(username, role, institution_name, party_id, phone, password):
    from sqlalchemy import select

    from finplat.auth import service
    from finplat.auth.models import Institution
    inst_id = None
    if institution_name:
        inst_id = db.session.execute(select(Institution.id).where(Institution.name == institution_name)).scalar()
        if inst_id is None:
            raise click.BadParameter(f"no institution named {institution_name!r}", param_hint="--institution")
    try:
        user = service.create_user("cli", {"username": username, "password": password, "role": role,
                                           "institution_id": inst_id, "party_id": party_id, "phone": phone})
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {user.id}: {user.username} ({user.role})")


@click.group("audit")
def audit_group():
    """The audit chain."""


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Check every link of the audit chain; exit 1 at the first broken one."""
    from sqlalchemy import func, select

    from finplat.audit import AuditRecord, verify
    total = db.session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    with click.progressbar(length=total, label="verifying audit chain", file=sys.stderr) as bar:
        verdict = verify(progress=bar.update)
    if not verdict.ok:
        click.echo(f"BROKEN at audit record {verdict.broken_id}: {verdict.reason} "
                   f"({verdict.checked} records before it are intact)")
        raise SystemExit(1)
    click.echo(f"audit chain intact: {verdict.checked} records; head {verdict.head}")


@click.group("cob")
def cob_group():
    """Close of business."""


@cob_group.command("run")
@click.option("--to", "to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="close every open date up to and including this one")
@with_appcontext
def cob_run(to):
    from finplat import cob
    target = to.date()
    days = max((target - cob.open_date()).days + 1, 0)
    try:
        with click.progressbar(length=days, label="closing business dates",
                               file=sys.stderr) as bar:
            summary = cob.run_to(target, actor="cli", progress=bar.update)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"closed {len(summary['closed'])} date(s); open business date {summary['open_date']}")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduled jobs (nightly COB at FINPLAT_COB_TIME) in this process."""
    from finplat.jobs import build_scheduler
    sched = build_scheduler(current_app._get_current_object())
    click.echo(f"scheduler running: {[str(j.trigger) for j in sched.get_jobs()]}")
    sched.start()


@click.group("keys")
def keys_group():
    """Encryption keys for personal data."""


@keys_group.command("rotate")
@click.option("--blind-index", is_flag=True, help="also replace the blind-index key and recompute indexes")
@with_appcontext
def keys_rotate(blind_index):
    """Re-encrypt personal data under a new key (instance keyring) or under the first key of
    FINPLAT_ENCRYPTION_KEYS (put the new key first there before running this)."""
    from finplat.security.rotation import rotate, values_to_visit
    try:
        total = values_to_visit(db.session, db.metadata, blind_index)
        with click.progressbar(length=total, label="rewriting personal data", file=sys.stderr) as bar:
            lines = rotate(current_app, blind_index=blind_index, progress=bar.update)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    for line in lines:
        click.echo(line)


def register_commands(app):
    from finplat.contracts.cli import contracts_group
    from finplat.loans.lpr_cli import lpr_group
    from finplat.registry.cli import registry_group
    from finplat.valuation.cli import valuation_group
    from finplat.valuation.reference_cli import reference_group
    for cmd in (registry_group, valuation_group, reference_group, contracts_group, lpr_group, init_db_command,
                seed_demo_command, serve_command, demo_command, institutions_group, users_group, audit_group, cob_group,
                scheduler_command, keys_group):
        app.cli.add_command(cmd)
