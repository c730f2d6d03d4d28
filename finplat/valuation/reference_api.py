"""Reference data routes, one pair per dataset (land_prices, net_incomes, capitalisation_rates,
replacement_costs, collective_net_assets):

- `GET /reference/<dataset>?region_code=&as_of=&page=&per_page=`: the figures in force on `as_of` (default:
  the open business date), for any logged-in institution user;
- `POST /admin/reference/<dataset>` `{"rows": [...]}` (admin): load rows as finplat.valuation.reference_loader.load
  does, all or none, and return the summary `{dataset, rows, loaded, unchanged}`. A refused row is named
  by its index in `rows` (from 0): 422 with `fields` `{"rows": {"3": {"rate": [...]}}}`.
"""
from finplat import cob
from finplat.api_base import Blueprint, paginate
from finplat.auth.permissions import current_actor, require
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.valuation import reference, reference_loader
from finplat.valuation.reference_schemas import (ITEM_SCHEMAS, LOAD_SCHEMAS, PAGE_SCHEMAS, ROW_SCHEMAS, ReferenceArgs,
                                                 ReferenceLoadSummarySchema)

blp = Blueprint("valuation_reference_api", __name__, description="Valuation: reference data")

READERS = INSTITUTION_ROLES
TITLES = {
    "land_prices": "benchmark land prices per m2 by region, use and grade",
    "net_incomes": "annual net incomes per mu by region, right kind and crop or species",
    "capitalisation_rates": "capitalisation rates by region and right kind",
    "replacement_costs": "replacement costs per m2 of floor area by region and structure",
    "collective_net_assets": "collectives' net operating assets",
}


def _list_view(name):
    def view(page, per_page, region_code=None, as_of=None):
        day = as_of or cob.open_date()
        found = paginate(reference.in_force(name, day, region_code), page, per_page)
        return {**found, "items": reference.describe(name, found["items"]), "as_of": day}
    view.__doc__ = (f"The {TITLES[name]} in force on a date.\n\nOn `as_of` (default: the open business date), "
                    "for each key, the row with the latest effective date on or before it. `region_code` narrows "
                    "to the rows of that region, of the regions within it and of its city and province.")
    return view


def _load_view(name):
    def view(data):
        rows = ROW_SCHEMAS[name](many=True).dump(data["rows"])
        return reference_loader.load(current_actor(), name, rows).as_dict()
    view.__doc__ = (f"Load {TITLES[name]} (admin): all rows or none.\n\nA key and effective date already "
                    "published with the same figure is skipped (`unchanged`); with another figure it is refused: a "
                    "published figure is never edited, a new one takes a new effective date. A refused row is "
                    "named by its index in `rows`: `{\"rows\": {\"3\": {\"rate\": [...]}}}`.")
    return view


for _name in ROW_SCHEMAS:
    blp.route(f"/reference/{_name}", methods=["GET"], endpoint=f"list_{_name}")(
        require(*READERS)(blp.arguments(ReferenceArgs, location="query", as_kwargs=True)(
            blp.response(200, PAGE_SCHEMAS[_name])(_list_view(_name)))))
    blp.route(f"/admin/reference/{_name}", methods=["POST"], endpoint=f"load_{_name}")(
        require("admin")(blp.arguments(LOAD_SCHEMAS[_name])(
            blp.response(200, ReferenceLoadSummarySchema)(_load_view(_name)))))
assert set(ITEM_SCHEMAS) == set(ROW_SCHEMAS) == set(reference.DATASETS)
