"""`finplat reference ...`: load valuation reference data from CSV files, and show the figures in force."""
import csv
import io
import os
import sys
from datetime import date

import click
from flask.cli import with_appcontext

from finplat.valuation.reference_schemas import ROW_SCHEMAS

DATASET_NAMES = tuple(ROW_SCHEMAS)


@click.group("reference")
def reference_group():
    """Valuation reference data: benchmark land prices, net incomes, capitalisation rates, replacement costs,
    collectives' net assets."""


@reference_group.command("load")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--dataset", type=click.Choice(DATASET_NAMES),
              help="load PATH, a single CSV file, as this dataset (without it PATH is a folder)")
@click.option("--sample", is_flag=True, help="load the shipped sample folder (illustrative figures for Jinan "
                                             "and Zibo, not official ones)")
@click.option("--encoding", help="the files' encoding (default: UTF-8, or GB18030 as Excel saves CSV in China)")
@with_appcontext
def reference_load(path, dataset, sample, encoding):
    """Load reference data from every <dataset>.csv in the folder PATH (land_prices.csv, net_incomes.csv,
    capitalisation_rates.csv, replacement_costs.csv, collective_net_assets.csv), all files in one transaction,
    or from one file with --dataset. Every row is checked first; any bad row writes nothing, prints
    `FILE row N, column: message` for each and exits 1. Rows published already with the same figure are
    counted as unchanged, so a file may be loaded again. Columns: finplat/valuation/reference.py."""
    from finplat.extensions import db
    from finplat.errors import DomainError
    from finplat.valuation import reference, reference_loader
    if sample:
        if path or dataset:
            raise click.UsageError("--sample loads the shipped folder: give no PATH or --dataset with it")
        path = str(reference.SAMPLE_DIR)
    elif not path:
        raise click.UsageError("give a folder, a file with --dataset, or --sample")
    try:
        if dataset:
            if not os.path.isfile(path):
                raise click.UsageError(f"--dataset loads one file: {path} is not a file")
            files = [reference_loader.read_csv(dataset, path, encoding)]
        else:
            files = reference_loader.read_dir(path, encoding)
            for name in reference_loader.unknown_files(path):
                click.echo(f"ignored {name}: not a reference dataset's file name", err=True)
        with click.progressbar(length=sum(len(f.rows) for f in files), label="checking rows", file=sys.stderr) as bar:
            summaries = reference_loader.load_files("cli", files, progress=bar.update)
    except reference_loader.InvalidRows as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error))
        click.echo(exc.message)
        sys.exit(1)
    except reference_loader.BadFile as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    for summary in summaries.values():
        click.echo(f"{summary.dataset}: {summary.rows} row(s), {summary.loaded} loaded, {summary.unchanged} unchanged")


@reference_group.command("show")
@click.argument("dataset", type=click.Choice(DATASET_NAMES))
@click.option("--region-code", help="the rows of this region, of the regions within it and of its city and province")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="default: the open business date")
@with_appcontext
def reference_show(dataset, region_code, as_of):
    """Print the figures of DATASET in force on a date, as CSV (the columns a load reads)."""
    from finplat import cob
    from finplat.extensions import db
    from finplat.valuation import reference
    day: date = as_of.date() if as_of else cob.open_date()
    rows = reference.describe(dataset, db.session.execute(reference.in_force(dataset, day, region_code)).scalars())
    columns = reference.DATASETS[dataset].columns
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(columns)
    for row in ROW_SCHEMAS[dataset](many=True).dump(rows):
        out.writerow(["" if row.get(name) is None else row[name] for name in columns])
    click.echo(text.getvalue(), nl=False)
