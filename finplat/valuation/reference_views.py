"""Reference data pages (placeholder until written)."""
from flask import Blueprint

bp = Blueprint("reference", __name__, url_prefix="/reference")
