"""`finplat reference ...` (placeholder until written)."""
import click


@click.group("reference")
def reference_group():
    """Valuation reference data."""
