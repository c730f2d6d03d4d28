"""`finplat valuation ...` commands."""
import click


@click.group("valuation")
def valuation_group():
    """Valuations and batch revaluation."""
