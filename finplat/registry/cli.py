"""`finplat registry ...` commands."""
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError


@click.group("registry")
def registry_group():
    """The property-rights registry."""


@registry_group.command("import")
@click.argument("path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="write the good rows and report the bad ones (default: a file "
                                                     "with any bad row writes nothing)")
@click.option("--encoding", default="utf-8-sig", show_default=True, help="the file's encoding, e.g. gb18030")
@with_appcontext
def registry_import(path, skip_invalid, encoding):
    """Register the households and rights of a land-confirmation (确权) export, one row per right and its
    holder household (columns: finplat/registry/importer.py). Errors are printed as `row N, column: message`;
    the exit code is 1 when nothing was written."""
    from finplat.extensions import db
    from finplat.registry import importer
    try:
        rows = importer.read_csv(path, encoding)
    except importer.ImportFileError as exc:
        raise click.ClickException(str(exc))
    with click.progressbar(length=len(rows), label="checking rows", file=sys.stderr) as bar:
        plan = importer.check_rows(rows, skip_invalid, progress=bar.update)
    result = plan.result
    for error in result.errors:
        click.echo(str(error))
    if not plan.writable:
        db.session.rollback()
        if result.bad_rows:
            click.echo(f"{result.bad_rows} of {result.rows} row(s) have errors: nothing written"
                       + ("" if skip_invalid else " (--skip-invalid writes the good rows)"))
        else:
            click.echo("no rows: nothing written")
        sys.exit(1)
    source = {"path": path, "sha256": importer._sha256(path)}
    try:
        with click.progressbar(length=len(plan.good), label="writing rights", file=sys.stderr) as bar:
            importer.write_plan("cli", plan, source, progress=bar.update)
    except IntegrityError as exc:  # on SQLite, or a right registered through the API meanwhile
        db.session.rollback()
        raise click.ClickException(f"nothing written: a party or certificate of this file was registered "
                                   f"meanwhile ({type(exc.orig).__name__}); run the import again to see which")
    click.echo(f"imported {result.rights} right(s) from {result.rows} row(s): "
               f"{result.households_created} household(s) created, {result.households_reused} reused, "
               f"{result.collectives_created} collective(s) created"
               + (f"; {result.bad_rows} bad row(s) skipped" if result.bad_rows else ""))
