"""Reference data routes (placeholder until written)."""
from finplat.api_base import Blueprint

blp = Blueprint("valuation_reference_api", __name__, description="Valuation: reference data")
