"""`finplat registry ...` commands."""
import click


@click.group("registry")
def registry_group():
    """The property-rights registry."""
