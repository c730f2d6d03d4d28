"""`finplat valuation ...` commands."""
import click
from flask.cli import with_appcontext


@click.group("valuation")
def valuation_group():
    """Valuations and batch revaluation."""


@valuation_group.command("revalue")
@with_appcontext
def revalue_command():
    """Revalue every right under a live lien from the reference data in force on the open business date,
    recompute the LTVs it backs and raise an alert for each breach."""
    from finplat.valuation.revaluation import revalue
    summary = revalue("cli")
    click.echo(f"{summary['business_date']}: {summary['rights_revalued']} right(s) revalued, "
               f"{summary['rights_not_revalued']} not (reference data missing or term run out), "
               f"{summary['ltv_breaches']} LTV breach(es) raised")
