"""Valuation routes (API.md "Valuation")."""
from finplat.api_base import Blueprint

blp = Blueprint("valuation_api", __name__, description="Valuation")
