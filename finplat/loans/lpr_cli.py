"""`finplat lpr ...`: load LPR announcements from a CSV file, and show the rates in force."""
import csv
import io
import sys

import click
from flask.cli import with_appcontext


@click.group("lpr")
def lpr_group():
    """The loan prime rate (LPR) table that products price from."""


@lpr_group.command("load")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", help="the file's encoding (default: UTF-8, or GB18030 as Excel saves CSV in China)")
@with_appcontext
def lpr_load(file, encoding):
    """Load LPR announcements from FILE (default: the shipped history, finplat/loans/lpr_data/lpr.csv).
    Columns: effective_date, tenor (1y or 5y), rate (a decimal: 3.10 % is 0.0310), source. Every row is
    checked first; any bad row writes nothing, prints `row N, column: message` for each and exits 1. Rows
    published already with the same rate count as unchanged, so a file may be loaded again; a published
    rate is never changed."""
    from finplat.errors import DomainError
    from finplat.extensions import db
    from finplat.loans import lpr
    from finplat.valuation.reference_loader import BadFile, InvalidRows
    try:
        lpr_file = lpr.read_csv(file, encoding)
        summary = lpr.load_file("cli", lpr_file)
    except InvalidRows as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"{lpr_file.name} {error}")
        click.echo(exc.message)
        sys.exit(1)
    except BadFile as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    click.echo(f"{lpr_file.name}: {summary.rows} row(s), {summary.loaded} loaded, {summary.unchanged} unchanged")


@lpr_group.command("show")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="default: the open business date")
@click.option("--history", is_flag=True, help="print every announcement on or before the date, as CSV")
@with_appcontext
def lpr_show(as_of, history):
    """Print the LPR of each tenor in force on a date (a loan of up to 60 months prices from 1y, a longer
    one from 5y), or with --history every announcement up to that date, newest first, as CSV (the columns
    a load reads)."""
    from finplat import cob
    from finplat.extensions import db
    from finplat.loans import lpr
    day = as_of.date() if as_of else cob.open_date()
    if history:
        text = io.StringIO()
        out = csv.writer(text, lineterminator="\n")
        out.writerow(lpr.COLUMNS)
        for row in db.session.execute(lpr.history(day)).scalars():
            out.writerow([row.effective_date.isoformat(), row.tenor, f"{row.rate:.4f}", row.source or ""])
        click.echo(text.getvalue(), nl=False)
        return
    for tenor, row in lpr.rates_on(day).items():
        if row is None:
            click.echo(f"{tenor}: none in force on {day}")
        else:
            click.echo(f"{tenor}: {row.rate:.4f} ({row.rate * 100:.2f} %) since {row.effective_date}"
                       + (f"; {row.source}" if row.source else ""))
