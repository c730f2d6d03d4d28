"""Valuation pages."""
from flask import Blueprint

bp = Blueprint("valuation", __name__, url_prefix="/valuation")
