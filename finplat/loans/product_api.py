"""Product and LPR routes (API.md "Loans"): `GET /products`, `GET /products/{id}` (any logged-in user),
`POST /products` (admin); `GET /lpr` (any logged-in user), `POST /admin/lpr` (admin)."""
from finplat import cob
from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth.permissions import current_actor, require
from finplat.loans import lpr, product_service
from finplat.loans.product_schemas import (LprArgs, LprLoadIn, LprLoadSummarySchema, LprPageSchema, LprRow,
                                           ProductFilter, ProductIn, ProductSchema)

blp = Blueprint("product_api", __name__, description="Loans: products and the LPR table")


@blp.route("/products", methods=["POST"])
@require("admin")
@blp.arguments(ProductIn)
@blp.response(201, ProductSchema)
def create_product(data):
    """A new product (admin). Kinds left out of `ltv_caps` take the default caps (land_management 0.70,
    house 0.60, construction_land 0.70, forest 0.50, water_facility 0.50, collective_shares 0.50);
    `lpr_tenor` follows from `max_term_months` (1y up to 60 months, 5y above). 409 for a code in use."""
    return product_service.create_product(current_actor(), data)


@blp.route("/products", methods=["GET"])
@require()
@blp.arguments(ProductFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(ProductSchema))
def list_products(page, per_page, collateral_kind=None):
    """Every product, by code (`collateral_kind`: those accepting it)."""
    return paginate(product_service.products(current_actor(), collateral_kind), page, per_page)


@blp.route("/products/<int:product_id>", methods=["GET"])
@require()
@blp.response(200, ProductSchema)
def get_product(product_id):
    return product_service.get_product(product_id, current_actor())


@blp.route("/lpr", methods=["GET"])
@require()
@blp.arguments(LprArgs, location="query", as_kwargs=True)
@blp.response(200, LprPageSchema)
def list_lpr(page, per_page, tenor=None, as_of=None):
    """The LPR announcements on or before `as_of` (default: the open business date), newest first, and in
    `in_force` the rate of each tenor in force that day (null before its first announcement). A loan of up
    to 60 months prices from the 1y rate, a longer one from the 5y rate."""
    day = as_of or cob.open_date()
    found = paginate(lpr.history(day, tenor), page, per_page)
    in_force = lpr.rates_on(day)
    return {**found, "as_of": day, "in_force": {"one_year": in_force["1y"], "five_year": in_force["5y"]}}


@blp.route("/admin/lpr", methods=["POST"])
@require("admin")
@blp.arguments(LprLoadIn)
@blp.response(200, LprLoadSummarySchema)
def load_lpr(data):
    """Load LPR announcements (admin): all rows or none. A tenor and date already published with the same
    rate is skipped (`unchanged`); with another rate it is refused: a published figure is never edited. A
    refused row is named by its index in `rows`: `{"rows": {"3": {"rate": [...]}}}`."""
    rows = LprRow(many=True).dump(data["rows"])
    return lpr.load(current_actor(), rows).as_dict()
